"""Identifiers in Azure's shapes."""

from __future__ import annotations

import base64
import secrets
import uuid


def new_guid() -> str:
    return str(uuid.uuid4())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_secret(nbytes: int = 30) -> str:
    """A client secret in Entra's alphabet (letters, digits, `~._-`), 40 characters for 30 bytes."""
    return secrets.token_urlsafe(nbytes).replace("-", "~")


def opaque_id(nbytes: int = 32) -> str:
    return b64url(secrets.token_bytes(nbytes))


def is_guid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except (ValueError, AttributeError, TypeError):
        return False
