"""Platform request signatures (RFC 9421, UCP Message Signatures): the platform signs with a key of its own,
published in its profile's ``signing_keys``; the store verifies every signature a request carries, refuses
one that does not verify with the spec's codes, and with ``require_signatures`` refuses unsigned requests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from elara_bot.ucp.signatures import Signer
from tests.commerce.apphelp import commerce_settings
from tests.ucp.client import CHECKOUT_SCHEMAS, UcpClient, protocol_error, valid
from tests.ucp.conftest import Platform, serve_store
from tests.ucp.test_rest_conformance import LAMPS


@pytest.fixture
def platform_key(platform: Platform) -> Signer:
    key = Signer.generate("platform-2026")
    platform.signing_keys = [key.jwk()]
    return key


def signed(
    client: UcpClient,
    key: Signer,
    method: str,
    path: str,
    body: Any = None,
    *,
    send: bytes | None = None,
    names: list[str] | None = None,
) -> httpx.Response:
    """Sign the request as the platform does, then send it (``send``: other bytes than were signed)."""
    url = f"{client.endpoint}{path}"
    raw = json.dumps(body).encode() if body is not None else b""
    headers = client.headers(str(uuid.uuid4()) if method != "GET" else None)
    if raw:
        headers["Content-Type"] = "application/json"
    headers = key.sign(method, url, headers, raw, names)
    return client.http.request(method, url, content=send if send is not None else raw, headers=headers)


def test_signed_requests_are_served_and_bad_signatures_refused(
    store: str, platform: Platform, platform_key: Signer
) -> None:
    client = UcpClient(store, platform.profile_url)
    created = signed(client, platform_key, "POST", "/checkout-sessions", LAMPS)
    assert created.status_code == 201, created.text
    checkout = valid(created.json(), CHECKOUT_SCHEMAS)
    read = signed(client, platform_key, "GET", f"/checkout-sessions/{checkout['id']}")
    assert read.status_code == 200, read.text

    tampered = json.dumps({**LAMPS, "buyer": {"email": "mallory@example.com"}}).encode()
    protocol_error(
        signed(client, platform_key, "POST", "/checkout-sessions", LAMPS, send=tampered),
        400,
        "digest_mismatch",
    )
    impostor = Signer(ec.generate_private_key(ec.SECP256R1()), platform_key.kid)  # same kid, other key
    protocol_error(signed(client, impostor, "POST", "/checkout-sessions", LAMPS), 401, "signature_invalid")
    stranger = Signer.generate("not-in-the-profile")
    protocol_error(signed(client, stranger, "POST", "/checkout-sessions", LAMPS), 401, "key_not_found")
    partial = ["@method", "@authority", "@path", "content-digest", "content-type"]  # no idempotency-key
    protocol_error(
        signed(client, platform_key, "POST", "/checkout-sessions", LAMPS, names=partial),
        401,
        "signature_invalid",
    )
    other_path = signed(client, platform_key, "GET", f"/checkout-sessions/{checkout['id']}")
    assert other_path.status_code == 200
    replayed = dict(other_path.request.headers)  # a signature for one path does not open another
    moved = client.http.get(f"{client.endpoint}/checkout-sessions/chk_other", headers=replayed)
    protocol_error(moved, 401, "signature_invalid")

    unsigned = client.call("POST", "/checkout-sessions", LAMPS)  # signatures are not required here
    assert unsigned.status_code == 201


def test_a_rotated_key_is_found_by_fetching_the_profile_again(
    store: str, platform: Platform, platform_key: Signer
) -> None:
    client = UcpClient(store, platform.profile_url)
    assert signed(client, platform_key, "POST", "/checkout-sessions", LAMPS).status_code == 201  # cached
    rotated = Signer.generate("platform-2027")
    platform.signing_keys = [platform_key.jwk(), rotated.jwk()]
    assert signed(client, rotated, "POST", "/checkout-sessions", LAMPS).status_code == 201


@pytest.fixture
def strict_store(commerce_db: str, tmp_path: Path) -> Iterator[str]:
    settings = commerce_settings(commerce_db)
    settings.ucp.require_signatures = True
    with serve_store(commerce_db, tmp_path, settings) as url:
        yield url


def test_required_signatures_refuse_unsigned_requests(
    strict_store: str, platform: Platform, platform_key: Signer
) -> None:
    client = UcpClient(strict_store, platform.profile_url)
    protocol_error(client.call("POST", "/checkout-sessions", LAMPS), 401, "signature_missing")
    protocol_error(client.call("GET", "/checkout-sessions/chk_x"), 401, "signature_missing")
    created = signed(client, platform_key, "POST", "/checkout-sessions", LAMPS)
    assert created.status_code == 201, created.text


class SigningAuth(httpx2.Auth):
    """The platform's MCP client signs each HTTP request it sends (RFC 9421 over the JSON-RPC body)."""

    requires_request_body = True

    def __init__(self, key: Signer, profile: str) -> None:
        self.key, self.profile = key, profile

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        headers = {"UCP-Agent": f'profile="{self.profile}"'}
        if request.content:
            headers["Content-Type"] = request.headers.get("content-type", "application/json")
        for name, value in self.key.sign(request.method, str(request.url), headers, request.content).items():
            request.headers[name] = value
        yield request


async def create_over_mcp(store: str, profile: str, auth: httpx2.Auth | None, meta_profile: str) -> Any:
    async with (
        httpx2.AsyncClient(auth=auth, timeout=60) as http,
        streamable_http_client(f"{store}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        meta = {"ucp-agent": {"profile": meta_profile}, "idempotency-key": str(uuid.uuid4())}
        try:  # initialize is no tool call: served unsigned even when signatures are required (a bad
            # signature on it is refused all the same)
            await session.initialize()
            return await session.call_tool("create_checkout", {"meta": meta, "checkout": LAMPS})
        except MCPError as exc:  # raised out of the session's task group otherwise
            return exc


def refused(outcome: Any) -> str:
    assert isinstance(outcome, MCPError), outcome
    assert outcome.error.code == -32000
    return str(outcome.error.data["code"])


async def test_mcp_tool_calls_are_verified_and_required_signatures_refuse_unsigned_ones(
    strict_store: str, platform: Platform, platform_key: Signer
) -> None:
    profile = platform.profile_url
    result = await create_over_mcp(strict_store, profile, SigningAuth(platform_key, profile), profile)
    assert not result.is_error
    assert valid(result.structured_content, CHECKOUT_SCHEMAS)["status"] == "incomplete"

    assert refused(await create_over_mcp(strict_store, profile, None, profile)) == "signature_missing"
    impostor = Signer(ec.generate_private_key(ec.SECP256R1()), platform_key.kid)
    forged = await create_over_mcp(strict_store, profile, SigningAuth(impostor, profile), profile)
    assert refused(forged) == "signature_invalid"
    other = f"{profile}?other=1"  # signed as this platform, acting as another
    assert refused(
        await create_over_mcp(strict_store, profile, SigningAuth(platform_key, profile), other)
    ) == ("signature_invalid")
