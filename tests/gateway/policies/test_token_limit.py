"""azure-openai-token-limit and llm-token-limit: every attribute checked at compile time (refusals name it), the
prompt estimate, calendar quota periods, and the counters (deterministic: the doubles' clock)."""

from __future__ import annotations

import calendar
import sys
from pathlib import Path

import pytest

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import azure_openai_token_limit as tl
from keyless.gateway.policies import llm_token_limit

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, CompileError, Ctx, State, el, run_policy, services

SPECS = [tl.SPEC, llm_token_limit.SPEC]
BASE = {"counter-key": "k", "tokens-per-minute": "100", "estimate-prompt-tokens": "false"}


def compile_with(spec, attrs: dict[str, str]):
    return spec.compile(el(spec.name, attrs), Ctx())


@pytest.mark.parametrize("spec", SPECS)
def test_spec_facts_and_defaults(spec) -> None:
    assert spec.sections == {"inbound"} and not spec.once
    cfg = compile_with(spec, BASE)
    assert (cfg.quota_period, cfg.estimate, cfg.outputs, cfg.token_quota) == (None, False, {}, None)


@pytest.mark.parametrize("spec", SPECS)
def test_the_toolkit_spelling_and_singular_periods_are_read(spec) -> None:
    # Microsoft's policy toolkit writes `estimate-prompt-token` and `day` (its documents are in the corpus).
    cfg = compile_with(
        spec, {"counter-key": "k", "estimate-prompt-token": "true", "token-quota": "5", "token-quota-period": "day"}
    )
    assert (cfg.estimate, cfg.quota_period) == (True, "Daily")


@pytest.mark.parametrize(
    ("attrs", "named"),
    [
        ({"tokens-per-minute": "1", "estimate-prompt-tokens": "false"}, "counter-key"),
        ({"counter-key": "k", "estimate-prompt-tokens": "false"}, "tokens-per-minute"),
        ({**BASE, "tokens-per-minute": "many"}, "tokens-per-minute"),
        ({**BASE, "tokens-per-minute": "-1"}, "tokens-per-minute"),
        ({**BASE, "token-quota": "10"}, "token-quota-period"),
        ({**BASE, "token-quota-period": "Daily"}, "token-quota-period"),
        ({**BASE, "token-quota": "10", "token-quota-period": "Fortnightly"}, "token-quota-period"),
        ({**BASE, "token-quota": "10", "token-quota-period": '@("Daily")'}, "token-quota-period"),
        ({"counter-key": "k", "tokens-per-minute": "1"}, "estimate-prompt-tokens"),
        ({**BASE, "estimate-prompt-token": "true"}, "estimate-prompt-token"),
        ({**BASE, "estimate-prompt-tokens": "maybe"}, "estimate-prompt-tokens"),
        ({**BASE, "estimate-prompt-tokens": "@(true)"}, "estimate-prompt-tokens"),
        ({**BASE, "remaining-tokens-header-name": '@("x")'}, "remaining-tokens-header-name"),
        ({**BASE, "tokens-consumed-variable-name": " "}, "tokens-consumed-variable-name"),
        ({**BASE, "remaining-quota-tokens-header-name": "x"}, "remaining-quota-tokens-header-name"),
        ({**BASE, "calls": "1"}, "calls"),
    ],
)
def test_refusals_name_the_attribute(attrs: dict[str, str], named: str) -> None:
    for spec in SPECS:
        with pytest.raises(CompileError) as caught:
            compile_with(spec, attrs)
        assert caught.value.attribute == named, caught.value.message


def test_refuses_children_and_text() -> None:
    with pytest.raises(CompileError, match="not a valid child element"):
        tl.SPEC.compile(el(tl.NAME, BASE, el("dimension", {"name": "x"})), Ctx())
    with pytest.raises(CompileError, match="does not take text content"):
        tl.SPEC.compile(el(tl.NAME, BASE, text="x"), Ctx())


def test_every_output_attribute_is_kept() -> None:
    attrs = {**BASE, "token-quota": "10", "token-quota-period": "Hourly"}
    attrs.update({name: f"v-{name}" for name in tl.OUTPUTS})
    assert compile_with(tl.SPEC, attrs).outputs == {name: f"v-{name}" for name in tl.OUTPUTS}


