"""The pipeline: section order, STOP, errors -> LastError -> on-error, the default 500 body."""

from __future__ import annotations

import json
from typing import Any

from keyless.gateway.compiler import compile_document, effective
from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.pipeline import error_body, execute, finish
from keyless.gateway.policy import STOP, PolicyError, PolicySpec
from keyless.gateway.registry import default_registry
from keyless.gateway.state import GatewayServices, RequestState

ALL = frozenset({"inbound", "backend", "outbound", "on-error"})


def _name(element: Element, ctx: Any) -> str:
    return element.attrs.get("v", "")


async def _log(config: str, state: Any) -> None:
    state.variables.setdefault("log", []).append(f"{state.section}:{config}")


async def _deny(config: str, state: Any) -> None:
    state.response = GatewayResponse(403, Headers([("Content-Type", "application/json")]), error_body(403, "no"))
    raise PolicyError("x-deny", "Denied", "denied by probe")


async def _fail(config: str, state: Any) -> None:
    raise PolicyError("x-fail", config or "Broken", "probe failure")


async def _crash(config: str, state: Any) -> None:
    raise ZeroDivisionError("a keyless bug")


async def _stop(config: str, state: Any) -> Any:
    state.response = GatewayResponse(202, Headers(), b"stopped")
    return STOP


async def _answer(config: str, state: Any) -> None:
    state.response = GatewayResponse(200, Headers(), b"backend")


async def _record_error(config: str, state: Any) -> None:
    e = state.context.LastError
    state.variables["error"] = [e.Source, e.Reason, e.Message, e.Scope, e.Section, e.Path, e.PolicyId]
    state.variables["status_seen"] = state.context.Response.StatusCode


PROBES = [
    PolicySpec("x-log", ALL, _name, _log),
    PolicySpec("x-deny", ALL, _name, _deny),
    PolicySpec("x-fail", ALL, _name, _fail),
    PolicySpec("x-crash", ALL, _name, _crash),
    PolicySpec("x-stop", ALL, _name, _stop),
    PolicySpec("x-answer", frozenset({"backend"}), _name, _answer),
    PolicySpec("x-record-error", ALL, _name, _record_error),
]
REGISTRY = default_registry().with_specs(*PROBES)
GLOBAL = compile_document(
    "<policies><inbound><x-log v='g'/></inbound><backend><x-answer/></backend>"
    "<outbound><x-log v='g'/></outbound><on-error><x-record-error/></on-error></policies>",
    scope="global",
    registry=REGISTRY,
)


def state() -> RequestState:
    url = Url("http", "gw", 80, "/x")
    return RequestState(GatewayRequest("GET", url.copy(), url, Headers(), b"", "127.0.0.1"), GatewayServices())


async def run(api_inbound: str, api_outbound: str = "<base/>", api_on_error: str = "<base/>") -> RequestState:
    api = compile_document(
        f"<policies><inbound>{api_inbound}</inbound><backend><base/></backend>"
        f"<outbound>{api_outbound}</outbound><on-error>{api_on_error}</on-error></policies>",
        scope="api",
        registry=REGISTRY,
    )
    s = state()
    s.response = await execute(effective(GLOBAL, None, api, None), s)
    return s


async def test_sections_run_in_order() -> None:
    s = await run("<base/><x-log v='a'/>", "<x-log v='a'/><base/>")
    assert s.variables["log"] == ["inbound:g", "inbound:a", "outbound:a", "outbound:g"]
    assert (s.response.status, s.response.body) == (200, b"backend")


async def test_stop_skips_backend_and_outbound() -> None:
    s = await run("<x-stop/><x-log v='never'/>", "<x-log v='never'/>")
    assert (s.response.status, s.response.body) == (202, b"stopped")
    assert "log" not in s.variables


async def test_policy_error_with_its_own_response_keeps_it_and_runs_on_error() -> None:
    s = await run("<x-log v='a'/><x-deny id='d1'/><x-log v='never'/>")
    assert s.response.status == 403
    assert json.loads(s.response.body) == {"statusCode": 403, "message": "no"}
    assert s.variables["error"] == ["x-deny", "Denied", "denied by probe", "api", "inbound", "x-deny[1]", "d1"]
    assert s.variables["status_seen"] == 403
    assert s.variables["log"] == ["inbound:a"]


async def test_policy_error_without_response_is_500_with_activity_id() -> None:
    s = await run("<x-fail v='Broken'/>")
    assert s.response.status == 500
    assert s.response.body == error_body(500, "Internal server error", str(s.request_id))
    assert s.response.body.startswith(b'{ "statusCode": 500, "message": "Internal server error", "activityId": "')
    assert s.variables["status_seen"] == 500
    assert s.variables["error"][:2] == ["x-fail", "Broken"]


async def _peek(config: str, state: Any) -> None:
    state.variables["peeked"] = state.context.Response.StatusCode


async def test_reading_context_response_in_inbound_does_not_make_a_response() -> None:
    registry = REGISTRY.with_specs(PolicySpec("x-peek", ALL, _name, _peek))
    api = compile_document("<policies><inbound><x-peek/><x-fail/></inbound></policies>", scope="api", registry=registry)
    s = state()
    response = await execute(effective(GLOBAL, None, api, None), s)
    assert s.variables["peeked"] == 200
    assert response.status == 500  # the failure still gets the gateway's 500, not an empty 200


async def test_on_error_without_base_drops_global_on_error_and_may_answer() -> None:
    s = await run("<x-fail/>", api_on_error="<x-stop/>")
    assert (s.response.status, s.response.body) == (202, b"stopped")
    assert "error" not in s.variables


async def test_error_inside_on_error_is_not_reentered() -> None:
    s = await run("<x-fail/>", api_on_error="<x-fail v='Again'/><x-log v='never'/>")
    assert s.response.status == 500
    assert "log" not in s.variables


async def test_outbound_error_replaces_backend_response_with_500() -> None:
    s = await run("<base/>", "<x-fail/>")
    assert s.response.status == 500
    assert s.variables["error"][4] == "outbound"


async def test_unhandled_exception_is_500() -> None:
    s = await run("<x-crash/>")
    assert s.response.status == 500 and b"activityId" in s.response.body


async def test_no_forward_request_gives_an_empty_200() -> None:
    api = compile_document(
        "<policies><inbound/><backend/><outbound><x-log v='o'/></outbound></policies>", scope="api", registry=REGISTRY
    )
    s = state()
    response = await execute(effective(GLOBAL, None, api, None), s)
    assert (response.status, response.body) == (200, b"")
    assert s.variables["log"] == ["outbound:o"]


async def _hooked(config: str, state: Any) -> None:
    async def hook(response: GatewayResponse) -> None:
        response.headers.add("X-Hook", f"{config}:{response.status}")

    state.on_response(hook)


async def test_response_hooks_run_in_order_with_the_final_response() -> None:
    registry = REGISTRY.with_specs(PolicySpec("x-hook", ALL, _name, _hooked))
    api = compile_document(
        "<policies><inbound><x-hook v='1'/><x-hook v='2'/><x-deny/></inbound></policies>",
        scope="api",
        registry=registry,
    )
    s = state()
    response = await finish(s, await execute(effective(GLOBAL, None, api, None), s))
    assert response.headers.values("X-Hook") == ["1:403", "2:403"]  # after on-error: the 403 is final
