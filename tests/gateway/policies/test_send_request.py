"""send-request and send-one-way-request against a real local backend: URL aliases, children, timeouts."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from keyless.gateway.context import IResponse
from keyless.gateway.policies import send_one_way_request, send_request
from keyless.gateway.policy import PolicySpec
from keyless.platform.hosts import HostAliases

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import SET_BODY, SET_HEADER, Backend, Clock, CompileError, Ctx, State, el, run_policy, services

SR, OW = send_request.SPEC, send_one_way_request.SPEC
REGISTRY = {"set-header": SET_HEADER, "set-body": SET_BODY}


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    server = await Backend().start()
    yield server
    await server.stop()


@pytest.fixture
async def svc(backend: Backend) -> AsyncIterator[object]:
    aliases = HostAliases()
    aliases.add(["login.microsoftonline.com"], backend.url)
    async with aiohttp.ClientSession() as session:
        yield services(Clock(), http=session, aliases=aliases)


def ctx(**exprs) -> Ctx:
    return Ctx(dict(exprs), REGISTRY)


def header(name: str, value: str):
    return el("set-header", {"name": name, "exists-action": "override"}, el("value", text=value))


def test_compile_checks() -> None:
    assert SR.sections == {"inbound", "backend", "outbound", "on-error"}
    with pytest.raises(CompileError, match="response-variable-name"):
        SR.compile(el("send-request", {}, el("set-url", text="http://x/")), ctx())
    with pytest.raises(CompileError, match="needs a 'set-url'"):
        SR.compile(el("send-request", {"response-variable-name": "r"}), ctx())
    with pytest.raises(CompileError, match="'proxy' in 'send-request' is not supported"):
        SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r"},
                el("set-url", text="http://x/"),
                el("proxy", {"url": "u"}),
            ),
            ctx(),
        )
    with pytest.raises(CompileError, match="'mode' of 'send-request' must be new or copy"):
        SR.compile(el("send-request", {"response-variable-name": "r", "mode": "clone"}), ctx())
    with pytest.raises(CompileError, match="'set-query-parameter' is not a valid child element"):
        SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r"},
                el("set-url", text="http://x/"),
                el("set-query-parameter"),
            ),
            ctx(),
        )
    with pytest.raises(CompileError, match="'set-url' may appear only once"):
        SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r"},
                el("set-url", text="http://x/"),
                el("set-url", text="y"),
            ),
            ctx(),
        )
    with pytest.raises(CompileError, match="'timeout'"):
        SR.compile(el("send-request", {"response-variable-name": "r", "timeout": "0", "mode": "copy"}), ctx())
    with pytest.raises(CompileError, match="response-variable-name"):
        OW.compile(el("send-one-way-request", {"response-variable-name": "r"}, el("set-url", text="http://x/")), ctx())
    cfg = SR.compile(el("send-request", {"response-variable-name": "r", "mode": "copy"}), ctx())
    assert cfg.message.timeout is None and cfg.message.steps is None  # 60 s default, nothing delegated


async def test_post_with_headers_and_body_through_an_azure_host_alias(backend: Backend, svc) -> None:
    cfg = SR.compile(
        el(
            "send-request",
            {"mode": "new", "response-variable-name": "tokenResult", "timeout": "20"},
            el("set-url", text="https://login.microsoftonline.com/token"),
            el("set-method", text="POST"),
            header("Content-Type", "application/x-www-form-urlencoded"),
            el("set-body", text='@("grant_type=client_credentials&scope=" + context.Variables["scope"])'),
        ),
        ctx(
            **{
                '@("grant_type=client_credentials&scope=" + context.Variables["scope"])': lambda s: (
                    "grant_type=client_credentials&scope=" + s.variables["scope"]
                )
            }
        ),
    )
    state = State(services=svc)
    state.variables["scope"] = "api://x/.default"
    assert await run_policy(SR, cfg, state) == (None, None)
    result = state.variables["tokenResult"]
    assert isinstance(result, IResponse) and result.StatusCode == 200 and result.StatusReason == "OK"
    assert json.loads(result._response.body)["access_token"] == "tok-1"
    assert backend.received[-1]["form"] == {"grant_type": "client_credentials", "scope": "api://x/.default"}
    assert state.request.headers.get("Content-Type") is None  # the caller's request is untouched


async def test_new_request_carries_only_what_the_policy_sets(backend: Backend, svc) -> None:
    cfg = SR.compile(
        el(
            "send-request",
            {"response-variable-name": "r"},
            el("set-url", text=f"{backend.url}/echo?a=1"),
            header("X-One", "1"),
        ),
        ctx(),
    )
    state = State(services=svc)
    state.request.headers.set("Authorization", "Bearer caller")
    await run_policy(SR, cfg, state)
    seen = backend.received[-1]
    assert seen["method"] == "GET" and seen["path"] == "/echo?a=1" and seen["headers"]["X-One"] == "1"
    assert "Authorization" not in seen["headers"]
    assert state.variables["r"].Headers.GetValueOrDefault("X-Echo") == "1"


async def test_copy_mode_copies_the_callers_request(backend: Backend, svc) -> None:
    cfg = SR.compile(
        el("send-request", {"response-variable-name": "r", "mode": "copy"}, el("set-url", text=f"{backend.url}/echo")),
        ctx(),
    )
    state = State(services=svc, method="PUT", body=b"payload")
    state.request.headers.set("X-Caller", "yes")
    await run_policy(SR, cfg, state)
    seen = backend.received[-1]
    assert (seen["method"], seen["body"], seen["headers"]["X-Caller"]) == ("PUT", b"payload", "yes")
    assert seen["headers"]["Host"] != "gw"
    state.section = "outbound"  # in outbound a copy starts without the request body
    await run_policy(SR, cfg, state)
    assert backend.received[-1]["body"] == b""


async def test_timeout_is_last_error_timeout_or_null_with_ignore_error(backend: Backend, svc) -> None:
    def slow(**attrs: str):
        return SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r", "timeout": "1", **attrs},
                el("set-url", text=f"{backend.url}/slow"),
            ),
            ctx(),
        )

    state = State(services=svc)
    original = send_request.send

    async def quick(request, state, seconds):  # the 1 s of the policy, cut to 50 ms so the test stays fast
        return await original(request, state, 0.05)

    send_request.send = quick
    try:
        _, error = await run_policy(SR, slow(), state)
        assert (error.source, error.reason) == ("send-request", "Timeout") and "r" not in state.variables
        assert await run_policy(SR, slow(**{"ignore-error": "true"}), state) == (None, None)
        assert "r" in state.variables and state.variables["r"] is None
    finally:
        send_request.send = original


async def test_connection_failure(svc) -> None:
    cfg = SR.compile(
        el("send-request", {"response-variable-name": "r"}, el("set-url", text="http://127.0.0.1:9/")), ctx()
    )
    _, error = await run_policy(SR, cfg, State(services=svc))
    assert (error.source, error.reason) == ("send-request", "BackendConnectionFailure")
    assert "127.0.0.1" not in error.message


async def test_error_statuses_are_responses_not_errors(backend: Backend, svc) -> None:
    cfg = SR.compile(
        el("send-request", {"response-variable-name": "r"}, el("set-url", text=f"{backend.url}/flaky")), ctx()
    )
    state = State(services=svc)
    assert await run_policy(SR, cfg, state) == (None, None)
    assert state.variables["r"].StatusCode == 500 and state.variables["r"].StatusReason == "Boom"


async def test_one_way_request_is_sent_without_waiting(backend: Backend, svc) -> None:
    cfg = OW.compile(
        el(
            "send-one-way-request",
            {"mode": "new"},
            el("set-url", text=f"{backend.url}/echo"),
            el("set-method", text="POST"),
        ),
        ctx(),
    )
    state = State(services=svc)
    assert await run_policy(OW, cfg, state) == (None, None)
    assert state.variables == {}
    await asyncio.gather(*send_one_way_request.in_flight())
    assert backend.received[-1]["method"] == "POST"
    failing = OW.compile(el("send-one-way-request", {}, el("set-url", text="http://127.0.0.1:9/")), ctx())
    assert await run_policy(OW, failing, state) == (None, None)  # its failure never reaches the caller
    await asyncio.gather(*send_one_way_request.in_flight())


def test_children_compile_as_inbound_policies_in_every_section() -> None:
    inbound_only = PolicySpec("authentication-basic", frozenset({"inbound"}), lambda e, c: None, _no_op)
    outbound = Ctx({}, {**REGISTRY, "authentication-basic": inbound_only}, section="outbound")
    cfg = SR.compile(
        el(
            "send-request", {"response-variable-name": "r"}, el("set-url", text="http://x/"), el("authentication-basic")
        ),
        outbound,
    )
    assert cfg.message.steps is not None and outbound.section == "outbound"


async def _no_op(cfg: object, state: object) -> None:
    return None


async def test_a_bad_url_is_a_policy_error(svc) -> None:
    cfg = SR.compile(
        el("send-request", {"response-variable-name": "r"}, el("set-url", text="http://host:notaport/")), ctx()
    )
    _, error = await run_policy(SR, cfg, State(services=svc))
    assert (error.source, error.reason) == ("send-request", "ExpressionValueEvaluationFailure")


def test_which_parts_take_expressions_as_the_docs_say() -> None:
    exprs = ctx(**{'@("r-" + "1")': lambda s: "r-1", '@("GET")': lambda s: "GET", "@(true)": lambda s: True})
    cfg = SR.compile(
        el("send-request", {"response-variable-name": '@("r-" + "1")'}, el("set-url", text="http://x/")), exprs
    )
    assert not cfg.variable.is_constant and cfg.ignore_error is False
    with pytest.raises(CompileError, match="'set-method' in 'send-request' does not allow policy expressions"):
        SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r"},
                el("set-url", text="http://x/"),
                el("set-method", text='@("GET")'),
            ),
            exprs,
        )
    with pytest.raises(CompileError, match="'ignore-error'"):
        SR.compile(
            el(
                "send-request",
                {"response-variable-name": "r", "ignore-error": "@(true)"},
                el("set-url", text="http://x/"),
            ),
            exprs,
        )


async def test_response_variable_name_from_an_expression(backend: Backend, svc) -> None:
    cfg = SR.compile(
        el("send-request", {"response-variable-name": "@(name)"}, el("set-url", text=f"{backend.url}/echo")),
        ctx(**{"@(name)": lambda s: s.variables["name"]}),
    )
    state = State(services=svc)
    state.variables["name"] = "dynamic"
    await run_policy(SR, cfg, state)
    assert state.variables["dynamic"].StatusCode == 200
