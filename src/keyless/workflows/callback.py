"""Shared access signatures for trigger callback URLs and run-content links (reference §2.1, §6.2).

Azure does not publish its string-to-sign; keyless signs `"<sp>\\n<sv>\\n<se or ''>"` with HMAC-SHA256 under one of
the workflow's two access keys and writes the MAC as unpadded base64url (43 characters, as Azure's `sig`).
`sp` is the permission path (`/triggers/manual/run`, `/runs/<run>/contents/ActionOutputs/read`), `sv` is `1.0`,
`se` an optional expiry (ISO 8601). A URL is valid if it verifies under the primary or the secondary key, so a
regenerated key invalidates only the URLs signed with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from keyless.platform.errors import KeylessError

SAS_VERSION = "1.0"
KEY_BYTES = 32

MISSING_PARAMETERS = (
    "Required parameters for shared access URL are permissions ('sp'), version ('sv'), and signature ('sig')."
)


class SasError(KeylessError):
    """A refused shared access URL; `body()` is what the runtime answers (`{"error": {code, message}}`)."""

    status = 401
    code = "AuthorizationFailed"

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def sign(key: bytes, sp: str, sv: str = SAS_VERSION, se: str | None = None) -> str:
    """The `sig` for this permission, version and expiry under `key`."""
    mac = hmac.new(key, f"{sp}\n{sv}\n{se or ''}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def _expiry(se: str) -> datetime:
    text = se.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # .NET writes 7 fractional digits; Python parses at most 6.
    if "." in text:
        head, rest = text.split(".", 1)
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def verify(
    keys: Sequence[bytes],
    query: Mapping[str, str],
    expected_sp: str,
    *,
    now: datetime | None = None,
) -> str:
    """Check a request's `sp`/`sv`/`sig` (and `se`) against the workflow's keys; returns the `sp` that matched.

    `expected_sp` is the permission the request needs; the signed `sp` must equal it (compared as Azure's
    paths are, case-insensitively). Every key is tried and compared in constant time, so the answer's timing
    does not tell which key or how much of the signature matched. Raises SasError (401) otherwise.
    """
    sp, sv, sig = query.get("sp"), query.get("sv"), query.get("sig")
    if not sp or not sv or not sig:
        raise SasError(MISSING_PARAMETERS)
    se = query.get("se")
    matched = False
    for key in keys:
        # No early exit: each key costs the same whether an earlier one matched or not.
        matched |= hmac.compare_digest(sign(key, sp, sv, se).encode(), sig.encode("utf-8", "replace"))
    if not matched:
        raise SasError("The provided shared access signature is not valid.")  # [unconfirmed] message
    if sp.lower() != expected_sp.lower():
        raise SasError(f"The shared access signature does not grant permission '{expected_sp}'.")  # [unconfirmed]
    if se:
        try:
            expires = _expiry(se)
        except ValueError as exc:
            raise SasError("The shared access signature expiry ('se') is not a valid time.") from exc
        if (now or datetime.now(UTC)) >= expires:
            raise SasError("The shared access signature has expired.")  # [unconfirmed] message
    return sp
