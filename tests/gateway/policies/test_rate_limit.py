"""rate-limit and rate-limit-by-key: compile checks and deterministic window scenarios (injected clock)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies import rate_limit, rate_limit_by_key

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, CompileError, Ctx, State, el, run_policy, services

RL, RLK = rate_limit.SPEC, rate_limit_by_key.SPEC


def compile_rl(attrs: dict[str, str], *children, ctx: Ctx | None = None):
    return RL.compile(el("rate-limit", attrs, *children), ctx or Ctx())


# --- compile ---------------------------------------------------------------------------------------------


def test_spec_facts() -> None:
    assert RL.sections == {"inbound"} and RL.scopes == {"product", "api", "operation"} and RL.once
    assert RLK.sections == {"inbound"} and "global" in RLK.scopes and not RLK.once


def test_defaults() -> None:
    cfg = compile_rl({"calls": "20", "renewal-period": "90"})
    assert (cfg.limit.calls, cfg.limit.period, cfg.apis) == (20, 90, ())
    assert cfg.outputs == rate_limit.Outputs("Retry-After", None, None, None, None)


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"renewal-period": "60"}, "calls"),
        ({"calls": "5"}, "renewal-period"),
        ({"calls": "5", "renewal-period": "301"}, "renewal-period"),
        ({"calls": "5", "renewal-period": "0"}, "renewal-period"),
        ({"calls": "five", "renewal-period": "60"}, "calls"),
        ({"calls": "@(5)", "renewal-period": "60"}, "calls"),
        ({"calls": "5", "renewal-period": "60", "counter-key": "x"}, "counter-key"),
        ({"calls": "5", "renewal-period": "60", "retry-after-header-name": '@("x")'}, "retry-after-header-name"),
        ({"calls": "5", "renewal-period": "60", "remaining-calls-header-name": ""}, "remaining-calls-header-name"),
    ],
)
def test_refusals_name_the_attribute(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        compile_rl(attrs)
    assert named in caught.value.message


def test_refuses_text_content() -> None:
    with pytest.raises(CompileError, match="does not take text content"):
        RL.compile(
            el(
                "rate-limit",
                {"calls": "1", "renewal-period": "1"},
                el("api", {"name": "a", "calls": "1", "renewal-period": "1"}),
                text="x",
            ),
            Ctx(),
        )
    with pytest.raises(CompileError, match="does not take text content"):
        RLK.compile(el("rate-limit-by-key", {"calls": "1", "renewal-period": "1", "counter-key": "k"}, text="x"), Ctx())


def test_refuses_unknown_children_and_unnamed_api() -> None:
    with pytest.raises(CompileError, match="'operation' is not a valid child element of 'rate-limit'"):
        compile_rl({"calls": "1", "renewal-period": "1"}, el("operation", {"name": "x", "calls": "1"}))
    with pytest.raises(CompileError, match="needs a 'name' or an 'id'"):
        compile_rl({"calls": "1", "renewal-period": "1"}, el("api", {"calls": "1", "renewal-period": "1"}))
    with pytest.raises(CompileError, match="renewal-period"):
        compile_rl({"calls": "1", "renewal-period": "1"}, el("api", {"name": "a", "calls": "1"}))


def test_by_key_needs_counter_key_and_allows_expressions() -> None:
    with pytest.raises(CompileError, match="counter-key"):
        RLK.compile(el("rate-limit-by-key", {"calls": "1", "renewal-period": "1"}), Ctx())
    with pytest.raises(CompileError, match="increment-condition"):
        RLK.compile(
            el(
                "rate-limit-by-key",
                {"calls": "1", "renewal-period": "1", "counter-key": "k", "increment-condition": "yes"},
            ),
            Ctx(),
        )
    ctx = Ctx({'@((int)context.Variables["calls"])': lambda s: s.variables["calls"], "@(k)": lambda s: "k"})
    cfg = RLK.compile(
        el(
            "rate-limit-by-key",
            {"calls": '@((int)context.Variables["calls"])', "renewal-period": "300", "counter-key": "@(k)"},
        ),
        ctx,
    )
    assert not cfg.calls.is_constant


# --- rate-limit at run time ------------------------------------------------------------------------------


async def test_fourth_call_gets_apims_429_with_retry_after_and_last_error() -> None:
    clock = Clock(0.0)
    svc = services(clock)
    cfg = compile_rl({"calls": "3", "renewal-period": "10", "retry-after-variable-name": "wait"})
    for t in (0.0, 1.0, 2.0):
        clock.t = t
        assert await run_policy(RL, cfg, State(services=svc)) == (None, None)
    clock.t = 4.0
    state = State(services=svc)
    _, error = await run_policy(RL, cfg, state)
    assert (error.source, error.reason, error.message) == ("rate-limit", "RateLimitExceeded", "Rate limit is exceeded")
    assert state.response.status == 429
    assert json.loads(state.response.body) == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 6 seconds.",
    }
    assert state.response.headers.get("Retry-After") == "6" and state.variables["wait"] == 6
    clock.t = 10.0
    assert await run_policy(RL, cfg, State(services=svc)) == (None, None)


async def test_counts_per_subscription_and_skips_requests_without_a_key() -> None:
    svc = services(Clock())
    cfg = compile_rl({"calls": "1", "renewal-period": "60"})
    assert (await run_policy(RL, cfg, State(services=svc, subscription="a")))[1] is None
    assert (await run_policy(RL, cfg, State(services=svc, subscription="b")))[1] is None
    assert (await run_policy(RL, cfg, State(services=svc, subscription="a")))[1] is not None
    for _ in range(3):
        anonymous = State(services=svc, subscription=None)
        assert await run_policy(RL, cfg, anonymous) == (None, None)
        assert anonymous.response is None


async def test_remaining_and_total_headers_go_on_the_final_response() -> None:
    svc = services(Clock())
    cfg = compile_rl(
        {
            "calls": "2",
            "renewal-period": "60",
            "remaining-calls-header-name": "X-Remaining",
            "remaining-calls-variable-name": "left",
            "total-calls-header-name": "X-Total",
            "retry-after-header-name": "X-Wait",
        }
    )
    state = State(services=svc)
    await run_policy(RL, cfg, state)
    response = await state.finish(GatewayResponse(200))
    assert response.headers.get("X-Remaining") == "1" and response.headers.get("X-Total") == "2"
    assert state.variables["left"] == 1
    await run_policy(RL, cfg, State(services=svc))
    refused = State(services=svc)
    _, error = await run_policy(RL, cfg, refused)
    assert error is not None
    headers = refused.response.headers
    assert headers.get("X-Wait") == "60" and "Retry-After" not in headers
    # remaining calls are reported on the success path only
    assert headers.get("X-Total") == "2" and "X-Remaining" not in headers and "left" not in refused.variables


async def test_api_and_operation_limits_apply_independently() -> None:
    svc = services(Clock())
    cfg = compile_rl(
        {"calls": "10", "renewal-period": "60"},
        el(
            "api",
            {"name": "Echo-Api", "calls": "3", "renewal-period": "60"},
            el("operation", {"id": "GET", "calls": "1", "renewal-period": "60"}),
        ),
    )
    assert (await run_policy(RL, cfg, State(services=svc, operation="get")))[1] is None
    _, error = await run_policy(RL, cfg, State(services=svc, operation="get"))
    assert error is not None  # the operation's 1 call is used
    assert (await run_policy(RL, cfg, State(services=svc, operation="post")))[1] is None
    assert (await run_policy(RL, cfg, State(services=svc, operation="post")))[1] is None
    _, error = await run_policy(RL, cfg, State(services=svc, operation="post"))
    assert error is not None  # the API's 3 calls are used (the refused call was not counted)
    assert (await run_policy(RL, cfg, State(services=svc, api="other-api")))[1] is None  # product limit only


# --- rate-limit-by-key -----------------------------------------------------------------------------------

IP = "@(context.Request.IpAddress)"
OK = "@(context.Response.StatusCode == 200)"
EXPRS = {IP: lambda s: s.request.client_ip, OK: lambda s: s.response.status == 200}


def compile_rlk(**attrs: str):
    return RLK.compile(el("rate-limit-by-key", {k.replace("_", "-"): v for k, v in attrs.items()}), Ctx(EXPRS))


async def test_by_key_counts_per_key_value() -> None:
    svc = services(Clock())
    cfg = compile_rlk(calls="2", renewal_period="60", counter_key=IP, remaining_calls_variable_name="left")
    first = State(services=svc, ip="1.1.1.1", subscription=None)
    await run_policy(RLK, cfg, first)
    assert first.variables["left"] == 1
    await run_policy(RLK, cfg, State(services=svc, ip="1.1.1.1"))
    refused = State(services=svc, ip="1.1.1.1")
    _, error = await run_policy(RLK, cfg, refused)
    assert (error.source, error.reason, refused.response.status) == ("rate-limit-by-key", "RateLimitExceeded", 429)
    assert (await run_policy(RLK, cfg, State(services=svc, ip="2.2.2.2")))[1] is None


async def test_by_key_increment_condition_counts_after_the_response() -> None:
    svc = services(Clock())
    cfg = compile_rlk(calls="1", renewal_period="60", counter_key=IP, increment_condition=OK)
    for _ in range(3):  # failed responses are not counted
        state = State(services=svc)
        assert (await run_policy(RLK, cfg, state))[1] is None
        await state.finish(GatewayResponse(500))
    state = State(services=svc)
    assert (await run_policy(RLK, cfg, state))[1] is None
    await state.finish(GatewayResponse(200))
    _, error = await run_policy(RLK, cfg, State(services=svc))
    assert error is not None and error.reason == "RateLimitExceeded"


async def test_by_key_increment_count_and_expression_calls() -> None:
    clock = Clock(0.0)
    svc = services(clock)
    ctx = Ctx({**EXPRS, "@(limit)": lambda s: s.variables["limit"]})
    cfg = RLK.compile(
        el(
            "rate-limit-by-key",
            {"calls": "@(limit)", "renewal-period": "30", "counter-key": IP, "increment-count": "5"},
        ),
        ctx,
    )
    state = State(services=svc)
    state.variables["limit"] = 10
    assert (await run_policy(RLK, cfg, state))[1] is None
    assert (await run_policy(RLK, cfg, state))[1] is None
    _, error = await run_policy(RLK, cfg, state)
    assert error is not None and state.response.headers.get("Retry-After") == "30"
    bad = State(services=svc)
    bad.variables["limit"] = "ten"
    _, error = await run_policy(RLK, cfg, bad)
    assert error is not None and error.reason == "ExpressionValueEvaluationFailure"


def test_by_key_never_hands_the_key_itself_to_the_store() -> None:
    key = rate_limit_by_key.counter_id(State(), "rate-limit-by-key", "Bearer eyJhbGciOi.secret")
    assert "secret" not in key and "Bearer" not in key


async def test_services_count_apart_and_missing_response_hooks_fail_loudly() -> None:
    svc = services(Clock())
    cfg = compile_rl({"calls": "1", "renewal-period": "60"})
    assert (await run_policy(RL, cfg, State(services=svc, service="one")))[1] is None
    assert (await run_policy(RL, cfg, State(services=svc, service="two")))[1] is None

    class NoHooks(State):
        on_response = None  # a pipeline without response hooks

    headers = compile_rl({"calls": "5", "renewal-period": "60", "total-calls-header-name": "X-Total"})
    _, error = await run_policy(RL, headers, NoHooks(services=svc))
    assert (error.source, error.reason) == ("rate-limit", "NotSupported")


async def test_constant_increment_settings_count_at_once_and_expressions_defer() -> None:
    svc = services(Clock())

    class NoHooks(State):
        on_response = None  # constants must not need the end of the pipeline

    always = compile_rlk(calls="1", renewal_period="60", counter_key="k1", increment_condition="true")
    assert (await run_policy(RLK, always, NoHooks(services=svc)))[1] is None
    assert (await run_policy(RLK, always, NoHooks(services=svc)))[1] is not None
    never = compile_rlk(calls="1", renewal_period="60", counter_key="k2", increment_condition="false")
    for _ in range(3):
        assert (await run_policy(RLK, never, NoHooks(services=svc)))[1] is None
    ctx = Ctx({"@(2)": lambda s: s.variables.get("weight", 2)})
    weighted = RLK.compile(
        el("rate-limit-by-key", {"calls": "3", "renewal-period": "60", "counter-key": "k3", "increment-count": "@(2)"}),
        ctx,
    )
    first = State(services=svc)
    assert (await run_policy(RLK, weighted, first))[1] is None
    assert (await run_policy(RLK, weighted, State(services=svc)))[1] is None  # nothing counted before the end
    first.variables["weight"] = 3  # evaluated at the end of the pipeline, not before
    await first.finish(GatewayResponse(200))
    _, error = await run_policy(RLK, weighted, State(services=svc))
    assert error is not None and error.reason == "RateLimitExceeded"


async def test_a_failing_deferred_condition_does_not_count_and_is_traced() -> None:
    svc = services(Clock())
    ctx = Ctx({"@(flag)": lambda s: s.variables["flag"]})
    cfg = RLK.compile(
        el(
            "rate-limit-by-key",
            {"calls": "1", "renewal-period": "60", "counter-key": "k", "increment-condition": "@(flag)"},
        ),
        ctx,
    )
    state = State(services=svc)
    state.variables["flag"] = "maybe"
    await run_policy(RLK, cfg, state)
    await state.finish(GatewayResponse(200))  # no exception escapes the end of the pipeline
    assert any("Not counted" in str(data) for _, data in state.traces)
    assert (await run_policy(RLK, cfg, State(services=svc)))[1] is None
