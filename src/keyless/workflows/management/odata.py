"""The `$filter` subset the run lists accept: `status eq 'X'` and `startTime ge|gt|le|lt <time>`, joined with
`and`. Anything else is refused with a 400 naming it, rather than silently ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from keyless.arm.errors import ArmError
from keyless.workflows import ids

_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ge|gt|le|lt)\s+(.+?)\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


@dataclass
class Filter:
    status: str | None = None
    start_bounds: list[tuple[str, str]] = field(default_factory=list)


def _refuse(text: str, reason: str) -> ArmError:
    # [unconfirmed] code; Azure answers 400 for filters it cannot apply.
    return ArmError(400, "InvalidFilter", f"The filter '{text}' is not supported: {reason}.")


def _time(text: str, value: str) -> str:
    raw = value.strip().strip("'")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise _refuse(text, f"'{raw}' is not a date and time") from exc
    return ids.timestamp(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def parse_filter(text: str | None, *, allow_start_time: bool = True) -> Filter:
    result = Filter()
    if not text or not text.strip():
        return result
    for clause in _AND.split(text.strip()):
        match = _CLAUSE.match(clause)
        if match is None:
            raise _refuse(text, f"'{clause.strip()}' is not '<property> <operator> <value>'")
        prop, op, value = match.group(1).lower(), match.group(2).lower(), match.group(3)
        if prop == "status" and op == "eq":
            if len(value) < 2 or value[0] != "'" or value[-1] != "'":
                raise _refuse(text, "the status must be a quoted string")
            result.status = value[1:-1]
        elif prop == "starttime" and op != "eq" and allow_start_time:
            result.start_bounds.append((op, _time(text, value)))
        else:
            raise _refuse(text, f"'{match.group(1)} {match.group(2)}' (supported: status eq, startTime ge/gt/le/lt)")
    return result
