"""Variable actions: declared types, the update rules of §3.4, records and Logic Apps' error wording."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keyless.workflows.actions import (
    append_to_array_variable,
    append_to_string_variable,
    decrement_variable,
    increment_variable,
    initialize_variable,
    set_variable,
)
from keyless.workflows.actions._variables import declared_variables
from keyless.workflows.errors import DefinitionError

from ._fakes import FakeRunContext, compile_action, run_action


def init(name: str, type_name: str, *value: object) -> dict:
    entry: dict = {"name": name, "type": type_name}
    if value:
        entry["value"] = value[0]
    return {"type": "InitializeVariable", "inputs": {"variables": [entry]}}


def initialize(ctx: FakeRunContext, name: str, type_name: str, *value: object):
    spec = initialize_variable.SPEC
    return run_action(spec, compile_action(spec, init(name, type_name, *value)), ctx)


# InitializeVariable


@pytest.mark.parametrize(
    ("written", "value", "stored", "declared"),
    [
        ("integer", 2, 2, "Integer"),
        ("Float", 1, 1.0, "Float"),
        ("FLOAT", 2.5, 2.5, "Float"),
        ("string", "a", "a", "String"),
        ("boolean", True, True, "Boolean"),
        ("object", {"a": 1}, {"a": 1}, "Object"),
        ("array", [1, "x"], [1, "x"], "Array"),
    ],
)
def test_initialize_stores_value_and_type(written: str, value: object, stored: object, declared: str) -> None:
    ctx = FakeRunContext()
    outcome = initialize(ctx, "V", written, value)
    assert (outcome.status, outcome.code, outcome.error) == ("Succeeded", "NotSpecified", None)
    assert outcome.inputs == {"variables": [{"name": "V", "type": written, "value": stored}]}
    assert not outcome.has_outputs
    assert ctx.variables["v"] == stored and type(ctx.variables["v"]) is type(stored)
    assert ctx.variable_types["V"] == declared


@pytest.mark.parametrize(
    ("written", "default"),
    [("integer", 0), ("float", 0.0), ("string", ""), ("boolean", False), ("array", []), ("object", None)],
)
def test_initialize_without_value_records_the_default(written: str, default: object) -> None:
    ctx = FakeRunContext()
    outcome = initialize(ctx, "var1", written)
    assert outcome.inputs == {"variables": [{"name": "var1", "type": written, "value": default}]}
    assert ctx.variables["var1"] == default


def test_initialize_with_wrong_type_fails() -> None:
    ctx = FakeRunContext()
    outcome = initialize(ctx, "count", "Integer", "7")
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error == {
        "code": "BadRequest",
        "message": "The variable 'count' of type 'Integer' cannot be initialized or updated with value of type "
        "'String'.",
    }
    assert "count" not in ctx.variables


def test_initialize_twice_at_runtime_fails() -> None:
    ctx = FakeRunContext()
    initialize(ctx, "v", "String", "a")
    outcome = initialize(ctx, "V", "String", "b")
    assert outcome.status == "Failed"
    assert "'V' has already been initialized" in outcome.error["message"]
    assert ctx.variables["v"] == "a"


def test_initialize_inside_a_container_is_refused() -> None:
    spec = initialize_variable.SPEC
    with pytest.raises(DefinitionError) as err:
        compile_action(spec, init("v", "String", ""), action_name="Init", inside=("Scope", "Foreach"))
    assert err.value.path == "properties.definition.actions.Init.type"
    assert "inside a 'Foreach' action" in err.value.detail


def test_initialize_several_variables_is_refused_with_logic_apps_code() -> None:
    spec = initialize_variable.SPEC
    action = {"type": "InitializeVariable", "inputs": {"variables": [{"name": "a", "type": "string"}] * 2}}
    with pytest.raises(DefinitionError) as err:
        compile_action(spec, action, action_name="Initialize_variables")
    assert err.value.code == "WorkflowRunActionInputsInvalidProperty"
    assert err.value.detail == (
        "The inputs of workflow run action 'Initialize_variables' of type 'InitializeVariable' are not valid. Only "
        "one variable is supported to be initialized. To initialize multiple variables, create separate action "
        "for each variable."
    )


@pytest.mark.parametrize(
    ("action", "path"),
    [
        (init("v", "Number", 1), "inputs.variables[0].type"),
        (init("", "String", ""), "inputs.variables[0].name"),
        ({"type": "InitializeVariable", "inputs": {"variables": []}}, "inputs.variables"),
        ({"type": "InitializeVariable"}, "inputs"),
    ],
)
def test_initialize_invalid_shapes_are_refused(action: dict, path: str) -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(initialize_variable.SPEC, action, action_name="I")
    assert err.value.path == f"properties.definition.actions.I.{path}"


def test_declared_variables_and_duplicates() -> None:
    actions = {"A": init("Count", "integer", 1), "B": {"type": "Compose", "inputs": 1}, "C": init("s", "STRING")}
    assert declared_variables(actions) == {"count": "Integer", "s": "String"}
    with pytest.raises(DefinitionError) as err:
        declared_variables({**actions, "D": init("COUNT", "integer")})
    assert err.value.path == "properties.definition.actions.D.inputs.variables[0].name"
    assert "'A' and 'D'" in err.value.detail


def test_at_most_250_variables() -> None:
    actions = {f"I{n}": init(f"v{n}", "integer") for n in range(250)}
    assert len(declared_variables(actions)) == 250
    with pytest.raises(DefinitionError) as err:
        declared_variables({**actions, "Last": init("one_more", "integer")})
    assert err.value.path == "properties.definition.actions.Last.inputs.variables[0].name"
    assert "more than 250 variables" in err.value.detail


# SetVariable


def set_(ctx: FakeRunContext, name: str, value: object):
    spec = set_variable.SPEC
    config = compile_action(spec, {"type": "SetVariable", "inputs": {"name": name, "value": value}})
    return run_action(spec, config, ctx)


def test_set_variable_records_inputs_and_body() -> None:
    ctx = FakeRunContext()
    ctx.declare("Name", "String", "a")
    outcome = set_(ctx, "name", "b")
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.inputs == {"name": "name", "value": "b"}
    assert outcome.outputs == {"body": {"name": "name", "value": "b"}}
    assert ctx.variables["NAME"] == "b"


def test_set_float_takes_integer_as_double() -> None:
    ctx = FakeRunContext()
    ctx.declare("f", "Float", 0.5)
    outcome = set_(ctx, "f", 3)
    assert outcome.outputs == {"body": {"name": "f", "value": 3.0}}
    assert isinstance(ctx.variables["f"], float)


@pytest.mark.parametrize(("declared", "stored"), [("String", ""), ("Array", []), ("Object", None)])
def test_set_null_on_string_array_object(declared: str, stored: object) -> None:
    ctx = FakeRunContext()
    ctx.declare("v", declared, "x" if declared == "String" else ([1] if declared == "Array" else {"a": 1}))
    assert set_(ctx, "v", None).status == "Succeeded"
    assert ctx.variables["v"] == stored


@pytest.mark.parametrize(
    ("declared", "current", "value", "actual"),
    [
        ("Integer", 1, 1.5, "Float"),
        ("Integer", 1, None, "Null"),
        ("String", "a", 1, "Integer"),
        ("Boolean", True, "true", "String"),
        ("Array", [], {"a": 1}, "Object"),
        ("Object", {}, [1], "Array"),
        ("Float", 1.0, True, "Boolean"),
    ],
)
def test_set_with_wrong_type_fails(declared: str, current: object, value: object, actual: str) -> None:
    ctx = FakeRunContext()
    ctx.declare("v", declared, current)
    outcome = set_(ctx, "v", value)
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error["message"] == (
        f"The variable 'v' of type '{declared}' cannot be initialized or updated with value of type '{actual}'."
    )
    assert outcome.inputs == {"name": "v", "value": value}
    assert not outcome.has_outputs
    assert ctx.variables["v"] == current


def test_set_undeclared_variable_fails_at_runtime() -> None:
    outcome = set_(FakeRunContext(), "missing", 1)
    assert outcome.status == "Failed"
    assert outcome.error["message"].startswith("The variable 'missing' is not initialized")


def test_set_undeclared_constant_name_is_refused_at_save() -> None:
    spec = set_variable.SPEC
    action = {"type": "SetVariable", "inputs": {"name": "nope", "value": 1}}
    with pytest.raises(DefinitionError) as err:
        compile_action(spec, action, action_name="Set", declared_variables={"count": "Integer"})
    assert err.value.path == "properties.definition.actions.Set.inputs.name"
    assert "'nope'" in err.value.detail
    # Declared names match ignoring case.
    compile_action(
        spec, {"type": "SetVariable", "inputs": {"name": "COUNT", "value": 1}}, declared_variables={"count": "Integer"}
    )


def test_set_requires_name_and_value() -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(set_variable.SPEC, {"type": "SetVariable", "inputs": {"name": "v"}}, action_name="S")
    assert err.value.path == "properties.definition.actions.S.inputs.value"


def test_set_name_from_expression() -> None:
    spec = set_variable.SPEC
    config = compile_action(
        spec, {"type": "SetVariable", "inputs": {"name": "@item()", "value": 5}}, {"@item()": lambda c: "n"}
    )
    ctx = FakeRunContext()
    ctx.declare("n", "Integer", 1)
    assert run_action(spec, config, ctx).outputs == {"body": {"name": "n", "value": 5}}


# IncrementVariable / DecrementVariable


def step(spec, ctx: FakeRunContext, inputs: dict):
    return run_action(spec, compile_action(spec, {"type": spec.type_name, "inputs": inputs}), ctx)


def test_increment_records_step_and_new_value() -> None:
    ctx = FakeRunContext()
    ctx.declare("TEST", "Integer", 2)
    outcome = step(increment_variable.SPEC, ctx, {"name": "TEST", "value": 2})
    assert (outcome.status, outcome.code) == ("Succeeded", "NotSpecified")
    assert outcome.inputs == {"name": "TEST", "value": 2}
    assert outcome.outputs == {"body": {"name": "TEST", "value": 4}}
    outcome = step(decrement_variable.SPEC, ctx, {"name": "test", "value": 3})
    assert outcome.outputs == {"body": {"name": "test", "value": 1}}
    assert ctx.variables["TEST"] == 1


def test_increment_defaults_to_one() -> None:
    ctx = FakeRunContext()
    ctx.declare("i", "Integer", 0)
    assert step(increment_variable.SPEC, ctx, {"name": "i"}).inputs == {"name": "i", "value": 1}
    assert step(decrement_variable.SPEC, ctx, {"name": "i"}).outputs == {"body": {"name": "i", "value": 0}}
    assert step(decrement_variable.SPEC, ctx, {"name": "i"}).outputs == {"body": {"name": "i", "value": -1}}


def test_increment_float_variable() -> None:
    ctx = FakeRunContext()
    ctx.declare("f", "Float", 1.0)
    assert step(increment_variable.SPEC, ctx, {"name": "f", "value": 0.5}).outputs["body"]["value"] == 1.5
    assert step(increment_variable.SPEC, ctx, {"name": "f", "value": 1}).outputs["body"]["value"] == 2.5


def test_increment_float_variable_by_decimal() -> None:
    ctx = FakeRunContext()
    ctx.declare("f", "Float", Decimal("1.25"))
    assert step(decrement_variable.SPEC, ctx, {"name": "f", "value": Decimal("0.5")}).outputs["body"]["value"] == 0.75


def test_increment_integer_by_float_fails() -> None:
    ctx = FakeRunContext()
    ctx.declare("i", "Integer", 1)
    outcome = step(increment_variable.SPEC, ctx, {"name": "i", "value": 0.5})
    assert outcome.error["message"] == (
        "The variable 'i' of type 'Integer' cannot be initialized or updated with value of type 'Float'."
    )
    assert ctx.variables["i"] == 1


def test_increment_non_numeric_variable_fails() -> None:
    ctx = FakeRunContext()
    ctx.declare("s", "String", "a")
    outcome = step(increment_variable.SPEC, ctx, {"name": "s"})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error["message"] == (
        "The variable 's' of type 'String' cannot be used by an action of type 'IncrementVariable'. The action "
        "type 'IncrementVariable' only supports variables of types 'Integer, Float'."
    )


def test_increment_overflow_fails() -> None:
    ctx = FakeRunContext()
    ctx.declare("i", "Integer", 2**63 - 1)
    assert step(increment_variable.SPEC, ctx, {"name": "i"}).status == "Failed"


# AppendToArrayVariable / AppendToStringVariable


def test_append_to_array() -> None:
    ctx = FakeRunContext()
    ctx.declare("list", "Array", [1])
    before = ctx.variables["list"]
    outcome = step(append_to_array_variable.SPEC, ctx, {"name": "List", "value": {"a": 1}})
    assert (outcome.status, outcome.code, outcome.has_outputs) == ("Succeeded", "NotSpecified", False)
    assert outcome.inputs == {"name": "List", "value": {"a": 1}}
    assert ctx.variables["list"] == [1, {"a": 1}]
    assert before == [1]  # the old value is not changed in place


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            [1, 2],
            "The input value is of type 'Array' which cannot be appended to the variable 'rows' of type 'Array'. "
            "The action type 'AppendToArrayVariable' only supports values of types 'Float, Integer, String, "
            "Boolean, Object'.",
        ),
        (
            None,
            "The value cannot be null. The action type 'AppendToArrayVariable' only supports values of types "
            "'Float, Integer, String, Boolean, Object'.",
        ),
    ],
)
def test_append_array_or_null_to_array_fails(value: object, message: str) -> None:
    ctx = FakeRunContext()
    ctx.declare("rows", "Array", [])
    outcome = step(append_to_array_variable.SPEC, ctx, {"name": "rows", "value": value})
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error == {"code": "BadRequest", "message": message}
    assert ctx.variables["rows"] == []


def test_append_to_array_on_string_variable_fails() -> None:
    ctx = FakeRunContext()
    ctx.declare("s", "String", "")
    outcome = step(append_to_array_variable.SPEC, ctx, {"name": "s", "value": 1})
    assert outcome.status == "Failed"
    assert "of type 'String' cannot be used by an action of type 'AppendToArrayVariable'" in outcome.error["message"]


def test_append_to_string() -> None:
    ctx = FakeRunContext()
    ctx.declare("s", "String", "ab")
    outcome = step(append_to_string_variable.SPEC, ctx, {"name": "s", "value": "cd"})
    assert (outcome.status, outcome.code, outcome.has_outputs) == ("Succeeded", "NotSpecified", False)
    assert outcome.inputs == {"name": "s", "value": "cd"}
    assert ctx.variables["s"] == "abcd"


def test_append_non_string_to_string_fails() -> None:
    ctx = FakeRunContext()
    ctx.declare("s", "String", "ab")
    outcome = step(append_to_string_variable.SPEC, ctx, {"name": "s", "value": 5})
    assert outcome.status == "Failed"
    assert outcome.error["message"] == (
        "The input value is of type 'Integer' which cannot be appended to the variable 's' of type 'String'. The "
        "action type 'AppendToStringVariable' only supports values of types 'String'."
    )
    assert ctx.variables["s"] == "ab"
