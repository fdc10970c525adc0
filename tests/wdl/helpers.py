"""Evaluate WDL text against a StaticContext in tests."""

from __future__ import annotations

from typing import Any

from keyless.wdl.api import evaluate_text
from keyless.wdl.static_context import StaticContext


def ev(text: str, data: dict[str, Any] | None = None) -> Any:
    return evaluate_text(text, StaticContext({"now": "2025-01-01T00:00:00Z", **(data or {})}))
