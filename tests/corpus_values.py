"""Plausible values for the named values real policy documents refer to (`{{name}}`), chosen by name."""

from __future__ import annotations

import re
import uuid


def named_value(name: str) -> str:
    """A value of the kind the name suggests, so expressions that embed it still compile."""
    low = name.lower()
    if any(w in low for w in ("seconds", "timeout", "weight", "count", "limit", "port", "percentage")):
        return "60"
    if low.endswith("encryptionkey"):
        # the oauth-proxy snippets use the un-numbered name as the selector of key 1 or 2 (`key == 1 ? k1 : k2`)
        return "1"
    if any(w in low for w in ("tenantid", "clientid", "client-id", "subscription-id", "appid")):
        return str(uuid.UUID(int=len(name)))
    if any(w in low for w in ("url", "server", "endpoint", "adress", "address", "host")):
        return "https://backend.example.com"
    if "key" in low or "secret" in low:
        return "c2VjcmV0LWtleS1mb3ItY29uZm9ybWFuY2UtdGVzdHM="
    if "ip" in low:
        return "10.0.0.1"
    return f"value-of-{re.sub(r'[^A-Za-z0-9]', '-', name)}"
