"""One outbound call under a retry policy and the action's time budget, recording `retryHistory`.

Delays go through `host.sleep` (durable where the host is, recorded by test hosts). The time budget
(`limit.timeout`) is counted from the seconds spent in `send` plus the seconds slept, so a test host that answers
at once and records sleeps sees exactly the waits the policy asked for.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keyless.workflows.host import HttpRequest, HttpResponse, RunHost
from keyless.workflows.outbound.diagnostics import log_refusal
from keyless.workflows.outbound.headers import status_name
from keyless.workflows.outbound.retry import RetryPolicy, is_retryable

Rng = Callable[[float, float], float]
# The code keyless gives a call that got no response (connection refused, DNS, TLS, per-request timeout).
NO_RESPONSE_CODE = "BadRequest"


def timestamp() -> str:
    """ISO 8601 with 7 fractional digits and Z, as run records write times."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}0Z"


class Budget:
    """What is left of `limit.timeout` (None = no limit)."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0

    def remaining(self) -> float | None:
        return None if self.limit is None else self.limit - self.spent

    def allows(self, seconds: float) -> bool:
        left = self.remaining()
        return left is None or seconds < left

    def spend(self, seconds: float) -> None:
        self.spent += seconds


@dataclass
class CallResult:
    """How a call ended: a response, or `failure` (why there was none), or `timed_out` (budget spent)."""

    response: HttpResponse | None = None
    failure: str | None = None
    timed_out: bool = False
    attempts: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


async def call(
    host: RunHost,
    build: Callable[[], Awaitable[HttpRequest]],
    policy: RetryPolicy,
    budget: Budget,
    rng: Rng = random.uniform,
    history: list[dict[str, Any]] | None = None,
) -> CallResult:
    """Send `build()`'s request until it succeeds, fails for good, or the policy or the budget runs out.

    `build` is called per attempt (a fresh client request id; tokens fetched again)."""
    result = CallResult(history=history if history is not None else [])
    retries = policy.count if policy.type != "none" else 0
    while True:
        request = await build()
        left = budget.remaining()
        if left is not None:
            if left <= 0:
                result.timed_out = True
                return result
            request.timeout = min(request.timeout, left)
        started_at = timestamp()
        started = time.monotonic()
        response, failure = None, None
        result.attempts += 1
        try:
            response = await host.send(request)
        except TimeoutError:
            # The host gives up only after `request.timeout`: count all of it, however fast a test host raises.
            failure = "the server did not respond within the timeout limit"
            budget.spend(max(request.timeout - (time.monotonic() - started), 0.0))
        except OSError as exc:
            failure = str(exc) or type(exc).__name__
        budget.spend(time.monotonic() - started)
        if response is not None:
            log_refusal(host, request, response)
        result.response, result.failure = response, failure
        if response is None and not budget.allows(0):
            result.timed_out = True
            return result
        retryable = response is None or is_retryable(response.status)
        attempt = result.attempts
        if not retryable or attempt > retries:
            return result
        delay = policy.delay(attempt, rng)
        if not budget.allows(delay):
            result.timed_out = True
            return result
        result.history.append(_history_entry(request, response, failure, started_at))
        await host.sleep(delay)
        budget.spend(delay)


def _history_entry(
    request: HttpRequest, response: HttpResponse | None, failure: str | None, started_at: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {"startTime": started_at, "endTime": timestamp()}
    client_id = next((v for k, v in request.headers.items() if k.lower() == "x-ms-client-request-id"), None)
    entry["clientRequestId"] = client_id or str(uuid.uuid4())
    if response is not None:
        entry["code"] = status_name(response.status)
        service_id = next((v for k, v in response.headers if k.lower() == "x-ms-request-id"), None)
        if service_id:
            entry["serviceRequestId"] = service_id
    else:
        entry["code"] = NO_RESPONSE_CODE
        entry["error"] = {"code": NO_RESPONSE_CODE, "message": no_response_message(failure or "")}
    return entry


def no_response_message(failure: str) -> str:
    """Logic Apps' wording for a call that got no response (K: recalled, not checked against a source)."""
    if failure.startswith("the server did not respond"):
        return f"Http request failed: {failure}."
    return f"Http request failed as there is an error: '{failure}'."
