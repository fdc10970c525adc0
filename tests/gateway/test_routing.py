"""Routing: API by longest path prefix, operation by method and URL template, MatchedParameters."""

from __future__ import annotations

import pytest

from keyless.gateway.http_types import Headers
from keyless.gateway.routing import Router
from keyless.gateway.snapshot import ApiRecord, OperationRecord, build_snapshot


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


def op_body(name: str, method: str, template: str) -> dict[str, object]:
    return {"name": name, "properties": {"method": method, "urlTemplate": template}}


def test_revisions_answer_at_path_rev_n_and_the_current_one_at_its_path() -> None:
    snap = build_snapshot(
        {"name": "svc"},
        apis=[
            {"name": "orders", "properties": {"path": "orders", "apiRevision": "1", "isCurrent": True}},
            {"name": "orders;rev=2", "properties": {"path": "orders", "apiRevision": "2", "isCurrent": False}},
        ],
        operations={"orders": [op_body("a", "GET", "/x")], "orders;rev=2": [op_body("b", "GET", "/x")]},
    )
    found = {path: snap.router.match("GET", path, {}) for path in ("/orders/x", "/orders;rev=2/x", "/orders;rev=1/x")}
    assert found["/orders/x"][1].name == "a"  # type: ignore[union-attr]
    assert (found["/orders;rev=2/x"][0].name, found["/orders;rev=2/x"][3]) == ("orders;rev=2", "/x")  # type: ignore[union-attr]
    assert found["/orders;rev=1/x"][1].name == "a"  # type: ignore[union-attr]


def test_version_sets_segment_header_and_query() -> None:
    def versioned(name: str, path: str, version: str, set_id: str) -> dict[str, object]:
        props = {"path": path, "apiVersion": version, "apiVersionSetId": f"/apiVersionSets/{set_id}"}
        return {"name": name, "properties": props}

    snap = build_snapshot(
        {"name": "svc"},
        apis=[
            {"name": "seg-original", "properties": {"path": "seg", "apiVersionSetId": "/apiVersionSets/s"}},
            versioned("seg-v1", "seg", "v1", "s"),
            versioned("hdr-v2", "hdr", "v2", "h"),
            {"name": "hdr-original", "properties": {"path": "hdr", "apiVersionSetId": "/apiVersionSets/h"}},
            versioned("qry-v3", "qry", "v3", "q"),
        ],
        operations={
            n: [op_body("get", "GET", "/x")] for n in ("seg-original", "seg-v1", "hdr-v2", "hdr-original", "qry-v3")
        },
        version_sets=[
            {"name": "s", "properties": {"versioningScheme": "Segment"}},
            {"name": "h", "properties": {"versioningScheme": "Header", "versionHeaderName": "Api-Version"}},
            {"name": "q", "properties": {"versioningScheme": "Query", "versionQueryName": "api-version"}},
        ],
    )

    def api_of(path: str, query: dict[str, list[str]] | None = None, headers: Headers | None = None) -> str | None:
        found = snap.router.match("GET", path, query or {}, headers)
        return found[0].name if found[0] is not None and found[1] is not None else None

    assert api_of("/seg/v1/x") == "seg-v1"
    assert api_of("/seg/x") == "seg-original"
    assert api_of("/hdr/x", headers=Headers([("api-version", "v2")])) == "hdr-v2"
    assert api_of("/hdr/x") == "hdr-original"
    assert api_of("/qry/x", {"api-version": ["v3"]}) == "qry-v3"
    assert api_of("/qry/x") is None
