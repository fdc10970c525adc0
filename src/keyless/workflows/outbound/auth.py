"""The Http action's `authentication` object: validation, the credential it puts on a request, and its
sanitized form for the run history.

Type names and properties as the designer writes them (UX-AUTH, reference §3.1). ManagedServiceIdentity and
ActiveDirectoryOAuth get their tokens from keyless's identity service through the run host.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from keyless.workflows.host import HttpRequest, RunHost

DEFAULT_MSI_AUDIENCE = "https://management.azure.com/"
SANITIZED = "*sanitized*"  # what Logic Apps shows in place of a secret in run-history inputs


@dataclass(frozen=True)
class _Shape:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    secrets: tuple[str, ...]


# Canonical type name -> its properties (besides `type`).
SHAPES: dict[str, _Shape] = {
    "None": _Shape((), (), ()),
    "Basic": _Shape(("username", "password"), (), ("password",)),
    "ClientCertificate": _Shape(("pfx",), ("password",), ("pfx", "password")),
    "ActiveDirectoryOAuth": _Shape(
        ("tenant", "audience", "clientId"),
        ("secret", "pfx", "password", "authority", "credentialType"),
        ("secret", "pfx", "password"),
    ),
    "Raw": _Shape(("value",), (), ("value",)),
    "ManagedServiceIdentity": _Shape((), ("audience", "identity"), ()),
}
_BY_LOWER = {name.lower(): name for name in SHAPES}


class AuthenticationError(ValueError):
    """An invalid `authentication` object; `field` is the member at fault ('' for the object itself)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def validate(auth: Any) -> str:
    """Check an (evaluated or constant) authentication object; returns its canonical type name."""
    if not isinstance(auth, dict):
        raise AuthenticationError("", "The 'authentication' must be an object with a 'type'.")
    kind = auth.get("type")
    canonical = _BY_LOWER.get(kind.lower()) if isinstance(kind, str) else None
    if canonical is None:
        raise AuthenticationError(
            "type", f"The authentication type '{kind}' is not supported; expected one of {', '.join(SHAPES)}."
        )
    shape = SHAPES[canonical]
    allowed = {"type", *shape.required, *shape.optional}
    for key in auth:
        if key not in allowed:
            raise AuthenticationError(key, f"The authentication property '{key}' is not valid for type '{canonical}'.")
    for key in shape.required:
        if auth.get(key) in (None, ""):
            raise AuthenticationError(key, f"The authentication of type '{canonical}' needs a '{key}'.")
    for key in auth:
        if key != "type" and auth[key] is not None and not isinstance(auth[key], str):
            raise AuthenticationError(key, f"The authentication property '{key}' must be a string.")
    if canonical == "ActiveDirectoryOAuth" and not auth.get("secret") and not auth.get("pfx"):
        raise AuthenticationError(
            "secret", "The authentication of type 'ActiveDirectoryOAuth' needs a 'secret' or a 'pfx'."
        )
    return canonical


def sanitized(auth: Any) -> Any:
    """The object as run-history inputs show it: secret members replaced by `*sanitized*`."""
    if not isinstance(auth, dict):
        return auth
    kind = auth.get("type")
    canonical = _BY_LOWER.get(kind.lower()) if isinstance(kind, str) else None
    secrets = SHAPES[canonical].secrets if canonical else ("password", "secret", "pfx", "value")
    return {k: (SANITIZED if k in secrets and v not in (None, "") else v) for k, v in auth.items()}


async def apply(auth: dict[str, Any], request: HttpRequest, host: RunHost) -> None:
    """Put the credential on the request: an Authorization header or the client certificate."""
    kind = validate(auth)
    if kind == "None":
        return
    if kind == "Basic":
        pair = f"{auth['username']}:{auth['password']}".encode()
        _authorize(request, "Basic " + base64.b64encode(pair).decode("ascii"))
    elif kind == "Raw":
        _authorize(request, auth["value"])
    elif kind == "ClientCertificate":
        request.client_certificate = (_pfx(auth["pfx"]), auth.get("password") or None)
    elif kind == "ManagedServiceIdentity":
        audience = auth.get("audience") or DEFAULT_MSI_AUDIENCE
        token = await host.managed_identity_token(audience, auth.get("identity") or None)
        _authorize(request, "Bearer " + token)
    elif kind == "ActiveDirectoryOAuth":
        pfx = _pfx(auth["pfx"]) if auth.get("pfx") else None
        token = await host.client_credentials_token(
            auth.get("authority") or None,
            auth["tenant"],
            auth["audience"],
            auth["clientId"],
            auth.get("secret") or None,
            pfx,
            auth.get("password") or None,
        )
        _authorize(request, "Bearer " + token)


def _authorize(request: HttpRequest, value: str) -> None:
    for name in [n for n in request.headers if n.lower() == "authorization"]:
        del request.headers[name]  # the authentication object wins over a hand-written header
    request.headers["Authorization"] = value


def _pfx(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise AuthenticationError("pfx", "The authentication 'pfx' must be a base64-encoded PFX.") from None
