"""quota and quota-by-key: compile checks, fixed periods, the 403 body with .NET TimeSpan text, bandwidth."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import quota, quota_by_key

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, CompileError, Ctx, State, el, run_policy, services

Q, QK = quota.SPEC, quota_by_key.SPEC


def test_spec_facts() -> None:
    assert Q.scopes == {"product"} and Q.sections == {"inbound"} and Q.once
    assert QK.sections == {"inbound"} and "operation" in QK.scopes


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"renewal-period": "3600"}, "'calls', 'bandwidth' or both"),
        ({"calls": "10"}, "renewal-period"),
        ({"calls": "@(10)", "renewal-period": "3600"}, "calls"),
        ({"calls": "10", "renewal-period": "-1"}, "renewal-period"),
        ({"calls": "10", "renewal-period": "60", "counter-key": "k"}, "counter-key"),
    ],
)
def test_quota_refusals(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        Q.compile(el("quota", attrs), Ctx())
    assert named in caught.value.message


def test_quota_children_inherit_the_period_as_the_policy_statement_shows() -> None:
    cfg = Q.compile(
        el(
            "quota",
            {"calls": "1000", "bandwidth": "10000", "renewal-period": "3600"},
            el("api", {"name": "orders-api", "calls": "500"}, el("operation", {"name": "create", "bandwidth": "1000"})),
        ),
        Ctx(scope="product"),
    )
    api = cfg.apis[0]
    assert (api.calls, api.kilobytes, api.period, api.operations[0].kilobytes) == (500, None, 3600, 1000)
    with pytest.raises(CompileError, match="'set-header' is not a valid child element of 'quota'"):
        Q.compile(el("quota", {"calls": "1", "renewal-period": "0"}, el("set-header")), Ctx())


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"calls": "10", "renewal-period": "299", "counter-key": "k"}, "at least 300"),
        ({"calls": "10", "renewal-period": "300"}, "counter-key"),
        ({"calls": "10", "renewal-period": "0", "counter-key": "k", "first-period-start": "2024-01-01"}, "yyyy-MM-dd"),
        ({"calls": "10", "renewal-period": "0", "counter-key": "k", "retry-after-header-name": "x"}, "retry-after"),
    ],
)
def test_quota_by_key_refusals(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        QK.compile(el("quota-by-key", attrs), Ctx())
    assert named in caught.value.message


def test_quota_by_key_first_period_start_default() -> None:
    cfg = QK.compile(el("quota-by-key", {"calls": "1", "renewal-period": "0", "counter-key": "k"}), Ctx())
    assert cfg.start == datetime(1, 1, 1, tzinfo=UTC).timestamp()


async def test_call_quota_403_says_when_it_renews_in_dotnet_timespan() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = Clock(start.timestamp() + 3600 - 1802)  # 1802 s before the first period ends
    svc = services(clock)
    cfg = Q.compile(el("quota", {"calls": "2", "renewal-period": "3600"}), Ctx(scope="product"))

    def state() -> State:
        s = State(services=svc)
        s.context.Subscription.StartDate = start
        return s

    assert (await run_policy(Q, cfg, state()))[1] is None
    assert (await run_policy(Q, cfg, state()))[1] is None
    refused = state()
    _, error = await run_policy(Q, cfg, refused)
    message = "Out of call volume quota. Quota will be replenished in 00:30:02."
    assert (error.source, error.reason, error.message) == ("quota", "QuotaExceeded", message)
    assert refused.response.status == 403
    assert json.loads(refused.response.body) == {"statusCode": 403, "message": message}
    assert refused.response.headers.get("Retry-After") == "1802"
    clock.advance(1802)  # the next period
    assert (await run_policy(Q, cfg, state()))[1] is None


async def test_quota_counts_from_a_dotnet_datetime_in_ticks() -> None:
    start = SimpleNamespace(Ticks=quota.DOTNET_EPOCH_TICKS + 1000 * 10_000_000)  # 1970-01-01T00:16:40Z
    assert quota.epoch_seconds(start) == 1000.0
    assert quota.epoch_seconds("1970-01-01T00:16:40Z") == 1000.0 == quota.epoch_seconds("1970-01-01T00:16:40")
    assert quota.epoch_seconds(None) == datetime(1, 1, 1, tzinfo=UTC).timestamp()
    clock = Clock(1000.0 + 86400 * 14 + 3 * 3600 + 13 * 60 + 56 - 86400 * 28)
    svc = services(clock)
    cfg = Q.compile(el("quota", {"calls": "0", "renewal-period": str(86400 * 28)}), Ctx(scope="product"))
    s = State(services=svc)
    s.context.Subscription.StartDate = start
    _, error = await run_policy(Q, cfg, s)
    assert error.message.endswith("replenished in 13.20:46:04.")


async def test_bandwidth_quota_counts_bodies_after_the_response() -> None:
    svc = services(Clock(0.0))
    cfg = Q.compile(el("quota", {"bandwidth": "2", "renewal-period": "0"}), Ctx(scope="product"))
    first = State(services=svc, body=b"x" * 1024)
    assert (await run_policy(Q, cfg, first))[1] is None
    assert (await run_policy(Q, cfg, State(services=svc)))[1] is None  # not counted yet: no response
    await first.finish(GatewayResponse(200, body=b"y" * 1024))
    refused = State(services=svc)
    _, error = await run_policy(Q, cfg, refused)
    assert error.message == "Out of bandwidth quota." and "Retry-After" not in refused.response.headers


async def test_bandwidth_of_a_streamed_response_is_its_declared_length() -> None:
    svc = services(Clock(0.0))
    cfg = Q.compile(el("quota", {"bandwidth": "1", "renewal-period": "0"}), Ctx(scope="product"))
    first = State(services=svc)
    await run_policy(Q, cfg, first)
    streamed = GatewayResponse(200, Headers([("Content-Length", "1024")]))
    streamed.stream = object()
    await first.finish(streamed)
    assert (await run_policy(Q, cfg, State(services=svc)))[1] is not None


async def test_quota_needs_a_subscription_and_keeps_subscriptions_apart() -> None:
    svc = services(Clock())
    cfg = Q.compile(el("quota", {"calls": "1", "renewal-period": "0"}), Ctx(scope="product"))
    assert (await run_policy(Q, cfg, State(services=svc, subscription=None))) == (None, None)
    assert (await run_policy(Q, cfg, State(services=svc, subscription="a")))[1] is None
    assert (await run_policy(Q, cfg, State(services=svc, subscription="b")))[1] is None
    assert (await run_policy(Q, cfg, State(services=svc, subscription="a")))[1] is not None


async def test_quota_api_child_applies_only_to_its_api() -> None:
    svc = services(Clock())
    cfg = Q.compile(
        el("quota", {"calls": "100", "renewal-period": "0"}, el("api", {"id": "echo-api", "calls": "1"})),
        Ctx(scope="product"),
    )
    assert (await run_policy(Q, cfg, State(services=svc)))[1] is None
    assert (await run_policy(Q, cfg, State(services=svc)))[1] is not None
    assert (await run_policy(Q, cfg, State(services=svc, api="other")))[1] is None


IP = "@(context.Request.IpAddress)"
OK = "@(context.Response.StatusCode == 200)"
EXPRS = {IP: lambda s: s.request.client_ip, OK: lambda s: s.response.status == 200}


async def test_quota_by_key_periods_start_at_first_period_start() -> None:
    clock = Clock(datetime(2024, 1, 1, 0, 59, 0, tzinfo=UTC).timestamp())
    svc = services(clock)
    cfg = QK.compile(
        el(
            "quota-by-key",
            {"calls": "1", "renewal-period": "3600", "counter-key": IP, "first-period-start": "2024-01-01T00:00:00Z"},
        ),
        Ctx(EXPRS),
    )
    assert (await run_policy(QK, cfg, State(services=svc, subscription=None)))[1] is None
    refused = State(services=svc)
    _, error = await run_policy(QK, cfg, refused)
    assert (error.source, refused.response.headers.get("Retry-After")) == ("quota-by-key", "60")
    assert error.message.endswith("in 00:01:00.")
    assert (await run_policy(QK, cfg, State(services=svc, ip="9.9.9.9")))[1] is None
    clock.advance(60)
    assert (await run_policy(QK, cfg, State(services=svc)))[1] is None


async def test_quota_by_key_condition_counts_after_response_and_once_per_request() -> None:
    svc = services(Clock())
    attrs = {"calls": "2", "renewal-period": "0", "counter-key": IP, "increment-condition": OK}
    cfg = QK.compile(el("quota-by-key", attrs), Ctx(EXPRS))
    failed = State(services=svc)
    await run_policy(QK, cfg, failed)
    await failed.finish(GatewayResponse(404))
    twice = State(services=svc)  # two policies naming the same key count once
    await run_policy(QK, cfg, twice)
    await run_policy(QK, cfg, twice)
    await twice.finish(GatewayResponse(200))
    assert id(twice) not in quota_by_key._counted and id(failed) not in quota_by_key._counted
    ok = State(services=svc)
    assert (await run_policy(QK, cfg, ok))[1] is None
    await ok.finish(GatewayResponse(200))
    _, error = await run_policy(QK, cfg, State(services=svc))
    assert error is not None and error.reason == "QuotaExceeded"


async def test_quota_by_key_constant_condition_counts_at_once() -> None:
    svc = services(Clock())
    cfg = QK.compile(
        el("quota-by-key", {"calls": "1", "renewal-period": "0", "counter-key": "k", "increment-condition": "true"}),
        Ctx(),
    )

    class NoHooks(State):
        on_response = None

    assert (await run_policy(QK, cfg, NoHooks(services=svc)))[1] is None
    assert (await run_policy(QK, cfg, NoHooks(services=svc)))[1] is not None
    never = QK.compile(
        el("quota-by-key", {"calls": "1", "renewal-period": "0", "counter-key": "n", "increment-condition": "false"}),
        Ctx(),
    )
    for _ in range(3):
        assert (await run_policy(QK, never, NoHooks(services=svc)))[1] is None
