"""Retry policy: parsing with Logic Apps' bounds, delays, what is retried, and the recorded retryHistory."""

from __future__ import annotations

import pytest

from keyless.workflows.errors import DefinitionError
from keyless.workflows.outbound.retry import DEFAULT, RetryPolicy, RetryPolicyError, is_retryable, parse_policy
from tests.workflows.actions._http_fakes import ScriptedHost, compile_http, json_response, response, run_http


def test_default_policy_is_exponential_four_times_seven_seconds() -> None:
    assert parse_policy(None) == DEFAULT == parse_policy({"type": "Default"})
    assert (DEFAULT.type, DEFAULT.count, DEFAULT.interval, DEFAULT.minimum, DEFAULT.maximum) == (
        "exponential",
        4,
        7.0,
        5.0,
        3600.0,
    )


def test_parsed_policies() -> None:
    assert parse_policy({"type": "none"}).type == "none"
    assert parse_policy({"type": "fixed", "count": 3, "interval": "PT10S"}) == RetryPolicy("fixed", 3, 10.0)
    exponential = parse_policy(
        {"type": "exponential", "count": 90, "interval": "PT1M", "minimumInterval": "PT30S", "maximumInterval": "P1D"}
    )
    assert (exponential.count, exponential.interval, exponential.minimum, exponential.maximum) == (
        90,
        60.0,
        30.0,
        86400.0,
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"type": "sometimes"}, "type"),
        ({"type": "fixed", "count": 0, "interval": "PT10S"}, "count"),
        ({"type": "fixed", "count": 91, "interval": "PT10S"}, "count"),
        ({"type": "fixed", "count": 2}, "interval"),
        ({"type": "fixed", "count": 2, "interval": "PT4S"}, "interval"),
        ({"type": "fixed", "count": 2, "interval": "P2D"}, "interval"),
        ({"type": "fixed", "count": 2, "interval": "10 seconds"}, "interval"),
        ({"type": "fixed", "count": 2, "interval": "PT10S", "maximumInterval": "PT1H"}, "maximumInterval"),
        ({"type": "exponential", "count": 2, "interval": "PT10S", "minimumInterval": "PT2S"}, "minimumInterval"),
        (
            {
                "type": "exponential",
                "count": 2,
                "interval": "PT10S",
                "minimumInterval": "PT1H",
                "maximumInterval": "PT1M",
            },
            "minimumInterval",
        ),
        ({"type": "fixed", "count": 2, "interval": "PT10S", "jitter": True}, "jitter"),
    ],
)
def test_invalid_policies_name_the_field(raw: dict, field: str) -> None:
    with pytest.raises(RetryPolicyError) as caught:
        parse_policy(raw)
    assert caught.value.field == field


def test_invalid_policy_is_refused_when_saved() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_http(
            {
                "inputs": {
                    "method": "GET",
                    "uri": "https://h/",
                    "retryPolicy": {"type": "fixed", "count": 100, "interval": "PT5S"},
                }
            }
        )
    assert caught.value.path.endswith("inputs.retryPolicy.count")


@pytest.mark.parametrize("draw", [0.0, 0.5, 1.0])
def test_exponential_delays_follow_the_documented_intervals(draw: float) -> None:
    policy = RetryPolicy("exponential", count=6, interval=7.0, minimum=5.0, maximum=30.0)
    bounds = [(5.0, 7.0), (7.0, 14.0), (14.0, 28.0), (28.0, 30.0), (30.0, 30.0)]
    for retry, (low, high) in enumerate(bounds, start=1):
        delay = policy.delay(retry, lambda a, b: a + draw * (b - a))
        assert low <= delay <= high
        assert delay == pytest.approx(low + draw * (high - low))


def test_exponential_delays_with_the_real_random_source_stay_in_bounds() -> None:
    for retry in range(1, 5):
        upper = min(2 ** (retry - 1) * 7.0, 3600.0)
        lower = max(0.0 if retry == 1 else 2 ** (retry - 2) * 7.0, 5.0)
        for _ in range(50):
            assert lower <= DEFAULT.delay(retry) <= upper


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (408, True),
        (429, True),
        (500, True),
        (503, True),
        (599, True),
        (400, False),
        (401, False),
        (404, False),
        (409, False),
        (200, False),
    ],
)
def test_retryable_statuses(status: int, retried: bool) -> None:
    assert is_retryable(status) is retried


async def test_two_500s_then_success_with_the_default_policy() -> None:
    host = ScriptedHost(
        [response(500), json_response(500, b"{}", ("x-ms-request-id", "svc-2")), json_response(200, b"1")]
    )
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host, draw=None)
    assert (outcome.status, outcome.code, outcome.outputs["body"]) == ("Succeeded", "OK", 1)
    assert len(host.requests) == 3
    history = outcome.retry_history or []
    assert [entry["code"] for entry in history] == ["InternalServerError", "InternalServerError"]
    assert history[1]["serviceRequestId"] == "svc-2"
    assert [entry["clientRequestId"] for entry in history] == [
        r.headers["x-ms-client-request-id"] for r in host.requests[:2]
    ]
    assert all(entry["startTime"].endswith("Z") and entry["endTime"] >= entry["startTime"] for entry in history)
    assert len(host.sleeps) == 2
    assert 5.0 <= host.sleeps[0] <= 7.0 and 7.0 <= host.sleeps[1] <= 14.0


async def test_retries_stop_at_count_and_the_last_answer_is_the_result() -> None:
    host = ScriptedHost([response(429)] * 3)
    policy = {"type": "fixed", "count": 2, "interval": "PT20S"}
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/", "retryPolicy": policy}}, host)
    assert (outcome.status, outcome.code) == ("Failed", "TooManyRequests")
    assert host.sleeps == [20.0, 20.0] and len(outcome.retry_history or []) == 2
    assert outcome.error is not None and "after 2 retries" in outcome.error["message"]


async def test_400_is_not_retried() -> None:
    host = ScriptedHost([response(400)])
    outcome = await run_http({"inputs": {"method": "POST", "uri": "https://h/", "body": {}}}, host)
    assert (outcome.status, outcome.code, outcome.retry_history) == ("Failed", "BadRequest", None)
    assert host.sleeps == [] and len(host.requests) == 1


async def test_type_none_never_retries() -> None:
    host = ScriptedHost([response(503)])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/", "retryPolicy": {"type": "none"}}}, host)
    assert outcome.code == "ServiceUnavailable" and host.sleeps == []


async def test_connection_errors_and_timeouts_are_retried_and_recorded() -> None:
    host = ScriptedHost([OSError("Name or service not known"), TimeoutError(), response(200)])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host)
    assert outcome.status == "Succeeded" and len(host.requests) == 3
    history = outcome.retry_history or []
    assert [entry["code"] for entry in history] == ["BadRequest", "BadRequest"]
    assert "Name or service not known" in history[0]["error"]["message"]
    assert "did not respond within the timeout limit" in history[1]["error"]["message"]


async def test_a_policy_from_an_expression_is_parsed_when_it_runs() -> None:
    host = ScriptedHost([response(502), response(200)])
    action = {"inputs": {"method": "GET", "uri": "https://h/", "retryPolicy": "@parameters('retry')"}}
    await run_http(action, host, {"parameters": {"retry": {"type": "fixed", "count": 1, "interval": "PT9S"}}})
    assert host.sleeps == [9.0]
