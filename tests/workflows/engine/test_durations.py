"""ISO 8601 durations as `limit.timeout` and Until write them."""

from __future__ import annotations

import pytest

from keyless.workflows.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1H", 3600), ("PT0.5S", 0.5), ("P1DT2H30M", 86400 + 9000), ("P2W", 14 * 86400), ("pt10m", 600), ("PT5M", 300)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "1H", "PT1H30", "P1DT", "soon", "PT-1S"])
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None
