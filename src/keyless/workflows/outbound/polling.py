"""The asynchronous request-response pattern: a 202 with `Location` is polled with GET until a non-202 answer,
which becomes the action's result (reference §3.1, DOC-AT/DOC-HTTP). `Retry-After` sets each wait."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from urllib.parse import urljoin

from keyless.workflows.host import HttpRequest, HttpResponse, RunHost
from keyless.workflows.outbound.exchange import Budget, CallResult, Rng, call
from keyless.workflows.outbound.retry import RetryPolicy

# Wait between polls when the 202 has no Retry-After (keyless's choice; Azure's is not documented).
DEFAULT_POLL_SECONDS = 10.0


def _header(response: HttpResponse, name: str) -> str | None:
    lower = name.lower()
    return next((v for k, v in response.headers if k.lower() == lower), None)


def retry_after(response: HttpResponse) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date."""
    value = _header(response, "Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def pollable(response: HttpResponse) -> bool:
    return response.status == 202 and bool(_header(response, "Location"))


async def follow(
    host: RunHost,
    first: CallResult,
    url: str,
    build_get: Callable[[str], Awaitable[HttpRequest]],
    policy: RetryPolicy,
    budget: Budget,
    rng: Rng = random.uniform,
) -> CallResult:
    """Poll from the first call's 202 until a final answer; each poll is a call under the same retry policy."""
    result = first
    while result.response is not None and pollable(result.response):
        response = result.response
        url = urljoin(url, _header(response, "Location") or "")
        wait = retry_after(response)
        wait = DEFAULT_POLL_SECONDS if wait is None else wait
        if not budget.allows(wait):
            result.timed_out = True
            return result
        await host.sleep(wait)
        budget.spend(wait)
        polled = await call(host, partial(build_get, url), policy, budget, rng, history=result.history)
        polled.attempts += result.attempts
        if polled.timed_out and polled.response is None:
            polled.response = response  # the last answer seen stays the action's outputs
        result = polled
    return result
