"""`Ocp-Apim-Trace`: per-request trace entries by section, stored as APIM's trace JSON (apim.md §6).

A request with `Ocp-Apim-Trace: true` and a key of a subscription with `allowTracing` gets
`Ocp-Apim-Trace-Location`, a URL on the gateway that returns the document. Secrets never reach the
document: the subscription key, Authorization values and anything shaped like a JWT are masked.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from keyless.gateway.policy import SECTIONS

TRACE_PATH = "/.keyless/apim-trace/"
MASK = "***"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def timespan(seconds: float) -> str:
    """.NET TimeSpan text `hh:mm:ss.fffffff`."""
    ticks = round(seconds * 10_000_000)
    whole, frac = divmod(ticks, 10_000_000)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{frac:07d}"


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


class Trace:
    """The entries of one traced request."""

    def __init__(self) -> None:
        self.trace_id = secrets.token_hex(16)
        self.started = datetime.now(UTC)
        self.entries: dict[str, list[dict[str, Any]]] = {s: [] for s in SECTIONS}
        self.secrets: set[str] = set()

    def add(self, section: str, source: str, data: Any, elapsed: float) -> None:
        self.entries.setdefault(section, []).append(
            {
                "source": source,
                "timestamp": timestamp(self.started + timedelta(seconds=elapsed)),
                "elapsed": timespan(elapsed),
                "data": data,
            }
        )

    def document(self) -> bytes:
        """The trace JSON with every known secret and JWT masked."""
        doc = {"traceId": self.trace_id, "traceEntries": self.entries}
        return json.dumps(_mask(doc, self.secrets), default=str, indent=2).encode()


def _mask(value: Any, known: set[str]) -> Any:
    if isinstance(value, str):
        for secret in known:
            if secret and secret in value:
                value = value.replace(secret, MASK)
        return _JWT.sub(MASK, value)
    if isinstance(value, dict):
        return {k: _mask(v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v, known) for v in value]
    return value


def header_list(items: Any, secret_names: frozenset[str] = SECRET_HEADERS) -> list[dict[str, str]]:
    """Headers as the api-inspector shows them, secret-bearing ones masked."""
    return [{"name": n, "value": MASK if n.lower() in secret_names else v} for n, v in items]


class TraceStore:
    """The last traces of one gateway, by id (bounded; traces are for the developer who just asked)."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit
        self._docs: OrderedDict[str, bytes] = OrderedDict()

    def put(self, trace: Trace) -> None:
        self._docs[trace.trace_id] = trace.document()
        while len(self._docs) > self.limit:
            self._docs.popitem(last=False)

    def get(self, trace_id: str) -> bytes | None:
        return self._docs.get(trace_id)
