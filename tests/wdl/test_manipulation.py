from __future__ import annotations

import pytest

from keyless.wdl.api import ExpressionError, compile_template
from keyless.wdl.static_context import StaticContext
from tests.wdl.helpers import ev


def test_coalesce_returns_first_non_null_without_evaluating_the_rest() -> None:
    assert ev("@coalesce(null, '', 'x')") == ""
    assert ev("@coalesce(null, json('[]'))") == []
    assert ev("@coalesce('a', nope())") == "a"
    assert ev("@coalesce(null, null)") is None


def test_property_edits_return_new_objects() -> None:
    source = {"a": 1, "b": {"c": 2}}
    ctx = StaticContext({"variables": {"o": source}})
    added = compile_template("@addProperty(variables('o'), 'z', 3)").evaluate(ctx)
    replaced = compile_template("@setProperty(variables('o'), 'A', 9)").evaluate(ctx)
    removed = compile_template("@removeProperty(variables('o'), 'B')").evaluate(ctx)
    nested = compile_template("@setProperty(variables('o'), 'b', setProperty(variables('o')['b'], 'd', 4))").evaluate(
        ctx
    )
    assert added == {"a": 1, "b": {"c": 2}, "z": 3}
    assert replaced == {"b": {"c": 2}, "a": 9}
    assert removed == {"a": 1}
    assert nested == {"a": 1, "b": {"c": 2, "d": 4}}
    assert source == {"a": 1, "b": {"c": 2}}


def test_remove_missing_property_returns_the_object() -> None:
    assert ev("@removeProperty(json('{\"a\":1}'), 'x')") == {"a": 1}


def test_merge_objects() -> None:
    assert ev('@mergeObjects(json(\'{"a":1,"B":2}\'), json(\'{"b":3,"c":4}\'))') == {"a": 1, "B": 3, "c": 4}


@pytest.mark.parametrize(
    "text",
    [
        "@addProperty(json('{\"a\":1}'), 'A', 2)",
        "@addProperty(json('[]'), 'a', 1)",
        "@setProperty(json('{}'), 1, 1)",
        "@removeProperty(null, 'a')",
        "@mergeObjects(json('{}'), json('[]'))",
    ],
)
def test_manipulation_errors(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)
