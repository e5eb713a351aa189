"""Platform request signatures (RFC 9421, UCP Message Signatures): the platform signs with a key of its own,
published in its profile's ``signing_keys``; the store verifies every signature a request carries, refuses
one that does not verify with the spec's codes, and with ``require_signatures`` refuses unsigned requests."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

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
