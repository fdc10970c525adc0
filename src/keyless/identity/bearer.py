"""Checking keyless's own bearer tokens on Graph and ARM: signature, issuer, audience, lifetime."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from keyless.identity.keys import KeyRing
from keyless.identity.tokens import v1_issuer, v2_issuer


class BearerError(Exception):
    """Why a bearer token was refused; `reason` is one of: missing, malformed, signature, issuer, audience,
    expired, not_yet_valid."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Caller:
    object_id: str
    app_id: str
    roles: frozenset[str]
    claims: dict[str, Any]


class BearerValidator:
    def __init__(self, keys: KeyRing, tenant_id: str, audiences: frozenset[str]) -> None:
        self.keys = keys
        self.issuers = (v1_issuer(tenant_id), v2_issuer(tenant_id))
        self.audiences = audiences

    def validate(self, authorization: str | None) -> Caller:
        if not authorization:
            raise BearerError("missing", "The 'Authorization' header is missing.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BearerError("malformed", "The 'Authorization' header is invalid; expected 'Bearer <token>'.")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise BearerError("malformed", f"The access token is not a JWT: {exc}.") from exc
        key = self.keys.public_key(str(header.get("kid", "")))
        if key is None or header.get("alg") != "RS256":
            raise BearerError("signature", "The access token has an invalid signature: its key is not keyless's.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                options={"verify_aud": False, "verify_iss": False, "require": ["exp", "nbf", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise BearerError("expired", "The access token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise BearerError("not_yet_valid", "The access token is not yet valid.") from exc
        except jwt.PyJWTError as exc:
            raise BearerError("signature", f"The access token is invalid: {exc}.") from exc
        if claims.get("iss") not in self.issuers:
            raise BearerError(
                "issuer", f"The access token's issuer '{claims.get('iss')}' is not one of {list(self.issuers)}."
            )
        if claims.get("aud") not in self.audiences:
            raise BearerError(
                "audience",
                f"The access token has audience '{claims.get('aud')}'; this service accepts {sorted(self.audiences)}.",
            )
        return Caller(
            object_id=str(claims.get("oid", "")),
            app_id=str(claims.get("appid") or claims.get("azp") or ""),
            roles=frozenset(claims.get("roles") or ()),
            claims=claims,
        )
