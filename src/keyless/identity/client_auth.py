"""Authenticating a confidential client: a secret, or a certificate-signed client assertion (RFC 7523)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Protocol

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from keyless.identity import errors

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class ClientDirectory(Protocol):
    """What authenticating a client reads: `Directory` itself, or `tokens.DirectoryReads` (cached)."""

    @property
    def tenant_id(self) -> str: ...

    async def get_application_by_app_id(self, app_id: str) -> dict[str, Any] | None: ...

    async def find_service_principal_by_app_id(self, app_id: str) -> dict[str, Any] | None: ...

    async def check_secret(self, app_id: str, secret: str) -> str: ...


def _b64_any(text: str) -> bytes:
    """x5t arrives in standard base64 with padding (msal) or base64url without (others)."""
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError):
        return b""


def _certificates(app: dict[str, Any]) -> list[x509.Certificate]:
    certs = []
    for cred in app.get("keyCredentials") or []:
        if cred.get("type") not in (None, "AsymmetricX509Cert") or cred.get("usage") not in (None, "Verify"):
            continue
        raw = cred.get("key")
        if not isinstance(raw, str):
            continue
        try:
            data = base64.b64decode(raw)
            cert = (
                x509.load_pem_x509_certificate(data)
                if data.lstrip().startswith(b"-----")
                else x509.load_der_x509_certificate(data)
            )
        except (ValueError, binascii.Error):
            continue
        certs.append(cert)
    return certs


async def authenticate(
    directory: ClientDirectory, form: dict[str, str], *, client_id: str, token_endpoints: set[str]
) -> dict[str, Any]:
    """The client's service principal, or an AADSTS error saying exactly what failed."""
    tenant = directory.tenant_id
    app = await directory.get_application_by_app_id(client_id)
    if app is None:
        raise errors.application_not_found(client_id, tenant)
    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    if secret is not None:
        verdict = await directory.check_secret(client_id, secret)
        if verdict == "expired":
            raise errors.expired_client_secret(client_id)
        if verdict != "ok":
            raise errors.invalid_client_secret(client_id)
    elif assertion is not None:
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise errors.AadstsError(50027, "invalid_request", f"client_assertion_type must be '{ASSERTION_TYPE}'.")
        _verify_assertion(app, assertion, client_id, token_endpoints)
    else:
        raise errors.missing_client_credential()
    sp = await directory.find_service_principal_by_app_id(client_id)
    if sp is None:
        raise errors.AadstsError(
            7000229,
            "invalid_client",
            f"The client application {client_id} is missing service principal in the tenant {tenant}. See "
            "instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
            status=401,  # invalid_client answers 401, as for 7000215 (RFC 6749 §5.2)
        )
    if sp.get("accountEnabled") is False:
        raise errors.disabled_principal(client_id)
    return sp


def _verify_assertion(app: dict[str, Any], assertion: str, client_id: str, token_endpoints: set[str]) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise errors.invalid_client_assertion(f"The assertion is not a JWT: {exc}.") from exc
    if header.get("alg") not in ("RS256", "PS256"):
        raise errors.invalid_client_assertion(f"Algorithm '{header.get('alg')}' is not allowed; use RS256 or PS256.")
    certs = _certificates(app)
    cert = None
    if "x5t#S256" in header:
        wanted = _b64_any(str(header["x5t#S256"]))
        cert = next((c for c in certs if c.fingerprint(hashes.SHA256()) == wanted), None)
    elif "x5t" in header:
        wanted = _b64_any(str(header["x5t"]))
        cert = next(
            (c for c in certs if hashlib.sha1(c.public_bytes(serialization.Encoding.DER)).digest() == wanted),  # noqa: S324
            None,
        )
    else:
        raise errors.invalid_client_assertion("The assertion header has neither 'x5t' nor 'x5t#S256'.")
    if cert is None:
        raise errors.AadstsError(
            700027,
            "invalid_client",
            f"Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key "
            f"used by client: '{_b64_any(str(header.get('x5t') or header.get('x5t#S256'))).hex().upper()}', "
            f"Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app "
            f"Id '{client_id}'.]",
            status=401,
        )
    try:
        claims = jwt.decode(
            assertion,
            cert.public_key(),  # type: ignore[arg-type]
            algorithms=["RS256", "PS256"],
            audience=sorted(token_endpoints),
            options={"require": ["exp", "aud", "iss", "sub"]},
            leeway=300,
        )
    except jwt.InvalidAudienceError as exc:
        raise errors.AadstsError(
            700212,
            "invalid_client",
            f"No matching federated identity record found for presented assertion audience. The audience must be "
            f"one of {sorted(token_endpoints)}.",
            status=401,
        ) from exc
    except jwt.ExpiredSignatureError as exc:
        raise errors.AadstsError(
            700024, "invalid_client", "Client assertion is not within its valid time range.", status=401
        ) from exc
    except jwt.PyJWTError as exc:
        raise errors.invalid_client_assertion(str(exc)) from exc
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise errors.AadstsError(
            700023,
            "invalid_client",
            f"Client assertion audience claim does not match Realm issuer. 'iss' and 'sub' must both be the "
            f"client id '{client_id}'.",
            status=401,
        )
