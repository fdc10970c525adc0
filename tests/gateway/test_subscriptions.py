"""Subscription keys: scope parsing, lookup, the decision rules of apim.md §3, WWW-Authenticate."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.gateway.http_types import Headers
from keyless.gateway.snapshot import build_snapshot
from keyless.gateway.subscriptions import (
    INVALID_KEY,
    MISSING_KEY,
    authorize,
    find_key,
    subscription_record,
    www_authenticate,
)


def body(name: str, scope: str, key: str = "", state: str = "active") -> dict[str, Any]:
    return {"name": name, "properties": {"scope": scope, "state": state, "primaryKey": key, "secondaryKey": key + "2"}}


@pytest.mark.parametrize(
    ("scope", "kind", "target"),
    [
        ("/apis", "apis", None),
        ("/apis/echo", "api", "echo"),
        ("/products/starter", "product", "starter"),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc/apis/echo", "api", "echo"),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc/products/p", "product", "p"),
        ("/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/svc", "all", None),
        ("", "all", None),
    ],
)
def test_scope_forms(scope: str, kind: str, target: str | None) -> None:
    record = subscription_record(body("s", scope, "k"))
    assert (record.scope_kind, record.scope_id) == (kind, target)


def test_keys_stay_out_of_repr() -> None:
    record = subscription_record(body("s", "/apis", "very-secret-key"))
    assert "very-secret-key" not in repr(record)


SNAP = build_snapshot(
    {"name": "svc"},
    apis=[
        {"name": "a", "properties": {"path": "a", "serviceUrl": "http://b"}},
        {"name": "free", "properties": {"path": "free", "subscriptionRequired": False}},
        {"name": "o", "properties": {"path": "o"}},
    ],
    products=[
        {"name": "p", "properties": {"state": "published"}},
        {"name": "open", "properties": {"state": "published", "subscriptionRequired": False}},
    ],
    product_apis={"p": ["a"], "open": ["o"]},
    subscriptions=[
        body("all", "/apis", "k-all"),
        body("a-only", "/apis/a", "k-a"),
        body("p-sub", "/products/p", "k-p"),
        body("cancelled", "/apis", "k-c", state="cancelled"),
        body("expired", "/apis", "k-e", state="expired"),
    ],
)


@pytest.mark.parametrize(
    ("api", "key", "subscription", "product", "reason"),
    [
        ("a", "k-all", "all", None, None),
        ("a", "k-all2", "all", None, None),
        ("a", "k-a", "a-only", None, None),
        ("free", "k-a", None, None, "SubscriptionKeyInvalid"),
        ("a", "k-p", "p-sub", "p", None),
        ("o", "k-p", None, None, "SubscriptionKeyInvalid"),
        ("a", "k-c", None, None, "SubscriptionKeyInvalid"),
        ("a", "k-e", None, None, "SubscriptionKeyInvalid"),
        ("a", "k-al", None, None, "SubscriptionKeyInvalid"),
        ("a", "", None, None, "SubscriptionKeyInvalid"),
        ("a", None, None, None, "SubscriptionKeyNotFound"),
        ("free", None, None, None, None),
        ("o", None, None, "open", None),
        ("o", "k-all", "all", None, None),  # a key always wins over the open product: no product context
    ],
)
def test_decisions(
    api: str, key: str | None, subscription: str | None, product: str | None, reason: str | None
) -> None:
    access = authorize(SNAP, SNAP.apis[api], key)
    assert access.reason == reason
    assert (access.subscription.name if access.subscription else None) == subscription
    assert (access.product.name if access.product else None) == product
    if reason:
        assert access.message == (MISSING_KEY if key is None else INVALID_KEY)


def test_key_from_header_first_then_query_with_the_apis_names() -> None:
    record = SNAP.apis["a"]
    assert find_key(record, Headers([("ocp-apim-subscription-key", "h")]), {"subscription-key": ["q"]}) == "h"
    assert find_key(record, Headers(), {"subscription-key": ["q"]}) == "q"
    assert find_key(record, Headers([("api-key", "h")]), {}) is None


def test_www_authenticate() -> None:
    assert www_authenticate(SNAP.apis["a"], "https://svc.azure-api.net") == (
        'AzureApiManagementKey realm="https://svc.azure-api.net/a",name="Ocp-Apim-Subscription-Key",type="header"'
    )
