"""APIM's `Jwt` and `BasicAuthCredentials`, with the string extensions AsJwt/TryParseJwt/AsBasic/TryParseBasic."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from keyless.csharp.dotnet.datetime import TICKS_PER_SECOND, UNIX_EPOCH, DateTime
from keyless.csharp.errors import argument_null
from keyless.csharp.members import DotNetType, Ref, builtin_members, define_type, generic, register_extension


class ClaimsDictionary(dict):  # type: ignore[type-arg]
    """`Jwt.Claims`: claim name -> string[]; GetValueOrDefault joins multiple values with commas, as APIM does."""

    __dotnet_name__ = "System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.String[]]"


@generic
def _claims_get(type_args: tuple[Any, ...], claims: ClaimsDictionary, name: Any, default: Any = None) -> Any:
    if name is None:
        raise argument_null("key")
    values = claims.get(name)
    return ",".join(values) if values is not None else default


builtin_members(ClaimsDictionary, {"GetValueOrDefault": _claims_get})


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _claim_text(v: Any) -> str:
    """A claim value as System.IdentityModel gives it: strings as-is, other JSON values as JSON text."""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"))


def _time(payload: dict[str, Any], name: str) -> DateTime | None:
    v = payload.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return DateTime.of(UNIX_EPOCH + int(v) * TICKS_PER_SECOND, 1)


class Jwt:
    __dotnet_name__ = "Jwt"

    def __init__(self, header: dict[str, Any], payload: dict[str, Any]) -> None:
        self.Algorithm = header.get("alg")
        self.Type = header.get("typ")
        aud = payload.get("aud")
        self.Audiences = (
            [_claim_text(a) for a in aud] if isinstance(aud, list) else ([] if aud is None else [_claim_text(aud)])
        )
        claims = ClaimsDictionary()
        for k, v in payload.items():
            claims[k] = [_claim_text(x) for x in v] if isinstance(v, list) else [_claim_text(v)]
        self.Claims = claims
        self.ExpirationTime = _time(payload, "exp")
        self.IssuedAt = _time(payload, "iat")
        self.NotBefore = _time(payload, "nbf")
        self.Id = payload.get("jti")
        self.Issuer = payload.get("iss")
        self.Subject = payload.get("sub")


def parse_jwt(value: str | None) -> Jwt | None:
    """A compact JWS/JWT (or `Bearer <jwt>`) as a Jwt; None when it is not one. The signature is not checked."""
    if value is None:
        return None
    s = value.strip()
    if s[:7].lower() == "bearer ":
        s = s[7:].strip()
    parts = s.split(".")
    if len(parts) not in (3, 5):
        return None
    try:
        header = json.loads(_b64url(parts[0]))
        payload = json.loads(_b64url(parts[1])) if len(parts) == 3 else {}
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return Jwt(header, payload)


class BasicAuthCredentials:
    __dotnet_name__ = "BasicAuthCredentials"

    def __init__(self, user_id: str, password: str) -> None:
        self.UserId = user_id
        self.Password = password


def parse_basic(value: str | None) -> BasicAuthCredentials | None:
    """An `Authorization: Basic <base64(user:password)>` value as credentials; None otherwise."""
    if value is None:
        return None
    s = value.strip()
    if s[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(s[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    if ":" not in decoded:
        return None
    user, _, password = decoded.partition(":")
    return BasicAuthCredentials(user, password)


def _try(parse: Any) -> Any:
    def try_parse(value: str, out: Ref) -> bool:
        out.value = parse(value)
        return out.value is not None

    return try_parse


register_extension(str, "AsJwt", parse_jwt)
register_extension(str, "TryParseJwt", _try(parse_jwt))
register_extension(str, "AsBasic", parse_basic)
register_extension(str, "TryParseBasic", _try(parse_basic))
define_type(DotNetType("Jwt", "Jwt", (Jwt,)))
define_type(DotNetType("BasicAuthCredentials", "BasicAuthCredentials", (BasicAuthCredentials,)))
