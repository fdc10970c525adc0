"""limit-concurrency: compile checks; a request over max-count gets 429 at once; slots come back."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from keyless.gateway.policies import limit_concurrency
from keyless.gateway.policy import PolicyError, PolicySpec

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import SET_VARIABLE, Clock, CompileError, Ctx, State, el, run_policy, services

LC = limit_concurrency.SPEC
KEY = "@(context.Request.IpAddress)"


class Gate:
    """A child policy that waits until the test opens the gate (or fails when told to)."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.open = asyncio.Event()
        self.fail = False

    def spec(self) -> PolicySpec:
        async def run(cfg: object, state: object) -> None:
            self.entered.set()
            await self.open.wait()
            if self.fail:
                raise PolicyError("forward-request", "Timeout", "late")

        return PolicySpec("forward-request", frozenset({"inbound", "backend"}), lambda e, c: None, run)


def compile_lc(attrs: dict[str, str], gate: Gate | None = None, *children):
    registry = {"set-variable": SET_VARIABLE, "forward-request": (gate or Gate()).spec()}
    return LC.compile(el("limit-concurrency", attrs, *children), Ctx({KEY: lambda s: s.request.client_ip}, registry))


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"max-count": "1"}, "key"),
        ({"key": "k"}, "max-count"),
        ({"key": "k", "max-count": "0"}, "max-count"),
        ({"key": "k", "max-count": "@(3)"}, "max-count"),
        ({"key": "k", "max-count": "1", "timeout": "3"}, "timeout"),
    ],
)
def test_refusals_name_the_attribute(attrs: dict[str, str], named: str) -> None:
    with pytest.raises(CompileError) as caught:
        compile_lc(attrs)
    assert named in caught.value.message


async def test_over_the_limit_fails_at_once_with_429_and_slots_return() -> None:
    gate = Gate()
    svc = services(Clock())
    cfg = compile_lc({"key": KEY, "max-count": "1"}, gate, el("forward-request"))
    first = asyncio.create_task(run_policy(LC, cfg, State(services=svc)))
    await gate.entered.wait()
    blocked = State(services=svc)
    _, error = await run_policy(LC, cfg, blocked)
    assert error.source == "limit-concurrency" and blocked.response.status == 429
    assert json.loads(blocked.response.body)["statusCode"] == 429
    other_key = State(services=svc, ip="10.9.9.9")
    gate.open.set()  # other keys have their own slots; the gate is open so it completes
    assert await run_policy(LC, cfg, other_key) == (None, None)
    assert await first == (None, None)
    gate.fail = True  # a failing child still gives its slot back
    _, error = await run_policy(LC, cfg, State(services=svc))
    assert error.reason == "Timeout"
    gate.fail = False
    assert await run_policy(LC, cfg, State(services=svc)) == (None, None)


async def test_children_run_inside() -> None:
    cfg = compile_lc({"key": "fixed", "max-count": "2"}, None, el("set-variable", {"name": "inside", "value": "yes"}))
    state = State(services=services(Clock()))
    await run_policy(LC, cfg, state)
    assert state.variables["inside"] == "yes"
