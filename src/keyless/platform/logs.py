"""keyless's log lines: one handler on the `keyless` logger, to stderr (what `keyless up` writes to its log).

Without it, Python's last-resort handler shows WARNING and above only, so the INFO diagnostics (a gateway
refusal and why, a managed identity token issued or refused, a workflow's call refused, each with its correlation
id) would never appear. `KEYLESS_LOG_LEVEL` (DEBUG, INFO, WARNING, ...) sets the level; INFO by default. Log lines
never hold secrets or tokens: the modules that write them mask or leave them out.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TextIO

LOGGER = "keyless"
LEVEL_ENV = "KEYLESS_LOG_LEVEL"
FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
_MARK = "_keyless_handler"


def level_from_env(default: int = logging.INFO) -> int:
    """The level `KEYLESS_LOG_LEVEL` names (a name or a number); `default` when unset or not a level."""
    raw = (os.environ.get(LEVEL_ENV) or "").strip().upper()
    if not raw:
        return default
    if raw.isdigit():
        return int(raw)
    level = logging.getLevelName(raw)
    return level if isinstance(level, int) else default


def configure(level: int | None = None, stream: TextIO | None = None) -> logging.Logger:
    """Send the `keyless` logger's lines at `level` (else KEYLESS_LOG_LEVEL, else INFO) to `stream` (stderr).

    Idempotent: a second call changes the level and stream of the same handler instead of adding one. Lines
    still propagate (a host application's own handlers see them too)."""
    logger = logging.getLogger(LOGGER)
    wanted = level if level is not None else level_from_env()
    handler = next((h for h in logger.handlers if getattr(h, _MARK, False)), None)
    if handler is None:
        handler = logging.StreamHandler(stream or sys.stderr)
        formatter = logging.Formatter(FORMAT, DATE_FORMAT)
        formatter.converter = time.gmtime  # UTC, as the Z says
        handler.setFormatter(formatter)
        setattr(handler, _MARK, True)
        logger.addHandler(handler)
    elif stream is not None and isinstance(handler, logging.StreamHandler):
        handler.setStream(stream)
    logger.setLevel(wanted)
    return logger
