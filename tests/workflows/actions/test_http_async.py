"""The asynchronous pattern (202 + Location polling, Retry-After) and limit.timeout."""

from __future__ import annotations

from keyless.workflows.outbound.polling import DEFAULT_POLL_SECONDS
from tests.workflows.actions._http_fakes import ScriptedHost, json_response, response, run_http

START = {"method": "POST", "uri": "https://h/jobs", "body": {"n": 1}}


def accepted(location: str | None, retry_after: str | None = None) -> object:
    headers = [("Location", location)] if location else []
    if retry_after is not None:
        headers.append(("Retry-After", retry_after))
    return response(202, b"", headers)


async def test_202_is_polled_until_a_final_answer_honouring_retry_after() -> None:
    host = ScriptedHost(
        [
            accepted("https://h/jobs/1/status", "3"),
            accepted("/jobs/1/status?step=2", "20"),
            json_response(200, b'{"done":true}'),
        ]
    )
    outcome = await run_http({"inputs": START}, host)
    assert (outcome.status, outcome.code, outcome.outputs["body"]) == ("Succeeded", "OK", {"done": True})
    assert host.sleeps == [3.0, 20.0]
    assert [(r.method, r.url, r.body) for r in host.requests] == [
        ("POST", "https://h/jobs", b'{"n":1}'),
        ("GET", "https://h/jobs/1/status", None),
        ("GET", "https://h/jobs/1/status?step=2", None),
    ]
    assert "Content-Type" not in host.requests[1].headers


async def test_polls_carry_the_authentication() -> None:
    host = ScriptedHost([accepted("https://h/s"), response(200)])
    auth = {"type": "ManagedServiceIdentity", "audience": "api://jobs"}
    await run_http({"inputs": {**START, "authentication": auth}}, host)
    assert [r.headers["Authorization"] for r in host.requests] == ["Bearer token-for-test:api://jobs"] * 2


async def test_without_retry_after_keyless_waits_its_default() -> None:
    host = ScriptedHost([accepted("https://h/s"), response(200)])
    await run_http({"inputs": START}, host)
    assert host.sleeps == [DEFAULT_POLL_SECONDS]


async def test_final_failure_after_polling_fails_the_action() -> None:
    host = ScriptedHost([accepted("https://h/s", "1"), json_response(409, b'{"message":"Job conflicted."}')])
    outcome = await run_http({"inputs": START}, host)
    assert (outcome.status, outcome.code) == ("Failed", "Conflict")
    assert outcome.error is not None and outcome.error["message"].endswith("Job conflicted.")


async def test_polls_are_retried_under_the_same_policy() -> None:
    host = ScriptedHost([accepted("https://h/s", "1"), response(503), response(200)])
    policy = {"type": "fixed", "count": 2, "interval": "PT6S"}
    outcome = await run_http({"inputs": {**START, "retryPolicy": policy}}, host)
    assert outcome.status == "Succeeded" and host.sleeps == [1.0, 6.0]
    assert [entry["code"] for entry in outcome.retry_history or []] == ["ServiceUnavailable"]


async def test_disable_async_pattern_makes_202_final() -> None:
    host = ScriptedHost([accepted("https://h/s", "5")])
    outcome = await run_http({"inputs": START, "operationOptions": "DisableAsyncPattern"}, host)
    assert (outcome.status, outcome.code) == ("Succeeded", "Accepted")
    assert outcome.outputs["headers"]["Location"] == "https://h/s"
    assert len(host.requests) == 1 and host.sleeps == []


async def test_202_without_location_is_final() -> None:
    host = ScriptedHost([accepted(None)])
    outcome = await run_http({"inputs": START}, host)
    assert (outcome.status, outcome.code) == ("Succeeded", "Accepted") and len(host.requests) == 1


async def test_limit_timeout_ends_polling_as_timed_out() -> None:
    host = ScriptedHost([accepted("https://h/s", "60"), accepted("https://h/s", "60"), accepted("https://h/s", "60")])
    outcome = await run_http({"inputs": START, "limit": {"timeout": "PT2M"}}, host)
    assert (outcome.status, outcome.code) == ("TimedOut", "ActionTimedOut")
    assert outcome.error == {
        "code": "ActionTimedOut",
        "message": "The execution of template action 'HTTP' is timed out: it exceeded its 'limit.timeout'.",
    }
    assert outcome.outputs["statusCode"] == 202  # the last answer seen
    assert host.sleeps == [60.0] and len(host.requests) == 2


async def test_limit_timeout_caps_each_request_and_a_timeout_ends_the_action() -> None:
    host = ScriptedHost([TimeoutError()])
    outcome = await run_http({"inputs": {"method": "GET", "uri": "https://slow/"}, "limit": {"timeout": "PT10S"}}, host)
    assert host.requests[0].timeout == 10.0
    assert outcome.status == "TimedOut" and outcome.has_outputs is False and host.sleeps == []


async def test_requests_default_to_the_standard_host_timeout() -> None:
    host = ScriptedHost([response(200)])
    await run_http({"inputs": {"method": "GET", "uri": "https://h/"}}, host)
    assert host.requests[0].timeout == 225.0


async def test_a_retry_that_would_outlast_the_limit_times_out() -> None:
    host = ScriptedHost([response(500)])
    policy = {"type": "fixed", "count": 3, "interval": "PT30S"}
    outcome = await run_http(
        {"inputs": {"method": "GET", "uri": "https://h/", "retryPolicy": policy}, "limit": {"timeout": "PT20S"}}, host
    )
    assert outcome.status == "TimedOut" and host.sleeps == [] and outcome.outputs["statusCode"] == 500
