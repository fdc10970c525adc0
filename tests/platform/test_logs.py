"""`keyless up`'s log set-up: INFO lines of the `keyless` loggers reach its stream, once, at the level asked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from keyless.platform import logs


@pytest.fixture
def restore() -> Iterator[None]:
    logger = logging.getLogger(logs.LOGGER)
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_info_lines_reach_the_stream_once(restore: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(logs.LEVEL_ENV, raising=False)
    first, second = io.StringIO(), io.StringIO()
    logs.configure(stream=first)
    logs.configure(stream=second)  # the same handler, now on the second stream
    logging.getLogger("keyless.gateway").info("gateway refused: correlation=%s", "c-1")
    logging.getLogger("keyless.gateway").debug("not at INFO")
    assert first.getvalue() == ""
    lines = second.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].endswith("Z INFO keyless.gateway: gateway refused: correlation=c-1")


@pytest.mark.parametrize(
    ("value", "level"), [("warning", logging.WARNING), ("10", logging.DEBUG), ("nope", logging.INFO)]
)
def test_level_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, level: int) -> None:
    monkeypatch.setenv(logs.LEVEL_ENV, value)
    assert logs.level_from_env() == level
