"""The platform's side of each request: the ``UCP-Agent`` header (RFC 8941 dictionary, ``profile="..."``),
its profile fetched (cached, no redirects, https unless allowed), the protocol version checked and the
capabilities intersected; the order capability's ``config.webhook_url`` is where order events go."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from elara_bot.config import Settings
from elara_bot.errors import ElaraError

VERSION = "2026-04-08"
SUPPORTED = (VERSION,)
PROFILE_RE = re.compile(r'(?:^|[,;\s])profile\s*=\s*"([^"\\]*)"')
VERSION_RE = re.compile(r'(?:^|[,;\s])version\s*=\s*"([^"\\]*)"')


class UcpError(ElaraError):
    """A protocol error: rendered as ``{"code", "content"}`` with its HTTP status."""

    def __init__(self, code: str, content: str, status_code: int) -> None:
        super().__init__(content, status_code)
        self.code = code


@dataclass
class Platform:
    profile_url: str | None
    version: str = VERSION
    capabilities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    webhook_url: str | None = None


@dataclass
class ProfileCache:
    ttl_s: int
    entries: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    max_entries: int = 256

    def get(self, url: str) -> dict[str, Any] | None:
        hit = self.entries.get(url)
        return hit[1] if hit and hit[0] > time.monotonic() else None

    def put(self, url: str, profile: dict[str, Any]) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.pop(next(iter(self.entries)))
        self.entries[url] = (time.monotonic() + self.ttl_s, profile)


def profile_url(header: str | None) -> str:
    if not header:
        raise UcpError("invalid_profile_url", 'the UCP-Agent header is required: profile="https://..."', 400)
    match = PROFILE_RE.search(header)
    if match is None or not match.group(1):
        raise UcpError("invalid_profile_url", 'UCP-Agent must carry profile="<url>" (RFC 8941)', 400)
    return match.group(1)


def check_version(version: object) -> str:
    if not isinstance(version, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        raise UcpError("profile_malformed", "the platform declares no protocol version (YYYY-MM-DD)", 422)
    if version not in SUPPORTED:
        # a newer version than this business speaks is the platform's request we cannot serve: 400 (the
        # issue's rule); an unknown older one is a profile the spec's table answers with 422
        newer = version > max(SUPPORTED)
        raise UcpError(
            "version_unsupported",
            f"Protocol version {version} is not supported. This business supports {', '.join(SUPPORTED)}.",
            400 if newer else 422,
        )
    return version


def check_header_version(header: str | None) -> None:
    """A ``version="..."`` parameter next to the profile (some platforms send one) is checked up front."""
    match = VERSION_RE.search(header or "")
    if match is not None:
        check_version(match.group(1))


async def fetch_profile(url: str, settings: Settings, cache: ProfileCache) -> dict[str, Any]:
    if not url.startswith("https://") and not (
        settings.ucp.allow_http_profiles and url.startswith("http://")
    ):
        raise UcpError("invalid_profile_url", f"platform profile {url!r} must be served over https", 400)
    if (hit := cache.get(url)) is not None:
        return hit
    try:
        async with httpx.AsyncClient(
            timeout=settings.ucp.profile_timeout_s, follow_redirects=False
        ) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise UcpError("profile_unreachable", f"could not fetch the platform profile: {exc}", 424) from exc
    if response.status_code != 200:
        raise UcpError("profile_unreachable", f"the platform profile answered {response.status_code}", 424)
    try:
        profile = response.json()
    except ValueError as exc:
        raise UcpError("profile_malformed", "the platform profile is not JSON", 422) from exc
    if not isinstance(profile, dict) or not isinstance(profile.get("ucp"), dict):
        raise UcpError("profile_malformed", "the platform profile has no ucp object", 422)
    cache.put(url, profile)
    return profile


def negotiate(url: str, profile: dict[str, Any], business: dict[str, list[dict[str, Any]]]) -> Platform:
    ucp = profile["ucp"]
    version = check_version(ucp.get("version"))
    listed = ucp.get("capabilities") if isinstance(ucp.get("capabilities"), dict) else {}
    theirs = {
        name: [e for e in entries if isinstance(e, dict)]
        for name, entries in listed.items()
        if isinstance(entries, list)
    }
    active = _intersection(business, theirs)
    webhook = None
    for entry in theirs.get("dev.ucp.shopping.order", []):
        config = entry.get("config") if isinstance(entry, dict) else None
        hook = config.get("webhook_url") if isinstance(config, dict) else None
        if isinstance(hook, str) and hook.startswith(("https://", "http://")):
            webhook = hook
    return Platform(profile_url=url, version=version, capabilities=active, webhook_url=webhook)


def _intersection(ours: dict[str, list[dict[str, Any]]], theirs: Any) -> dict[str, list[dict[str, Any]]]:
    """The spec's algorithm: shared names at the highest shared version, orphaned extensions pruned."""
    active: dict[str, list[dict[str, Any]]] = {}
    for name, entries in ours.items():
        their_versions = {e.get("version") for e in theirs.get(name, []) if isinstance(e, dict)}
        shared = sorted({e["version"] for e in entries} & their_versions)
        if shared:
            entry = next(e for e in entries if e["version"] == shared[-1])
            active[name] = [{k: v for k, v in entry.items() if k in ("version", "extends")}]
    changed = True
    while changed:
        changed = False
        for name, entries in list(active.items()):
            parents = entries[0].get("extends")
            parents = [parents] if isinstance(parents, str) else (parents or [])
            if parents and not any(p in active for p in parents):
                del active[name]
                changed = True
    return active