def test_prompt_estimate() -> None:
    # 4 characters a token, rounded up per text; 3 per chat message and 3 to prime the reply
    chat = {"messages": [{"role": "system", "content": "abcde"}, {"role": "user", "content": [{"text": "abcd"}]}]}
    assert tl.estimate_prompt(chat) == 3 + (3 + 2) + (3 + 1)
    assert tl.estimate_prompt({"prompt": "a" * 9}) == 3
    assert tl.estimate_prompt({"input": ["abcd", "abcdefgh"]}) == 3
    assert tl.estimate_prompt({"input": [{"role": "user", "content": "abcd"}]}) == 4
    assert tl.estimate_prompt({"other": 1}) == 0 and tl.estimate_prompt(None) == 0


def test_calendar_periods() -> None:
    now = calendar.timegm((2026, 2, 18, 13, 45, 10))  # a Wednesday
    assert tl.period_bounds("Hourly", now) == (calendar.timegm((2026, 2, 18, 13, 0, 0)), 3600.0)
    assert tl.period_bounds("Daily", now) == (calendar.timegm((2026, 2, 18, 0, 0, 0)), 86400.0)
    assert tl.period_bounds("Weekly", now) == (calendar.timegm((2026, 2, 16, 0, 0, 0)), 7 * 86400.0)
    assert tl.period_bounds("Monthly", now) == (calendar.timegm((2026, 2, 1, 0, 0, 0)), 28 * 86400.0)
    december = calendar.timegm((2026, 12, 31, 23, 0, 0))
    assert tl.period_bounds("Monthly", december)[1] == 31 * 86400.0
    assert tl.period_bounds("Yearly", now) == (calendar.timegm((2026, 1, 1, 0, 0, 0)), 365 * 86400.0)


def usage(total: int) -> GatewayResponse:
    body = f'{{"usage": {{"prompt_tokens": 1, "completion_tokens": {total - 1}, "total_tokens": {total}}}}}'
    return GatewayResponse(200, Headers([("Content-Type", "application/json")]), body.encode())


async def test_the_minute_window_frees_up() -> None:
    clock = Clock()
    shared = services(clock)
    cfg = tl.SPEC.compile(el(tl.NAME, {**BASE, "remaining-tokens-variable-name": "left"}), Ctx())
    first = State(services=shared)
    assert await run_policy(tl.SPEC, cfg, first) == (None, None)
    assert first.variables["left"] == 100
    await first.finish(usage(150))  # over the limit: found in the response
    refused = State(services=shared)
    _, error = await run_policy(tl.SPEC, cfg, refused)
    assert error is not None and error.reason == "TokenLimitExceeded" and refused.response.status == 429
    assert refused.response.headers.get("Retry-After") == "60"
    clock.advance(61)
    again = State(services=shared)
    assert await run_policy(tl.SPEC, cfg, again) == (None, None)


async def test_both_policy_names_share_one_counter_per_key() -> None:
    shared = services(Clock())
    a = tl.SPEC.compile(el(tl.NAME, BASE), Ctx())
    b = llm_token_limit.SPEC.compile(el(llm_token_limit.NAME, BASE), Ctx())
    state = State(services=shared)
    await run_policy(tl.SPEC, a, state)
    await state.finish(usage(100))
    _, error = await run_policy(llm_token_limit.SPEC, b, State(services=shared))
    assert error is not None and error.source == "llm-token-limit"


async def test_a_failed_backend_call_consumes_nothing() -> None:
    shared = services(Clock())
    cfg = tl.SPEC.compile(el(tl.NAME, {**BASE, "tokens-per-minute": "1"}), Ctx())
    state = State(services=shared)
    await run_policy(tl.SPEC, cfg, state)
    await state.finish(GatewayResponse(502, Headers(), b"bad gateway"))
    assert await run_policy(tl.SPEC, cfg, State(services=shared)) == (None, None)


async def test_counter_key_expressions_are_evaluated_per_request() -> None:
    shared = services(Clock())
    cfg = tl.SPEC.compile(
        el(tl.NAME, {**BASE, "counter-key": "@(ip)"}), Ctx(exprs={"@(ip)": lambda s: s.request.client_ip})
    )
    spender = State(services=shared, ip="10.0.0.1")
    await run_policy(tl.SPEC, cfg, spender)
    await spender.finish(usage(100))
    assert (await run_policy(tl.SPEC, cfg, State(services=shared, ip="10.0.0.1")))[1] is not None
    assert await run_policy(tl.SPEC, cfg, State(services=shared, ip="10.0.0.2")) == (None, None)
