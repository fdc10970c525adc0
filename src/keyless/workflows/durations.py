"""ISO 8601 durations (`PT1H`, `P1DT2H30M`, `PT0.5S`, `P2W`) as Logic Apps writes `limit.timeout` and friends."""

from __future__ import annotations

import re

_DURATION = re.compile(
    r"P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?\Z",
    re.IGNORECASE,
)
# Months and years have no fixed length; Logic Apps' limits are far below where the choice matters.
_SECONDS = {
    "years": 365 * 86400,
    "months": 30 * 86400,
    "weeks": 7 * 86400,
    "days": 86400,
    "hours": 3600,
    "minutes": 60,
    "seconds": 1,
}


def parse_duration(text: str) -> float | None:
    """Seconds, or None when `text` is not an ISO 8601 duration."""
    if not isinstance(text, str) or text.upper() in ("P", "PT") or text.upper().endswith("T"):
        return None
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    return sum(float(value) * _SECONDS[unit] for unit, value in match.groupdict().items() if value)
