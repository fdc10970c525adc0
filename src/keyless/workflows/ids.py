"""Names Logic Apps gives runs, versions and trackings (reference §6.3).

A run name is the 20-digit, zero-padded `Int64.MaxValue - DateTime.UtcNow.Ticks`, 9 more digits and a scale-unit
suffix (`CU00`): the reversed ticks make newer names sort first, which is how the run list is ordered. A
version name is the same 20 digits alone.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from datetime import UTC, datetime, timedelta

INT64_MAX = 9_223_372_036_854_775_807
# .NET ticks (100 ns) from 0001-01-01 to the Unix epoch.
_EPOCH_TICKS = 621_355_968_000_000_000
SCALE_UNIT = "CU00"

_lock = threading.Lock()
_last_reversed = INT64_MAX + 1  # process-local: two names made in the same tick still differ and keep the order


def ticks(moment: datetime | None = None) -> int:
    """.NET ticks of `moment` (UTC now by default)."""
    moment = moment or datetime.now(UTC)
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return _EPOCH_TICKS + (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _reversed(moment: datetime | None) -> int:
    global _last_reversed
    value = INT64_MAX - ticks(moment)
    if moment is not None:
        return value
    with _lock:
        # Later calls must give smaller numbers (newer first) even when the clock has not moved a tick.
        value = min(value, _last_reversed - 1)
        _last_reversed = value
    return value


def run_name(moment: datetime | None = None) -> str:
    """`08584640926573727105946217888CU00`: reversed ticks, 9 random digits, the scale unit."""
    return f"{_reversed(moment):020d}{secrets.randbelow(10**9):09d}{SCALE_UNIT}"


def version_name(moment: datetime | None = None) -> str:
    return f"{_reversed(moment):020d}"


def time_of(name: str) -> datetime:
    """The moment a run or version name was made (to the 100 ns tick)."""
    elapsed = INT64_MAX - int(name[:20]) - _EPOCH_TICKS
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=elapsed // 10)


def tracking_id() -> str:
    return str(uuid.uuid4())


def is_run_name(name: str) -> bool:
    return len(name) == 33 and name[:29].isdigit() and name[29:31] == "CU" and name[31:].isdigit()


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 with 7 fractional digits and Z, as Logic Apps writes every time (`2024-11-18T22:39:44.5122053Z`)."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"
