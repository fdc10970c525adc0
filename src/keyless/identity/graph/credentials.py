"""Certificate credentials as Graph keeps them: metadata read from the certificate, and addKey's proof of possession."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import UTC, datetime
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from keyless.identity.graph import errors
from keyless.platform.ids import new_guid

# addKey's proof must name AAD Graph as its audience (Graph docs, application-addkey.md).
PROOF_AUDIENCE = "00000002-0000-0000-c000-000000000000"
PROOF_MAX_LIFETIME = 600


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_certificate(key: str) -> x509.Certificate:
    """`key` is base64 of a DER certificate (or of a PEM one, as some tools send)."""
    try:
        data = base64.b64decode(key, validate=True)
        if data.lstrip().startswith(b"-----"):
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except (ValueError, binascii.Error) as exc:
        raise errors.bad_request(
            "Invalid certificate: Key value is invalid certificate (keyless: 'key' must be base64 of an X.509 "
            "certificate)."
        ) from exc


def _thumbprint(cert: x509.Certificate) -> bytes:
    return hashlib.sha1(cert.public_bytes(serialization.Encoding.DER)).digest()  # noqa: S324 - Entra's thumbprint


def key_credential(entry: dict[str, Any], existing: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A stored keyCredential from a request entry; an entry naming an existing keyId without a key keeps that key."""
    key_id = entry.get("keyId")
    key = entry.get("key")
    if key is None:
        if key_id in existing:
            return {**existing[key_id], **{k: v for k, v in entry.items() if k == "displayName" and v is not None}}
        raise errors.bad_request(
            "Invalid certificate: Key value is invalid certificate (keyless: a new keyCredential needs 'key')."
        )
    kind = entry.get("type") or "AsymmetricX509Cert"
    usage = entry.get("usage") or "Verify"
    if kind != "AsymmetricX509Cert" or usage != "Verify":
        raise errors.bad_request(
            f"keyless supports keyCredentials of type 'AsymmetricX509Cert' with usage 'Verify' only, not type "
            f"'{kind}' with usage '{usage}'."
        )
    cert = load_certificate(key)
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    start = parse_time(entry.get("startDateTime")) or not_before
    end = parse_time(entry.get("endDateTime")) or not_after
    if end > not_after or start < not_before or end <= start:
        raise errors.bad_request(
            "Key credential end date is invalid. (keyless: startDateTime/endDateTime must lie within the "
            f"certificate's validity, {_iso(not_before)} to {_iso(not_after)}.)"
        )
    return {
        "customKeyIdentifier": entry.get("customKeyIdentifier") or base64.b64encode(_thumbprint(cert)).decode(),
        "displayName": entry.get("displayName") or cert.subject.rfc4514_string(),
        "endDateTime": _iso(end),
        "key": key,
        "keyId": key_id or new_guid(),
        "startDateTime": _iso(start),
        "type": kind,
        "usage": usage,
    }


def parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC) if text else None


def verify_proof(app: dict[str, Any], proof: str | None) -> None:
    """addKey/removeKey: a JWT signed by one of the application's current certificates, iss = its object id."""
    if not proof:
        raise errors.bad_request("The 'proof' parameter is required: a JWT signed by a current certificate of the app.")
    now = datetime.now(UTC)
    certs = []
    for cred in app.get("keyCredentials") or []:
        try:
            cert = load_certificate(cred["key"])
        except errors.GraphError:
            continue
        if (parse_time(cred.get("endDateTime")) or cert.not_valid_after_utc) > now:
            certs.append(cert)
    if not certs:
        raise errors.bad_request(
            "Authentication_MissingOrMalformed: the application has no valid certificate to prove possession of; "
            "use PATCH /applications/{id} to set keyCredentials instead."
        )
    try:
        header = jwt.get_unverified_header(proof)
    except jwt.PyJWTError as exc:
        raise _proof_error(f"the proof is not a JWT ({exc})") from exc
    candidates = certs
    if "x5t" in header:
        wanted = str(header["x5t"])
        candidates = [
            c
            for c in certs
            if _b64url(_thumbprint(c)) == wanted.rstrip("=") or base64.b64encode(_thumbprint(c)).decode() == wanted
        ]
    for cert in candidates:
        try:
            claims = jwt.decode(
                proof,
                cert.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=PROOF_AUDIENCE,
                options={"require": ["aud", "iss", "nbf", "exp"]},
            )
        except jwt.InvalidSignatureError:
            continue
        except jwt.PyJWTError as exc:
            raise _proof_error(str(exc)) from exc
        if claims["iss"] != app["id"]:
            raise _proof_error(f"'iss' must be the application's object id {app['id']}, not '{claims['iss']}'")
        if int(claims["exp"]) - int(claims["nbf"]) > PROOF_MAX_LIFETIME:
            raise _proof_error("'exp' may be at most 10 minutes after 'nbf'")
        return
    raise _proof_error("it is not signed by a current certificate of the application")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _proof_error(why: str) -> errors.GraphError:
    return errors.GraphError(
        400, "Authentication_MissingOrMalformed", f"Proof of possession is invalid or missing. (keyless: {why}.)"
    )
