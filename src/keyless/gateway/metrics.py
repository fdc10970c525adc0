"""Custom metrics emitted by emit-metric and the token-metric policies, kept in memory per APIM service.

Azure sends these to Application Insights / Azure Monitor; keyless keeps them where a user can read them: the
trace of the request that emitted them, and `GET {management}/keyless/apim/metrics` (see
`management/certificates.py`, which registers that admin call). Values aggregate per time series (service,
namespace, name, dimensions) per minute, like Azure Monitor's one-minute grain: count, sum, min, max.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Azure Monitor keeps custom metrics 93 days; a local process keeps a bounded window instead.
MAX_SERIES = 10_000
MAX_MINUTES = 60 * 24


@dataclass
class Aggregate:
    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def as_json(self) -> dict[str, float | int]:
        return {"count": self.count, "sum": self.total, "min": self.minimum, "max": self.maximum}


SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]


@dataclass
class ServiceMetrics:
    """One APIM service's series: (namespace, name, dimensions) -> minute (epoch s) -> aggregate."""

    series: dict[SeriesKey, dict[int, Aggregate]] = field(default_factory=dict)
    dropped: int = 0  # emissions refused because MAX_SERIES was reached (Azure Monitor drops them too)


class MetricsStore:
    """All services' custom metrics in this gateway process."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._services: dict[str, ServiceMetrics] = {}

    def emit(self, service: str, namespace: str, name: str, value: float, dimensions: dict[str, str]) -> bool:
        """Record one value; False when the service already has MAX_SERIES series and this would be a new one."""
        metrics = self._services.setdefault(service, ServiceMetrics())
        key: SeriesKey = (namespace, name, tuple(sorted(dimensions.items())))
        minutes = metrics.series.get(key)
        if minutes is None:
            if len(metrics.series) >= MAX_SERIES:
                metrics.dropped += 1
                return False
            minutes = metrics.series[key] = {}
        minute = int(self._now() // 60 * 60)
        minutes.setdefault(minute, Aggregate()).add(value)
        cutoff = minute - MAX_MINUTES * 60
        for old in [m for m in minutes if m <= cutoff]:
            del minutes[old]
        return True

    def services(self) -> list[str]:
        return sorted(self._services)

    def describe(self, service: str) -> dict[str, Any]:
        """The service's series as JSON: the shape `GET .../keyless/apim/metrics` answers."""
        metrics = self._services.get(service, ServiceMetrics())
        value = []
        for (namespace, name, dims), minutes in sorted(metrics.series.items()):
            value.append(
                {
                    "namespace": namespace,
                    "name": name,
                    "dimensions": dict(dims),
                    "timeseries": [
                        {"minute": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(m)), **agg.as_json()}
                        for m, agg in sorted(minutes.items())
                    ],
                }
            )
        return {"service": service, "value": value, "droppedEmissions": metrics.dropped}


EXTRA_KEY = "metrics"


def metrics_store(services: Any) -> MetricsStore:
    """The process's store, kept in `GatewayServices.extra` (created on first use)."""
    extra = services.extra
    store = extra.get(EXTRA_KEY)
    if store is None:
        store = extra[EXTRA_KEY] = MetricsStore()
    return store
