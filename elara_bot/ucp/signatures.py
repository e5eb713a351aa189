"""RFC 9421 HTTP Message Signatures as UCP uses them: ECDSA (ES256 required, ES384 accepted) with raw
``r||s`` signatures, a ``Content-Digest`` (RFC 9530, sha-256) over the raw body, public keys as JWKs in the
``signing_keys`` of each party's profile.

The store signs its order webhooks (``Signer``) and verifies the signatures platforms put on their requests
(``check``): the components a signature names are read from its ``Signature-Input``, and it must cover what
the spec requires of a request (method, authority, path; the query, ``UCP-Agent`` and ``Idempotency-Key``
when present; ``Content-Digest`` and ``Content-Type`` when there is a body). Failures carry the spec's
codes: ``signature_invalid`` / ``key_not_found`` / ``signature_missing`` (401), ``digest_mismatch`` /
``algorithm_unsupported`` (400)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from elara_bot.config import Settings
from elara_bot.ucp.negotiation import ProfileCache, UcpError, fetch_profile

CURVES: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm, int]] = {
    "P-256": (ec.SECP256R1(), hashes.SHA256(), 32),
    "P-384": (ec.SECP384R1(), hashes.SHA384(), 48),
}
LABEL_RE = re.compile(r'\s*([a-z*][a-z0-9_.*-]*)=\(([^)]*)\)((?:;[a-z*][a-z0-9_.*-]*=(?:"[^"]*"|[^;,\s]*))*)')
COMPONENT_RE = re.compile(r'"([^"]+)"')
KEYID_RE = re.compile(r';keyid="([^"]*)"')


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def digest(body: bytes) -> str:
    return f"sha-256=:{_b64(hashlib.sha256(body).digest())}:"


def components_for(url: str, headers: Mapping[str, str], body: bytes) -> list[str]:
    """What a UCP request signature covers (the spec's REST request signing table)."""
    lower = {k.lower() for k in headers}
    names = ["@method", "@authority", "@path"]
    if urlsplit(url).query:
        names.append("@query")
    names += [h for h in ("ucp-agent", "idempotency-key") if h in lower]
    if body:
        names += ["content-digest", "content-type"]
    return names


def _value(name: str, method: str, url: str, headers: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    derived = {
        "@method": method.upper(),
        "@authority": parts.netloc.lower(),
        "@path": parts.path or "/",
        "@query": f"?{parts.query}",
        "@target-uri": url,
        "@scheme": parts.scheme.lower(),
    }
    if name.startswith("@"):
        if name not in derived:
            raise UcpError("signature_invalid", f"unsupported signature component {name}", 401)
        return derived[name]
    value = next((v for k, v in headers.items() if k.lower() == name), None)
    if value is None:
        raise UcpError("signature_invalid", f"the signed header {name} is not in the request", 401)
    return value.strip()


def _base(method: str, url: str, headers: Mapping[str, str], names: list[str], params: str) -> bytes:
    lines = [f'"{name}": {_value(name, method, url, headers)}' for name in names]
    return ("\n".join(lines) + f'\n"@signature-params": {params}').encode()


@dataclass
class Signer:
    key: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def generate(cls, kid: str) -> Signer:
        return cls(ec.generate_private_key(ec.SECP256R1()), kid)

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """The configured P-256 key (PEM), or a fresh one for this process (development: the profile
        publishes whichever is in use)."""
        pem = settings.ucp.signing_key
        if pem is None:
            return cls.generate(settings.ucp.signing_kid)
        key = serialization.load_pem_private_key(pem.get_secret_value().encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("ELARA_UCP__SIGNING_KEY must be a P-256 (ES256) private key in PEM")
        return cls(key, settings.ucp.signing_kid)

    def jwk(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "kid": self.kid,
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
            "use": "sig",
            "alg": "ES256",
        }

    def sign(
        self, method: str, url: str, headers: dict[str, str], body: bytes, names: list[str] | None = None
    ) -> dict[str, str]:
        """``headers`` plus Content-Digest (with a body), Signature-Input and Signature over ``names``
        (by default what the spec asks a request's signature to cover)."""
        signed = {**headers, "Content-Digest": digest(body)} if body else dict(headers)
        names = names if names is not None else components_for(url, signed, body)
        listed = " ".join(f'"{c}"' for c in names)
        params = f'({listed});created={int(time.time())};keyid="{self.kid}"'
        der = self.key.sign(_base(method, url, signed, names, params), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return {**signed, "Signature-Input": f"sig1={params}", "Signature": f"sig1=:{_b64(raw)}:"}


def signer_for(state: Any, settings: Settings) -> Signer:
    """The app's signer (``app.state``), made on first use."""
    signer = getattr(state, "ucp_signer", None)
    if not isinstance(signer, Signer):
        signer = state.ucp_signer = Signer.from_settings(settings)
    return signer


@dataclass
class Signature:
    label: str
    names: list[str]
    params: str  # the serialized inner list and its parameters, as signed
    keyid: str | None
    value: bytes


def parse(headers: Mapping[str, str]) -> Signature | None:
    """The request's (first) signature, or None when it carries neither header."""
    lower = {k.lower(): v for k, v in headers.items()}
    sig_input, sig = lower.get("signature-input"), lower.get("signature")
    if sig_input is None and sig is None:
        return None
    if not sig_input or not sig:
        raise UcpError("signature_invalid", "Signature-Input and Signature must come together", 401)
    match = LABEL_RE.match(sig_input)
    if match is None:
        raise UcpError("signature_invalid", "Signature-Input is not an RFC 9421 signature input", 401)
    label, inner, tail = match.groups()
    value = re.search(rf"(?:^|,)\s*{re.escape(label)}=:([A-Za-z0-9+/=]*):", sig)
    if value is None:
        raise UcpError("signature_invalid", f"no Signature for the label {label!r}", 401)
    try:
        raw = base64.b64decode(value.group(1), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UcpError("signature_invalid", "the Signature value is not base64", 401) from exc
    keyid = KEYID_RE.search(tail)
    names = COMPONENT_RE.findall(inner)
    return Signature(label, names, f"({inner}){tail}", keyid.group(1) if keyid else None, raw)


def _public_key(jwk: dict[str, Any]) -> tuple[ec.EllipticCurvePublicKey, hashes.HashAlgorithm, int]:
    if jwk.get("kty") != "EC" or jwk.get("crv") not in CURVES:
        raise UcpError("algorithm_unsupported", "signing keys must be EC P-256 (ES256) or P-384 (ES384)", 400)
    curve, algorithm, size = CURVES[str(jwk["crv"])]
    try:
        x = int.from_bytes(base64.urlsafe_b64decode(str(jwk["x"]) + "=="), "big")
        y = int.from_bytes(base64.urlsafe_b64decode(str(jwk["y"]) + "=="), "big")
        return ec.EllipticCurvePublicNumbers(x, y, curve).public_key(), algorithm, size
    except (KeyError, ValueError, binascii.Error) as exc:
        raise UcpError(
            "signature_invalid", f"signing key {jwk.get('kid')!r} is not a valid EC key", 401
        ) from exc


def _covers_request(names: list[str], url: str, headers: Mapping[str, str], body: bytes) -> None:
    missing = [name for name in components_for(url, headers, body) if name not in names]
    if missing:
        raise UcpError("signature_invalid", f"the signature does not cover {', '.join(missing)}", 401)


def check(
    keys: list[Any],
    method: str,
    urls: list[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    request: bool = True,
) -> None:
    """Verify the signature on a message signed with one of ``keys`` (the signer's ``signing_keys``);
    ``urls`` are the addresses the message may have been signed for (behind a proxy: the public one and
    the one received). Raises ``UcpError`` with the spec's code; returns when it verifies."""
    found = parse(headers)
    if found is None:
        raise UcpError("signature_missing", "this request must carry an RFC 9421 signature", 401)
    jwk = next((k for k in keys if isinstance(k, dict) and k.get("kid") == found.keyid), None)
    if jwk is None:
        raise UcpError("key_not_found", f"no key kid={found.keyid!r} in the signer's signing_keys", 401)
    public, algorithm, size = _public_key(jwk)
    if request:
        _covers_request(found.names, urls[0], headers, body)
    if body or "content-digest" in found.names:
        sent = next((v for k, v in headers.items() if k.lower() == "content-digest"), "")
        if digest(body) not in [part.strip() for part in sent.split(",")]:
            raise UcpError("digest_mismatch", "Content-Digest does not match the body", 400)
    if len(found.value) != 2 * size:
        raise UcpError("signature_invalid", f"signature for kid={found.keyid} has the wrong length", 401)
    r = int.from_bytes(found.value[:size], "big")
    s = int.from_bytes(found.value[size:], "big")
    der = encode_dss_signature(r, s)
    for url in dict.fromkeys(urls):
        try:
            base = _base(method, url, headers, found.names, found.params)
            public.verify(der, base, ec.ECDSA(algorithm))
            return
        except InvalidSignature:
            continue
    raise UcpError("signature_invalid", f"signature verification failed for key kid={found.keyid}", 401)


def verify(jwk: dict[str, Any], method: str, url: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiving side's yes/no check of a signed message (a platform checking the store's webhook)."""
    try:
        check([jwk], method, [url], headers, body, request=False)
    except UcpError:
        return False
    return True


async def check_platform_request(
    settings: Settings,
    cache: ProfileCache,
    profile_url: str,
    profile: dict[str, Any],
    method: str,
    urls: list[str],
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """A platform's request: its signature (when it carries one, or always with ``require_signatures``)
    verified with the keys of its profile. A key id the cached profile lacks fetches the profile once
    more (the platform may have rotated its keys since)."""
    if parse(headers) is None and not settings.ucp.require_signatures:
        return
    try:
        check(_keys(profile), method, urls, headers, body)
    except UcpError as exc:
        if exc.code != "key_not_found":
            raise
        cache.entries.pop(profile_url, None)
        fresh = await fetch_profile(profile_url, settings, cache)
        check(_keys(fresh), method, urls, headers, body)


def _keys(profile: dict[str, Any]) -> list[Any]:
    keys = profile.get("signing_keys")
    return keys if isinstance(keys, list) else []
