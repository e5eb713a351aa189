"""The vendored UCP JSON schemas (``schemas/``, tag v2026-04-08), their ``$ref``s resolved by ``$id``
offline, and a validator for any of them (the conformance tests check every response with it)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "https://ucp.dev/schemas/"


@cache
def registry() -> Registry:
    resources = []
    for path in SCHEMAS.rglob("*.json"):
        document = json.loads(path.read_text(encoding="utf-8"))
        relative = path.relative_to(SCHEMAS).as_posix()
        resource = Resource.from_contents(document)
        resources.append((document.get("$id") or BASE + relative, resource))
        # The discovery profile's $id sits under /schemas/discovery/ but its $refs follow the spec
        # repository's layout (../schemas/ucp.json): serve every schema at that address too.
        resources.append((BASE + "schemas/" + relative, resource))
    return Registry().with_resources(resources)


def validator(ref: str) -> Draft202012Validator:
    """A validator for ``ref``: a schema path under schemas/ with an optional fragment, such as
    ``shopping/checkout.json`` or ``shopping/discount.json#/$defs/dev.ucp.shopping.checkout``."""
    schema = {"$ref": BASE + ref}
    return Draft202012Validator(schema, registry=registry())


def errors(ref: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in validator(ref).iter_errors(instance)
    ]
