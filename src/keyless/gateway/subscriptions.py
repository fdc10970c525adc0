"""Subscription keys (apim.md §3): header then query, scope check, product context, APIM's 401 bodies.

Keys are found through a SHA-256 of the key (no scan, no early-exit comparison over secrets), then compared
with `hmac.compare_digest`. Only `active` subscriptions grant access. Keys are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyless.gateway.snapshot import ApiRecord, ProductRecord, Snapshot

MISSING_KEY = (
    "Access denied due to missing subscription key. "
    "Make sure to include subscription key when making requests to an API."
)
INVALID_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."
)
_SCOPE = re.compile(r"/(apis|products)(?:/([^/]+))?/?$", re.IGNORECASE)


@dataclass(frozen=True)
class SubscriptionRecord:
    """A subscription (`context.Subscription`); `scope_kind` is all | apis | api | product."""

    name: str
    display_name: str
    scope_kind: str
    scope_id: str | None
    state: str
    allow_tracing: bool
    primary_key: str
    secondary_key: str
    created_date: str | None = None
    start_date: str | None = None
    end_date: str | None = None

    def members(self, key: str | None = None) -> dict[str, Any]:
        return {
            "Id": self.name,
            "Name": self.display_name,
            "Key": key,
            "PrimaryKey": self.primary_key,
            "SecondaryKey": self.secondary_key,
            "CreatedDate": self.created_date,
            "StartDate": self.start_date,
            "EndDate": self.end_date,
        }

    def __repr__(self) -> str:  # keys stay out of logs and tracebacks
        return f"SubscriptionRecord(name={self.name!r}, scope={self.scope_kind}:{self.scope_id}, state={self.state!r})"


def subscription_record(body: Mapping[str, Any]) -> SubscriptionRecord:
    """A record from an ARM subscription body (`scope` relative or a full resource id)."""
    p = body.get("properties") or {}
    scope = str(p.get("scope") or "")
    m = _SCOPE.search(scope)
    if m is None:
        kind, target = "all", None  # the service itself: the built-in all-access subscription
    elif m.group(2) is None:
        kind, target = ("apis", None) if m.group(1).lower() == "apis" else ("all", None)
    else:
        kind, target = ("api" if m.group(1).lower() == "apis" else "product"), m.group(2)
    return SubscriptionRecord(
        name=str(body["name"]),
        display_name=str(p.get("displayName") or body["name"]),
        scope_kind=kind,
        scope_id=target,
        state=str(p.get("state") or "submitted"),
        allow_tracing=bool(p.get("allowTracing")),
        primary_key=str(p.get("primaryKey") or ""),
        secondary_key=str(p.get("secondaryKey") or ""),
        created_date=p.get("createdDate"),
        start_date=p.get("startDate"),
        end_date=p.get("endDate"),
    )


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


class SubscriptionIndex:
    """Key hash -> (record, key); built once per snapshot."""

    def __init__(self, records: Iterable[SubscriptionRecord]) -> None:
        self.records = {r.name: r for r in records}
        self._by_hash: dict[bytes, tuple[SubscriptionRecord, str]] = {}
        for record in self.records.values():
            for key in (record.primary_key, record.secondary_key):
                if key:
                    self._by_hash[_digest(key)] = (record, key)

    def lookup(self, key: str) -> SubscriptionRecord | None:
        found = self._by_hash.get(_digest(key))
        if found is None or not hmac.compare_digest(found[1].encode("utf-8"), key.encode("utf-8")):
            return None
        return found[0]


@dataclass(frozen=True)
class Access:
    """The authorization step's verdict: allowed (with product context) or the 401 reason."""

    subscription: SubscriptionRecord | None = None
    product: ProductRecord | None = None
    key: str | None = None
    reason: str | None = None  # SubscriptionKeyNotFound | SubscriptionKeyInvalid when refused
    explanation: str = ""  # keyless's why of a refusal (names the subscription and API, never the key)

    @property
    def message(self) -> str:
        return MISSING_KEY if self.reason == "SubscriptionKeyNotFound" else INVALID_KEY


def find_key(api: ApiRecord, headers: Any, query: dict[str, list[str]]) -> str | None:
    """The key in the API's header, else in its query parameter (the query counts only without the header)."""
    value = headers.get(api.header_name)
    if value is not None:
        return str(value)
    values = query.get(api.query_name)
    return values[0] if values else None


def authorize(snapshot: Snapshot, api: ApiRecord, key: str | None) -> Access:
    """apim.md §3 decision rules, including the product context the request runs in."""
    if key is not None:
        record = snapshot.subscriptions.lookup(key)
        if record is None:
            return Access(reason="SubscriptionKeyInvalid", explanation="the key is not the key of any subscription")
        if record.state != "active":
            return Access(
                reason="SubscriptionKeyInvalid",
                explanation=f"the key belongs to subscription '{record.name}', which is {record.state}, not active",
            )
        kind = record.scope_kind
        if kind in ("all", "apis") or (kind == "api" and record.scope_id == api.name):
            return Access(record, None, key)
        if kind == "product" and record.scope_id is not None:
            product = snapshot.products.get(record.scope_id)
            if product is not None and api.name in product.apis:
                return Access(record, product, key)
        return Access(
            reason="SubscriptionKeyInvalid",
            explanation=f"the key belongs to subscription '{record.name}', whose scope ({kind} "
            f"'{record.scope_id or ''}') does not include API '{api.name}'",
        )
    product = snapshot.open_product(api.name)
    if product is not None:
        return Access(None, product, None)
    if not api.subscription_required:
        return Access()
    return Access(
        reason="SubscriptionKeyNotFound",
        explanation=f"API '{api.name}' requires a subscription key (header '{api.header_name}' or query parameter "
        f"'{api.query_name}') and the request has none",
    )


def www_authenticate(api: ApiRecord, base_url: str) -> str:
    """`WWW-Authenticate` of APIM's 401 for a missing or invalid key."""
    realm = f"{base_url.rstrip('/')}/{api.path}" if api.path else base_url.rstrip("/")
    return f'AzureApiManagementKey realm="{realm}",name="{api.header_name}",type="header"'
