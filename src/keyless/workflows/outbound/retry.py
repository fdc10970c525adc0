"""The Http action's retry policy: parsing with Logic Apps' bounds, and the delay before each retry.

Reference §3.1 (DOC-EH, DOC-LIM, DOC-HOST): retries follow 408, 429, 5xx and connection failures; the default
policy is exponential, 4 retries, interval PT7S, bounds PT5S..PT1H; count 1..90; intervals PT5S..P1D.
Exponential retry n waits a uniform random delay in
`[max(L_n, minimumInterval), min(2^(n-1) * interval, maximumInterval)]`, L_1 = 0, L_n = 2^(n-2) * interval.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keyless.workflows.durations import parse_duration

MIN_COUNT, MAX_COUNT = 1, 90
MIN_INTERVAL, MAX_INTERVAL = 5.0, 86400.0  # PT5S .. P1D
TYPES = ("none", "default", "fixed", "exponential")


@dataclass(frozen=True)
class RetryPolicy:
    type: str  # none | fixed | exponential (default is stored as exponential with the default numbers)
    count: int = 0
    interval: float = 0.0
    minimum: float = 5.0
    maximum: float = 3600.0

    def delay(self, retry: int, rng: Callable[[float, float], float] = random.uniform) -> float:
        """Seconds to wait before retry number `retry` (1-based); `rng(a, b)` draws uniformly in [a, b]."""
        if self.type == "fixed":
            return self.interval
        upper = min(2 ** (retry - 1) * self.interval, self.maximum)
        lower = max(0.0 if retry == 1 else 2 ** (retry - 2) * self.interval, self.minimum)
        lower = min(lower, self.maximum)  # past the cap both ends sit at maximumInterval
        return rng(lower, max(lower, upper))


DEFAULT = RetryPolicy("exponential", count=4, interval=7.0, minimum=5.0, maximum=3600.0)
NONE = RetryPolicy("none")


class RetryPolicyError(ValueError):
    """An invalid retryPolicy; `field` is the member at fault (`count`, `interval`, ...) or '' for the object."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def is_retryable(status: int) -> bool:
    return status in (408, 429) or 500 <= status <= 599


def parse_policy(raw: Any) -> RetryPolicy:
    """A `retryPolicy` object (already evaluated) as a RetryPolicy; None means the default policy."""
    if raw is None:
        return DEFAULT
    if not isinstance(raw, dict):
        raise RetryPolicyError("", "The 'retryPolicy' must be an object with a 'type'.")
    known = {"type", "count", "interval", "minimumInterval", "maximumInterval"}
    for key in raw:
        if key not in known:
            raise RetryPolicyError(
                key, f"The retry policy property '{key}' is not supported; expected {sorted(known)}."
            )
    kind = raw.get("type")
    if not isinstance(kind, str) or kind.lower() not in TYPES:
        raise RetryPolicyError(
            "type", f"The retry policy type '{kind}' is not valid; expected one of {', '.join(TYPES)}."
        )
    kind = kind.lower()
    if kind == "default":
        return DEFAULT
    if kind == "none":
        return NONE
    count = raw.get("count")
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count)
    if not isinstance(count, int) or isinstance(count, bool) or not MIN_COUNT <= count <= MAX_COUNT:
        raise RetryPolicyError("count", f"The retry policy count '{count}' must be an integer from 1 to 90.")
    interval = _interval(raw, "interval", required=True) or 0.0
    if kind == "fixed":
        for key in ("minimumInterval", "maximumInterval"):
            if key in raw:
                raise RetryPolicyError(key, f"The retry policy property '{key}' applies only to type 'exponential'.")
        return RetryPolicy("fixed", count=count, interval=interval)
    minimum = _interval(raw, "minimumInterval", required=False)
    maximum = _interval(raw, "maximumInterval", required=False)
    minimum = DEFAULT.minimum if minimum is None else minimum
    maximum = DEFAULT.maximum if maximum is None else maximum
    if minimum > maximum:
        raise RetryPolicyError("minimumInterval", "The retry policy 'minimumInterval' exceeds its 'maximumInterval'.")
    return RetryPolicy("exponential", count=count, interval=interval, minimum=minimum, maximum=maximum)


def _interval(raw: dict[str, Any], key: str, *, required: bool) -> float | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise RetryPolicyError(key, f"The retry policy of type '{raw['type']}' needs an '{key}'.")
        return None
    seconds = parse_duration(value)
    if seconds is None:
        raise RetryPolicyError(key, f"The retry policy '{key}' '{value}' is not an ISO 8601 duration (e.g. 'PT10S').")
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:
        raise RetryPolicyError(key, f"The retry policy '{key}' '{value}' must be between PT5S and P1D.")
    return seconds
