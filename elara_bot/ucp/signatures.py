"""RFC 9421 HTTP Message Signatures as UCP uses them: ES256 (P-256, SHA-256, raw ``r||s``), a
``Content-Digest`` (RFC 9530) over the raw body, the key published as a JWK in ``signing_keys`` of the
store's profile. The store signs its order webhooks; ``verify`` is the receiving side's check."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from elara_bot.config import Settings

ALG = "ecdsa-p256-sha256"
COMPONENTS = ("@method", "@authority", "@path", "ucp-agent", "content-digest", "content-type")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def digest(body: bytes) -> str:
    return f"sha-256=:{_b64(hashlib.sha256(body).digest())}:"


def _base(method: str, url: str, headers: dict[str, str], params: str) -> bytes:
    parts = urlsplit(url)
    values = {
        "@method": method.upper(),
        "@authority": parts.netloc.lower(),
        "@path": parts.path or "/",
        **{k.lower(): v for k, v in headers.items()},
    }
    lines = [f'"{name}": {values[name]}' for name in COMPONENTS]
    return ("\n".join(lines) + f'\n"@signature-params": {params}').encode()


@dataclass
class Signer:
    key: ec.EllipticCurvePrivateKey
    kid: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        """The configured P-256 key (PEM), or a fresh one for this process (development: the profile
        publishes whichever is in use)."""
        pem = settings.ucp.signing_key
        if pem is None:
            return cls(ec.generate_private_key(ec.SECP256R1()), settings.ucp.signing_kid)
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

    def sign(self, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, str]:
        """``headers`` (with UCP-Agent and Content-Type) plus Content-Digest, Signature-Input, Signature."""
        signed = {**headers, "Content-Digest": digest(body)}
        names = " ".join(f'"{c}"' for c in COMPONENTS)
        params = f'({names});created={int(time.time())};keyid="{self.kid}";alg="{ALG}"'
        der = self.key.sign(_base(method, url, signed, params), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return {**signed, "Signature-Input": f"sig1={params}", "Signature": f"sig1=:{_b64(raw)}:"}


def signer_for(state: Any, settings: Settings) -> Signer:
    """The app's signer (``app.state``), made on first use."""
    signer = getattr(state, "ucp_signer", None)
    if not isinstance(signer, Signer):
        signer = state.ucp_signer = Signer.from_settings(settings)
    return signer


def verify(jwk: dict[str, Any], method: str, url: str, headers: dict[str, str], body: bytes) -> bool:
    """The platform's check of a signed webhook: digest, then the ES256 signature over the base."""
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("content-digest") != digest(body):
        return False
    params = lower.get("signature-input", "").removeprefix("sig1=")
    value = lower.get("signature", "").removeprefix("sig1=:").removesuffix(":")
    raw = base64.b64decode(value)
    x = int.from_bytes(base64.urlsafe_b64decode(jwk["x"] + "=="), "big")
    y = int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "=="), "big")
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, _base(method, url, lower, params), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
