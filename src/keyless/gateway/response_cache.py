"""The response cache behind cache-lookup / cache-store: whole responses in APIM's value caches.

cache-lookup (inbound) computes the entry's key (service + API + operation + path + the vary-by values) and, on
a miss, hands it to cache-store (outbound) through `pending`; cache-store stores the response as it stands at
that point, and a later hit continues with the outbound policies after the cache-store.
Entries live in the same built-in / external caches as cache-*-value (`caching-type`), under their own prefix.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keyless.gateway.http_types import GatewayResponse, Headers

PREFIX = "response-cache"
# Headers that belong to one exchange, not to the cached representation.
NOT_STORED = frozenset({"connection", "keep-alive", "transfer-encoding", "set-cookie", "date", "age"})
_PENDING = "cache-lookup"  # the key of `services.extra` holding the per-request lookups


@dataclass(frozen=True)
class Pending:
    """What cache-lookup decided for this request, for cache-store to use."""

    key: str
    caching_type: str
    downstream: str  # none | private | public
    must_revalidate: bool


def entry_key(service: str, api: str, operation: str, path: str, vary: list[tuple[str, str]]) -> str:
    """One key per representation; the vary-by values are hashed so header values never appear in it."""
    digest = hashlib.sha256()
    for name, value in vary:
        digest.update(f"{len(name)}:{name}={len(value)}:{value};".encode())
    return "|".join((service, PREFIX, api, operation, path, digest.hexdigest()))


def clock(services: Any) -> Callable[[], float]:
    """Wall-clock seconds for entry ages (`services.extra["response-cache-clock"]` replaces it in tests)."""
    now: Callable[[], float] = services.extra.get("response-cache-clock", time.time)
    return now


def encode(response: GatewayResponse, expires: float) -> dict[str, Any]:
    """A response as a value the built-in and the external cache can both hold."""
    headers = [[n, v] for n, v in response.headers.items() if n.lower() not in NOT_STORED]
    return {
        "status": response.status,
        "reason": response.reason,
        "headers": headers,
        "body": bytes(response.body),
        "expires": expires,
    }


def decode(value: Any) -> tuple[GatewayResponse, float] | None:
    """The cached response and when it expires; None for anything that is not an entry of ours (a miss)."""
    try:
        headers = Headers((str(n), str(v)) for n, v in value["headers"])
        response = GatewayResponse(int(value["status"]), headers, bytes(value["body"]), str(value["reason"]))
        return response, float(value["expires"])
    except (KeyError, TypeError, ValueError):
        return None


def pending_table(services: Any) -> dict[int, Pending]:
    table: dict[int, Pending] = services.extra.setdefault(_PENDING, {})
    return table


def remember(state: Any, pending: Pending) -> None:
    """Hand the key to cache-store; forgotten when the response is final (so the table never grows)."""
    table = pending_table(state.services)
    table[id(state)] = pending

    async def forget(_: GatewayResponse) -> None:
        table.pop(id(state), None)

    state.on_response(forget)


def pending_for(state: Any) -> Pending | None:
    return pending_table(state.services).get(id(state))


def downstream_headers(response: GatewayResponse, pending: Pending, max_age: int) -> None:
    """Cache-Control for clients and proxies when downstream caching is allowed (private or public);
    with `none` the response's own Cache-Control passes through unchanged."""
    if pending.downstream == "none":
        return
    value = f"{pending.downstream}, max-age={max(0, max_age)}"
    if pending.must_revalidate:
        value += ", must-revalidate"
    response.headers.set("Cache-Control", value)
