"""retry: compile checks, the fixed/linear/exponential waits, and a backend that fails twice then answers."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from keyless.gateway.policies import retry, send_request
from keyless.gateway.policy import STOP, PolicyError, PolicySpec
from keyless.platform.hosts import HostAliases

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import SET_VARIABLE, Backend, Clock, CompileError, Ctx, State, el, run_policy, services

R = retry.SPEC
FAILED = '@(context.Variables["r"] == null || ((IResponse)context.Variables["r"]).StatusCode >= 500)'
MORE = '@((int)context.Variables["n"] < 3)'
NEXT = '@((int)context.Variables["n"] + 1)'
EXPRS = {
    FAILED: lambda s: s.variables.get("r") is None or s.variables["r"].StatusCode >= 500,
    MORE: lambda s: s.variables["n"] < 3,
    NEXT: lambda s: s.variables["n"] + 1,
}


async def _stop_run(cfg: object, state: object) -> object:
    return STOP


STOPPER = PolicySpec("return-response", frozenset({"inbound"}), lambda e, c: None, _stop_run)
REGISTRY = {"set-variable": SET_VARIABLE, "send-request": send_request.SPEC, "return-response": STOPPER}


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(retry, "sleep", fake_sleep)
    monkeypatch.setattr(retry, "uniform", lambda low, high: (low + high) / 2)
    return recorded


def compile_retry(attrs: dict[str, str], *children):
    return R.compile(el("retry", attrs, *children), Ctx(EXPRS, REGISTRY))


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"count": "3", "interval": "1"}, "condition"),
        ({"condition": "true", "interval": "1"}, "count"),
        ({"condition": "true", "count": "3"}, "interval"),
        ({"condition": "true", "count": "0", "interval": "1"}, "count"),
        ({"condition": "true", "count": "51", "interval": "1"}, "count"),
        ({"condition": "maybe", "count": "3", "interval": "1"}, "condition"),
        ({"condition": "true", "count": "3", "interval": "1", "first-fast-retry": "yes"}, "first-fast-retry"),
        ({"condition": "true", "count": "3", "interval": "1", "backoff": "2"}, "backoff"),
    ],
)
def test_refusals_name_the_attribute(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        compile_retry(attrs)
    assert named in caught.value.message


def test_children_must_be_known_policies() -> None:
    with pytest.raises(CompileError, match="'forward-it' is not a known policy"):
        compile_retry({"condition": "true", "count": "1", "interval": "0"}, el("forward-it"))


def test_wait_formulas(waits: list[float]) -> None:
    assert [retry.wait_seconds(n, 5, None, None) for n in (1, 2, 3)] == [5, 5, 5]
    assert [retry.wait_seconds(n, 5, 2, None) for n in (1, 2, 3)] == [5, 7, 9]
    # the documented example: interval 10, delta 10, max 100 -> 10, 20, 40, 80, 100
    assert [retry.wait_seconds(n, 10, 10, 100) for n in (1, 2, 3, 4, 5, 6)] == [10, 20, 40, 80, 100, 100]


def test_exponential_jitter_is_drawn_from_0_8_to_1_2_delta(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[tuple[float, float]] = []
    monkeypatch.setattr(retry, "uniform", lambda low, high: drawn.append((low, high)) or high)
    assert retry.wait_seconds(3, 10, 10, 1000) == 10 + 3 * 12.0
    assert drawn == [(8.0, 12.0)]


async def test_children_rerun_while_condition_holds_up_to_count(waits: list[float]) -> None:
    cfg = compile_retry(
        {"condition": MORE, "count": "10", "interval": "2", "delta": "1"},
        el("set-variable", {"name": "n", "value": NEXT}),
    )
    state = State()
    state.variables["n"] = 0
    assert await run_policy(R, cfg, state) == (None, None)
    assert state.variables["n"] == 3 and waits == [2, 3]
    capped = compile_retry(
        {"condition": "true", "count": "4", "interval": "1"}, el("set-variable", {"name": "n", "value": NEXT})
    )
    state.variables["n"] = 0
    await run_policy(R, capped, state)
    assert state.variables["n"] == 5  # one try and four retries


async def test_first_fast_retry_and_stop_ends_the_loop(waits: list[float]) -> None:
    cfg = compile_retry(
        {"condition": "true", "count": "3", "interval": "4", "first-fast-retry": "true"},
        el("set-variable", {"name": "n", "value": NEXT}),
    )
    state = State()
    state.variables["n"] = 0
    await run_policy(R, cfg, state)
    assert waits == [4, 4] and state.variables["n"] == 4
    stopping = compile_retry({"condition": "true", "count": "5", "interval": "1"}, el("return-response"))
    assert await run_policy(R, stopping, state) == (STOP, None)


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    server = await Backend().start()
    yield server
    await server.stop()


async def test_backend_failing_twice_then_succeeding(backend: Backend, waits: list[float]) -> None:
    cfg = compile_retry(
        {"condition": FAILED, "count": "3", "interval": "1", "first-fast-retry": "true"},
        el(
            "send-request",
            {"mode": "new", "response-variable-name": "r", "timeout": "3", "ignore-error": "true"},
            el("set-url", text=f"{backend.url}/flaky"),
            el("set-method", text="GET"),
        ),
    )
    async with aiohttp.ClientSession() as session:
        state = State(services=services(Clock(), http=session, aliases=HostAliases()))
        assert await run_policy(R, cfg, state) == (None, None)
    assert backend.calls["flaky"] == 3 and state.variables["r"].StatusCode == 200 and waits == [1]


class Flaky:
    """A child policy failing the first `failures` times."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    def spec(self) -> PolicySpec:
        async def run(cfg: object, state: object) -> None:
            self.calls += 1
            if self.calls <= self.failures:
                raise PolicyError("forward-request", "Timeout", "no answer")

        return PolicySpec("forward-request", frozenset({"inbound"}), lambda e, c: None, run)


async def test_a_failing_child_is_retried_while_the_condition_holds(waits: list[float]) -> None:
    flaky = Flaky(2)
    cfg = R.compile(
        el("retry", {"condition": "true", "count": "3", "interval": "1"}, el("forward-request")),
        Ctx(EXPRS, {"forward-request": flaky.spec()}),
    )
    # condition "true" after the success too: 1 try + 3 retries, the first two failing
    assert await run_policy(R, cfg, State()) == (None, None)
    assert flaky.calls == 4 and waits == [1, 1, 1]


async def test_the_last_failure_or_a_false_condition_raises(waits: list[float]) -> None:
    always = Flaky(99)
    cfg = R.compile(
        el("retry", {"condition": "true", "count": "2", "interval": "0"}, el("forward-request")),
        Ctx(EXPRS, {"forward-request": always.spec()}),
    )
    _, error = await run_policy(R, cfg, State())
    assert error.reason == "Timeout" and always.calls == 3
    once = Flaky(99)
    stop = R.compile(
        el("retry", {"condition": "false", "count": "5", "interval": "0"}, el("forward-request")),
        Ctx(EXPRS, {"forward-request": once.spec()}),
    )
    _, error = await run_policy(R, stop, State())
    assert error.reason == "Timeout" and once.calls == 1
