"""Token signing keys: persisted, published as JWKS, rotated without breaking tokens in flight.

Rotation follows Entra's habit of publishing a key before it signs: there is always one `active` key
(signs) and one `next` key (published only). `rotate()` promotes `next`, retires the old `active` (it
stays published until the last token it signed has expired) and makes a new `next`.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from dataclasses import dataclass

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, select

from keyless.platform import clock
from keyless.platform.ids import b64url
from keyless.platform.models import SigningKey
from keyless.platform.store import Store

# The longest token keyless issues (managed identity, about 24 h) plus clock skew.
MAX_TOKEN_LIFETIME = 86_400 + 600
# Nodes sharing a store re-read the key states this often, so one node's rotation reaches the others.
KEY_REFRESH_SECONDS = 60.0


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_key: rsa.RSAPrivateKey
    certificate_der: bytes
    state: str
    unpublish_after: float | None

    def jwk(self, issuer: str | None = None) -> dict[str, object]:
        numbers = self.private_key.public_key().public_numbers()
        key: dict[str, object] = {
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
            "x5c": [base64.b64encode(self.certificate_der).decode("ascii")],
        }
        if issuer is not None:
            key["issuer"] = issuer
        return key


def _make_key() -> tuple[str, bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.accesscontrol.windows.net")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1825))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = b64url(hashlib.sha1(der).digest())  # noqa: S324 - x5t is SHA-1 by definition
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return kid, pem, der


class KeyRing:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.keys: list[KeyPair] = []
        self.active: KeyPair | None = None
        self.refreshed_at = 0.0

    async def load(self) -> None:
        async with self.store.transaction() as session:
            rows = (await session.scalars(select(SigningKey))).all()
            states = {row.state for row in rows}
            now = clock.now()
            if "active" not in states:
                session.add(self._row("active"))
            if "next" not in states:
                session.add(self._row("next"))
            await session.execute(
                delete(SigningKey).where(SigningKey.state == "retired", SigningKey.unpublish_after < now)
            )
        await self.refresh()

    def _row(self, state: str) -> SigningKey:
        kid, pem, der = _make_key()
        return SigningKey(kid=kid, private_key_pem=pem, certificate_der=der, state=state, created=clock.now())

    async def refresh(self) -> None:
        """Re-read the key states; only keys not seen before are parsed (a PEM load costs tens of ms)."""
        known = {k.kid: k for k in self.keys}
        async with self.store.session() as session:
            states = (
                await session.execute(
                    select(SigningKey.kid, SigningKey.state, SigningKey.unpublish_after).order_by(SigningKey.created)
                )
            ).all()
            new = [kid for kid, _, _ in states if kid not in known]
            rows = (await session.scalars(select(SigningKey).where(SigningKey.kid.in_(new)))).all() if new else []
        for row in rows:
            known[row.kid] = KeyPair(
                kid=row.kid,
                private_key=serialization.load_pem_private_key(row.private_key_pem, None),  # type: ignore[arg-type]
                certificate_der=row.certificate_der,
                state=row.state,
                unpublish_after=row.unpublish_after,
            )
        keys = [
            dataclasses.replace(known[kid], state=state, unpublish_after=unpublish_after)
            for kid, state, unpublish_after in states
        ]
        self.active = next(k for k in keys if k.state == "active")
        self.keys = keys
        self.refreshed_at = clock.now()

    async def ensure_fresh(self) -> None:
        """Refresh when the states are older than KEY_REFRESH_SECONDS (another node may have rotated)."""
        if clock.now() - self.refreshed_at >= KEY_REFRESH_SECONDS:
            await self.refresh()

    async def rotate(self) -> dict[str, str]:
        """Promote the published `next` key; keep the old one published until its tokens expire."""
        async with self.store.transaction() as session:
            rows = (await session.scalars(select(SigningKey))).all()
            old = next(r for r in rows if r.state == "active")
            new = next(r for r in rows if r.state == "next")
            old.state = "retired"
            old.unpublish_after = clock.now() + MAX_TOKEN_LIFETIME
            new.state = "active"
            upcoming = self._row("next")
            session.add(upcoming)
            result = {"retired": old.kid, "active": new.kid, "next": upcoming.kid}
        await self.refresh()
        return result

    def published(self) -> list[KeyPair]:
        now = clock.now()
        return [k for k in self.keys if k.unpublish_after is None or k.unpublish_after > now]

    def jwks(self, issuer: str | None = None) -> dict[str, list[dict[str, object]]]:
        return {"keys": [k.jwk(issuer) for k in self.published()]}

    def sign(self, claims: dict[str, object], *, x5t: bool) -> str:
        assert self.active is not None
        headers: dict[str, object] = {"typ": "JWT", "kid": self.active.kid}
        if x5t:
            headers = {"typ": "JWT", "x5t": self.active.kid, "kid": self.active.kid}
        return jwt.encode(claims, self.active.private_key, algorithm="RS256", headers=headers)

    def public_key(self, kid: str) -> rsa.RSAPublicKey | None:
        for key in self.published():
            if key.kid == kid:
                return key.private_key.public_key()
        return None
