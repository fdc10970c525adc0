from __future__ import annotations

import pytest

from keyless.wdl.api import (
    ExpressionError,
    ExpressionSyntaxError,
    compile_template,
    compile_value,
    references,
)
from keyless.wdl.static_context import StaticContext
from tests.wdl.helpers import ev

CTX = StaticContext(
    {
        "parameters": {"age": 42, "name": "Ann"},
        "actions": {"Get_User": {"name": "Get_User", "status": "Succeeded", "outputs": {"body": {"id": 7}}}},
    }
)


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("plain", "plain"),
        ("@", "@"),
        (" @", " @"),
        ("a@b.com", "a@b.com"),
        ("@@", "@"),
        ("@@{x}", "@{x}"),
        ("@@parameters('age')", "@parameters('age')"),
        ("@parameters('age')", 42),
        ("@{parameters('age')}", "42"),
        ("Age: @{parameters('age')}!", "Age: 42!"),
        ("@{parameters('name')}@{parameters('age')}", "Ann42"),
        ("x @@{parameters('age')} @{parameters('age')}", "x @{parameters('age')} 42"),
        ("@{'}'}", "}"),
        ("@{'a''}'}", "a'}"),
        ("@{body('get_user').id}", "7"),
        ("@{null}", ""),
        ("@{true}", "True"),
    ],
)
def test_classification(text: str, result: object) -> None:
    assert compile_template(text).evaluate(CTX) == result


def test_whole_expression_keeps_json_type_interpolation_makes_text() -> None:
    assert ev("@createArray(1, 2)") == [1, 2]
    assert ev("@{createArray(1, 2)}") == "[1,2]"


@pytest.mark.parametrize("text", ["@{", " @{1", "@{}", "@{()}", "a @{'x'", "@'a'}", "@f(", "@1 2"])
def test_syntax_errors(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_template(text)


def test_constant_templates() -> None:
    assert compile_template("text").is_constant
    assert compile_template("@@{x}").is_constant
    assert not compile_template("@utcNow()").is_constant
    assert not compile_template("a @{1}").is_constant


def test_unknown_function_fails_only_when_evaluated() -> None:
    template = compile_template("@if(true, 1, nope())")
    assert template.evaluate(CTX) == 1
    with pytest.raises(ExpressionError, match=r"The template function 'nope' is not defined or not valid\."):
        compile_template("@nope()").evaluate(CTX)


def test_argument_count_of_known_function_is_a_compile_error() -> None:
    with pytest.raises(ExpressionSyntaxError, match="expects two parameters"):
        compile_template("@add(1)")


def test_function_names_are_case_insensitive() -> None:
    assert ev("@ADD(1, 2)") == 3
    assert ev("@tOlOwEr('AB')") == "ab"


def test_property_access_case_rules() -> None:
    assert ev("@json('{\"abCDef\":1}').ABCDEF") == 1
    assert ev('@json(\'{"a":1,"A":2}\').A') == 2
    assert ev('@json(\'{"aA":1,"Aa":2}\').aa') == 1


def test_missing_property_error_lists_the_available_ones() -> None:
    with pytest.raises(ExpressionError) as caught:
        ev('@json(\'{"a":1,"b":2}\').foo')
    assert "property 'foo' doesn't exist, available properties are 'a, b'" in caught.value.message
    assert 'json(\'{"a":1,"b":2}\').foo' in caught.value.message


def test_null_safe_derefs() -> None:
    assert ev("@json('{\"a\":null}')?.a?.b?[0]") is None
    assert ev("@json('{\"a\":1}')?['missing']") is None
    assert ev("@createArray(1)?[5]") is None
    with pytest.raises(ExpressionError, match="values of type 'Null'"):
        ev("@json('{\"a\":null}').a.b")
    with pytest.raises(ExpressionError, match="outside bounds"):
        ev("@createArray(1)[5]")


def test_index_by_integer_and_by_expression() -> None:
    assert ev("@createArray('x','y')[1]") == "y"
    assert ev("@json('{\"k\":3}')[concat('','k')]") == 3
    with pytest.raises(ExpressionError):
        ev("@createArray(1)['a']")


def test_compile_value_walks_json_and_keeps_keys() -> None:
    raw = {"@keep": "@add(1, 2)", "list": ["a", "@{'b'}", {"n": 1}], "const": {"x": [1, "y"]}, "esc": "@@x"}
    compiled = compile_value(raw)
    assert not compiled.is_constant
    assert compiled.evaluate(CTX) == {"@keep": 3, "list": ["a", "b", {"n": 1}], "const": {"x": [1, "y"]}, "esc": "@x"}


def test_constant_values_are_returned_without_copying() -> None:
    raw = {"a": [1, {"b": "text"}]}
    compiled = compile_value(raw)
    assert compiled.is_constant
    assert compiled.evaluate(CTX) is raw
    mixed = {"const": {"x": 1}, "expr": "@add(1, 1)"}
    assert compile_value(mixed).evaluate(CTX)["const"] is mixed["const"]


def test_compile_value_error_names_the_path() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_value({"body": {"items": ["ok", {"name": "@concat("}]}}, "inputs")
    assert caught.value.path == "inputs.body.items[1].name"  # type: ignore[attr-defined]
    assert caught.value.message.startswith("inputs.body.items[1].name: ")


def test_references_finds_constant_action_names() -> None:
    compiled = compile_value(
        {
            "a": "@body('Get_User')?.id",
            "b": "x @{outputs('HTTP').statusCode} @{actions('Parse')} @{ACTIONBODY('Old')}",
            "c": ["@result('Scope')", "@actionOutputs('legacy')", "@body(variables('dynamic'))"],
            "d": "@parameters('p')",
        }
    )
    assert references(compiled) == {"get_user", "http", "parse", "scope", "legacy", "old"}
    assert references(compile_template("@triggerBody()")) == set()


def test_expression_length_limit() -> None:
    at_limit = "@concat('" + "x" * (8192 - len("concat('')")) + "')"
    assert len(ev(at_limit)) == 8192 - len("concat('')")
    with pytest.raises(ExpressionSyntaxError, match="8192"):
        compile_template("@concat('" + "x" * 8192 + "')")
    with pytest.raises(ExpressionSyntaxError, match="8192"):
        compile_template("text @{concat('" + "x" * 8192 + "')}")


def test_every_function_group_module_is_registered() -> None:
    from keyless.wdl.functions.registry import lookup

    for name in ["if", "add", "length", "concat", "coalesce", "body", "workflow", "listCallbackUrl"]:
        assert lookup(name) is not None, name


def test_deeply_nested_expression_evaluates() -> None:
    assert ev("@" + "concat(" * 150 + "'x'" + ")" * 150) == "x"
