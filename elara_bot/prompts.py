"""Versioned system prompts: ``prompts/<role>.v<N>.txt`` at the repository root.

``prompts`` is a package of its own (it has an ``__init__.py``; pyproject's ``packages.find`` includes
``prompts*`` and its package data includes ``*.txt``), so it is found through ``importlib.resources`` both
in a checkout (or an editable install) and when Elara is installed from a wheel or in the Docker image.
Adding ``prompts/<role>.v2.txt`` makes it the default for that role; pin an older one with ``version``.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable

_ROLE = re.compile(r"^[a-z0-9_]+$")
_FILE = re.compile(r"^(?P<role>[a-z0-9_]+)\.v(?P<number>\d+)\.txt$")


def prompts_folder() -> Traversable:
    return resources.files("prompts")


def prompt_versions(role: str, folder: Traversable | None = None) -> list[str]:
    """The versions of ``role``'s prompt, oldest first, e.g. ``["v1", "v2", "v10"]``."""
    found: list[int] = []
    for entry in (folder or prompts_folder()).iterdir():
        match = _FILE.match(entry.name)
        if match and match.group("role") == role and entry.is_file():
            found.append(int(match.group("number")))
    return [f"v{n}" for n in sorted(found)]


def load_prompt(role: str, version: str | None = None, *, folder: Traversable | None = None) -> str:
    """The text of ``prompts/<role>.<version>.txt``; the highest ``vN`` when ``version`` is None.

    ``version`` may be given as ``"v2"`` or ``"2"``. Raises ``ValueError`` for a malformed role or version
    and ``FileNotFoundError`` when there is no such prompt.
    """
    if not _ROLE.match(role):
        raise ValueError(f"prompt role must be lower-case letters, digits and underscores, not {role!r}")
    base = folder or prompts_folder()
    if version is None:
        versions = prompt_versions(role, base)
        if not versions:
            raise FileNotFoundError(f"no prompt for role {role!r} in prompts/")
        version = versions[-1]
    number = version.removeprefix("v")
    if not number.isdigit():
        raise ValueError(f"prompt version must look like 'v2', not {version!r}")
    entry = base.joinpath(f"{role}.v{int(number)}.txt")
    if not entry.is_file():
        raise FileNotFoundError(f"no prompt {role}.v{int(number)}.txt in prompts/")
    return entry.read_text(encoding="utf-8").strip()
