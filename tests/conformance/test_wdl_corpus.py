"""Conformance: every expression vector of ../shared/corpus/expressions/illogicapps.jsonl (IllogicApps' record of
Logic Apps behaviour, see its SOURCE.md) through keyless.wdl.

A vector is a JSON string value as written in a definition. It passes when the value matches `expected` (int and
float kept apart, object key order compared) or, for an error vector, when compiling or evaluating raises
ExpressionError. Passing vectors are a ratchet: `wdl_passing.txt` may grow, never shrink
(KEYLESS_UPDATE_RATCHET=1 rewrites it).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from keyless.wdl.api import ExpressionError, compile_template
from keyless.wdl.static_context import StaticContext

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus" / "expressions" / "illogicapps.jsonl"
RATCHET = Path(__file__).with_name("wdl_passing.txt")

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason=f"the expression corpus is not at {CORPUS}")


def vector_id(vector: dict[str, Any]) -> str:
    source = vector["source"].rsplit("/", 1)[-1].removesuffix(".fs")
    return f"{source}:{vector['line']}"


def typed(value: Any) -> Any:
    """A comparable form that keeps int, float and bool apart and object key order."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, (float, Decimal)):
        return ("float", float(value))
    if isinstance(value, list):
        return ("array", [typed(item) for item in value])
    if isinstance(value, dict):
        return ("object", [(key, typed(item)) for key, item in value.items()])
    return ("other", repr(value))


def run(vector: dict[str, Any]) -> tuple[bool, str]:
    ctx = StaticContext({"now": "2025-01-01T00:00:00Z"})
    try:
        result = compile_template(vector["expr"]).evaluate(ctx)
    except ExpressionError as error:
        return bool(vector["error"]), f"error: {error.message}"
    except Exception as error:  # a crash is a failure whatever was expected
        return False, f"crash: {type(error).__name__}: {error}"
    if vector["error"]:
        return False, f"expected an error, got {result!r}"
    ok = typed(result) == typed(vector["expected"])
    return ok, f"expected {vector['expected']!r}, got {result!r}"


def load() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_wdl_corpus() -> None:
    vectors = load()
    results = {vector_id(vector): (vector, *run(vector)) for vector in vectors}
    passing = {key for key, (_, ok, _) in results.items() if ok}
    failing_by_group = Counter(vector["group"] for vector, ok, _ in results.values() if not ok)
    print(f"WDL conformance: {len(passing)}/{len(results)}; failing by group: {dict(failing_by_group)}")

    if os.environ.get("KEYLESS_UPDATE_RATCHET") == "1":
        RATCHET.write_text("".join(f"{key}\n" for key in sorted(passing)), encoding="utf-8")
    recorded = set(RATCHET.read_text(encoding="utf-8").split()) if RATCHET.is_file() else set()
    regressed = sorted(recorded - passing)
    details = [f"{key}: {results[key][0]['expr']!r}: {results[key][2]}" for key in regressed if key in results]
    assert not regressed, "vectors that passed before fail now:\n" + "\n".join(details)
