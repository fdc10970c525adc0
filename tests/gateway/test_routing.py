"""Routing: API by longest path prefix, operation by method and URL template, MatchedParameters."""

from __future__ import annotations

import pytest

from keyless.gateway.routing import Router
from keyless.gateway.snapshot import ApiRecord, OperationRecord


def api(name: str, path: str) -> ApiRecord:
    return ApiRecord(name, name, path, None)


def op(api_name: str, name: str, method: str, template: str) -> OperationRecord:
    return OperationRecord(api_name, name, name, method, template)


ROUTER = Router(
    [api("root", ""), api("orders", "orders"), api("orders-v2", "orders/v2")],
    {
        "orders": [
            op("orders", "by-id", "GET", "/items/{id}"),
            op("orders", "special", "GET", "/items/special"),
            op("orders", "nested", "GET", "/users/{user}/orders/{order}"),
            op("orders", "search", "GET", "/search?q={term}&mode=exact"),
            op("orders", "files", "GET", "/files/*"),
            op("orders", "home", "GET", "/"),
            op("orders", "create", "POST", "/items"),
        ],
        "orders-v2": [op("orders-v2", "all", "GET", "/*")],
        "root": [op("root", "ping", "GET", "/ping")],
    },
)


@pytest.mark.parametrize(
    ("method", "path", "query", "expected", "params", "remainder"),
    [
        ("GET", "/orders/items/42", {}, ("orders", "by-id"), {"id": "42"}, "/items/42"),
        ("GET", "/orders/items/special", {}, ("orders", "special"), {}, "/items/special"),
        ("GET", "/ORDERS/Items/Special", {}, ("orders", "special"), {}, "/Items/Special"),
        ("GET", "/orders/items/a%20b", {}, ("orders", "by-id"), {"id": "a b"}, "/items/a%20b"),
        ("GET", "/orders/users/u1/orders/o2", {}, ("orders", "nested"), {"user": "u1", "order": "o2"}, None),
        ("GET", "/orders/search", {"q": ["x"], "mode": ["exact"]}, ("orders", "search"), {"term": "x"}, None),
        ("GET", "/orders/files/a/b/c", {}, ("orders", "files"), {}, None),
        ("GET", "/orders", {}, ("orders", "home"), {}, ""),
        ("GET", "/orders/", {}, ("orders", "home"), {}, "/"),
        ("POST", "/orders/items", {}, ("orders", "create"), {}, None),
        ("GET", "/orders/v2/anything/at/all", {}, ("orders-v2", "all"), {}, "/anything/at/all"),
        ("GET", "/ping", {}, ("root", "ping"), {}, "/ping"),
        ("GET", "/ordersx/ping", {}, ("root", None), {}, None),  # a prefix must end at a segment
    ],
)
def test_matches(
    method: str,
    path: str,
    query: dict[str, list[str]],
    expected: tuple[str, str | None],
    params: dict[str, str],
    remainder: str | None,
) -> None:
    found_api, found_op, found_params, found_rest = ROUTER.match(method, path, query)
    assert found_api is not None and found_api.name == expected[0]
    assert (found_op.name if found_op else None) == expected[1]
    assert found_params == params
    if remainder is not None:
        assert found_rest == remainder


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("DELETE", "/orders/items/42", {}),  # wrong method
        ("GET", "/orders/items/42/more", {}),  # a parameter binds one segment
        ("GET", "/orders/search", {"q": ["x"]}),  # a query template parameter is required
        ("GET", "/orders/search", {"q": ["x"], "mode": ["fuzzy"]}),  # a literal query value must match
    ],
)
def test_api_matches_but_no_operation(method: str, path: str, query: dict[str, list[str]]) -> None:
    found_api, found_op, _, _ = ROUTER.match(method, path, query)
    assert found_api is not None and found_api.name == "orders" and found_op is None


def test_no_api() -> None:
    router = Router([api("orders", "orders")], {})
    assert router.match("GET", "/other", {})[0] is None
