"""compile_definition: what is refused, with which message and at which JSON path; what a compiled workflow holds."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.workflows.definition import compile_definition
from keyless.workflows.errors import DefinitionError
from tests.workflows.fakes import REGISTRY, compile_, definition

ROOT = "properties.definition"


def refused(actions: dict[str, Any] | None = None, **extra: Any) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        compile_(actions or {}, **extra)
    error = caught.value
    assert error.code == "InvalidTemplate"
    assert str(error).endswith(f"Path '{error.path}'.")
    return error


def test_a_compiled_workflow_exposes_triggers_graph_parameters_outputs() -> None:
    workflow = compile_(
        {
            "A": {"type": "Echo", "inputs": "@parameters('Size')"},
            "Loop": {
                "type": "Foreach",
                "foreach": "@createArray(1)",
                "actions": {"Call": {"type": "DurableEcho", "inputs": "@item()"}},
                "runAfter": {"a": ["succeeded"]},
            },
        },
        parameters={"size": {"type": "INT", "defaultValue": 1}, "name": {"type": "securestring"}},
        parameter_values={"Name": {"value": "x"}},
        outputs={"out": {"type": "String", "value": "@parameters('name')"}},
    )
    assert workflow.parameters["SIZE"] == 1 and workflow.parameters["name"] == "x"
    assert workflow.parameter_types == {"size": "Int", "name": "SecureString"}
    assert workflow.triggers["manual"].type == "Request"
    assert workflow.triggers["manual"].kind == "Http"
    assert sorted(workflow.action_names) == ["A", "Call", "Loop"]
    assert workflow.is_durable("call") and not workflow.is_durable("A")
    assert workflow.actions.actions["Loop"].run_after == {"A": ("Succeeded",)}
    assert workflow.actions.ends == ["Loop"]
    assert workflow.action("Call").loops == ("loop",)
    assert set(workflow.outputs) == {"out"}


def test_unknown_top_level_property() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition({**definition({}), "extra": 1}, registry=REGISTRY)
    assert caught.value.path == f"{ROOT}.extra"


def test_unknown_action_type_names_it_and_the_supported_ones() -> None:
    error = refused({"Get_rows": {"type": "ApiConnection", "inputs": {}}})
    assert error.path == f"{ROOT}.actions.Get_rows.type"
    assert error.detail.startswith(
        "The action type 'ApiConnection' of action 'Get_rows' is not supported by keyless; keyless runs the "
        "built-in types: "
    )
    assert "Foreach" in error.detail and "If" in error.detail


def test_action_type_is_case_insensitive() -> None:
    compile_({"Loop": {"type": "foreach", "foreach": "@json('[]')", "actions": {}}})


def test_unknown_action_field() -> None:
    error = refused({"A": {"type": "Echo", "inputs": 1, "bogus": 2}})
    assert error.path == f"{ROOT}.actions.A.bogus"


@pytest.mark.parametrize("option", ["paginationPolicy", "requestOptions"])
def test_runtime_configuration_keyless_does_not_run_is_refused_by_name(option: str) -> None:
    error = refused({"A": {"type": "Echo", "inputs": 1, "runtimeConfiguration": {option: {"minimumItemCount": 5}}}})
    assert error.path == f"{ROOT}.actions.A.runtimeConfiguration.{option}"
    assert error.detail == f"The runtime configuration '{option}' is not supported by keyless."


def test_content_transfer_takes_chunked_only() -> None:
    chunked = {"contentTransfer": {"transferMode": "Chunked"}}
    compile_({"A": {"type": "Echo", "inputs": 1, "runtimeConfiguration": chunked}})
    error = refused({"A": {"type": "Echo", "inputs": 1, "runtimeConfiguration": {"contentTransfer": {"mode": "x"}}}})
    assert error.path == f"{ROOT}.actions.A.runtimeConfiguration.contentTransfer"


def test_run_after_non_existent_action() -> None:
    error = refused({"B": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded"]}}})
    assert error.path == f"{ROOT}.actions.B.runAfter.A"
    assert error.detail == "The 'runAfter' property of template action 'B' contains non-existent action: 'A'."


def test_run_after_must_name_a_sibling() -> None:
    error = refused(
        {
            "Scope": {"type": "Scope", "actions": {"Inner": {"type": "Echo", "inputs": 1}}},
            "B": {"type": "Echo", "inputs": 1, "runAfter": {"Inner": ["Succeeded"]}},
        }
    )
    assert error.path == f"{ROOT}.actions.B.runAfter.Inner"


def test_run_after_status_must_be_known() -> None:
    error = refused(
        {
            "A": {"type": "Echo", "inputs": 1},
            "B": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded", "Done"]}},
        }
    )
    assert error.path == f"{ROOT}.actions.B.runAfter.A[1]"
    assert "'Done'" in error.detail


def test_cycles_are_named() -> None:
    error = refused(
        {
            "A": {"type": "Echo", "inputs": 1, "runAfter": {"C": ["Succeeded"]}},
            "B": {"type": "Echo", "inputs": 1, "runAfter": {"A": ["Succeeded"]}},
            "C": {"type": "Echo", "inputs": 1, "runAfter": {"B": ["Succeeded"]}},
        }
    )
    assert "cycle" in error.detail
    for name in ("'A'", "'B'", "'C'"):
        assert name in error.detail


def test_names_are_unique_ignoring_case_across_the_definition() -> None:
    error = refused(
        {
            "Step": {"type": "Echo", "inputs": 1},
            "Scope": {"type": "Scope", "actions": {"STEP": {"type": "Echo", "inputs": 1}}},
        }
    )
    assert error.path == f"{ROOT}.actions.Scope.actions.STEP"


def test_name_length_limit() -> None:
    name = "x" * 81
    error = refused({name: {"type": "Echo", "inputs": 1}})
    assert "80" in error.detail


def test_action_count_limit() -> None:
    error = refused({f"A{i}": {"type": "Echo", "inputs": 1} for i in range(501)})
    assert error.path == f"{ROOT}.actions.A500"


def test_nesting_depth_limit() -> None:
    inner: dict[str, Any] = {"Leaf": {"type": "Echo", "inputs": 1}}
    for level in range(9):
        inner = {f"S{level}": {"type": "Scope", "actions": inner}}
    error = refused(inner)
    assert "nested more than 8" in error.detail


def test_expression_syntax_error_at_its_exact_path() -> None:
    error = refused({"A": {"type": "Echo", "inputs": {"body": {"name": "@concat('a'"}}}})
    assert error.path == f"{ROOT}.actions.A.inputs.body.name"


def test_reference_to_an_undefined_action() -> None:
    error = refused({"y": {"type": "Echo", "inputs": "@body('x')"}})
    assert error.detail == (
        "The template validation failed: 'The action(s) 'x' referenced by 'inputs' in action 'y' are not defined in "
        "the template.'"
    )
    assert error.path == f"{ROOT}.actions.y.inputs"


def test_outputs_are_compiled_and_their_references_checked() -> None:
    error = refused({}, outputs={"o": {"type": "String", "value": "@body('missing')"}})
    assert error.path == f"{ROOT}.outputs.o.value"
    error = refused({}, outputs={"o": {"type": "Weird", "value": 1}})
    assert error.path == f"{ROOT}.outputs.o.type"


def test_parameter_value_missing() -> None:
    error = refused({}, parameters={"p": {"type": "String"}})
    assert error.path == "properties.parameters.p"
    assert error.detail == "The value for the workflow parameter 'p' is not provided."


def test_parameter_value_of_the_wrong_type() -> None:
    error = refused({}, parameters={"p": {"type": "Int"}}, parameter_values={"p": {"value": "1"}})
    assert error.path == "properties.parameters.p.value"


def test_parameter_type_unknown() -> None:
    error = refused({}, parameters={"p": {"type": "Number", "defaultValue": 1}})
    assert error.path == f"{ROOT}.parameters.p.type"


def test_undeclared_parameter_value() -> None:
    error = refused({}, parameter_values={"extra": {"value": 1}})
    assert error.path == "properties.parameters.extra"


def test_non_request_triggers_are_refused_by_type() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition(
            {"triggers": {"When_a_row": {"type": "ApiConnection", "inputs": {}}}, "actions": {}}, registry=REGISTRY
        )
    assert caught.value.detail == "The trigger type 'ApiConnection' is not supported by keyless."
    assert caught.value.path == f"{ROOT}.triggers.When_a_row.type"


@pytest.mark.parametrize(
    ("trigger", "path"),
    [
        ({"type": "Request", "kind": "Button"}, "kind"),
        ({"type": "Request", "kind": "Http", "inputs": {"method": "FETCH"}}, "inputs.method"),
        ({"type": "Request", "kind": "Http", "inputs": {"other": 1}}, "inputs.other"),
        ({"type": "Request", "kind": "Http", "recurrence": {}}, "recurrence"),
        ({"type": "Recurrence", "recurrence": {"frequency": "Fortnight", "interval": 1}}, "recurrence.frequency"),
        ({"type": "Recurrence", "recurrence": {"frequency": "Month", "interval": 17}}, "recurrence.interval"),
        (
            {"type": "Recurrence", "recurrence": {"frequency": "Day", "schedule": {"hours": [24]}}},
            "recurrence.schedule.hours[0]",
        ),
        ({"type": "Recurrence"}, "recurrence"),
        ({"type": "Recurrence", "recurrence": {"frequency": "Day", "timeZone": "Europe/Paris"}}, "recurrence.timeZone"),
        ({"type": "ApiConnection", "inputs": {}}, "type"),
        ({"type": "Request", "kind": "Http", "conditions": [{"expression": "@equals(1,"}]}, "conditions[0].expression"),
    ],
)
def test_trigger_structure(trigger: dict[str, Any], path: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition({"triggers": {"t": trigger}, "actions": {}}, registry=REGISTRY)
    assert caught.value.path == f"{ROOT}.triggers.t.{path}"


def test_recurrence_and_request_triggers_compile() -> None:
    workflow = compile_definition(
        {
            "triggers": {
                "r": {
                    "type": "Recurrence",
                    "recurrence": {
                        "frequency": "Week",
                        "interval": 1,
                        "schedule": {"hours": ["8"], "weekDays": ["Monday"]},
                    },
                },
                "manual": {
                    "type": "Request",
                    "kind": "Http",
                    "inputs": {
                        "method": "post",
                        "relativePath": "items/{id}",
                        "schema": {"type": "object", "description": "@mentions are text here"},
                    },
                    "correlation": {"clientTrackingId": "@triggerBody()?['id']"},
                    "operationOptions": "EnableSchemaValidation",
                },
            },
            "actions": {},
        },
        registry=REGISTRY,
    )
    manual = workflow.triggers["manual"]
    assert (manual.method, manual.relative_path) == ("POST", "items/{id}")
    assert manual.schema == {"type": "object", "description": "@mentions are text here"}
    assert manual.operation_options == ("EnableSchemaValidation",)
    assert manual.client_tracking_id is not None
    assert workflow.triggers["r"].recurrence["frequency"] == "Week"


def test_terminate_is_refused_inside_loops() -> None:
    error = refused(
        {
            "Loop": {
                "type": "Until",
                "expression": "@true",
                "actions": {"Stop": {"type": "Terminate", "inputs": {"runStatus": "Failed"}}},
            }
        }
    )
    assert error.path == f"{ROOT}.actions.Loop.actions.Stop.type"


def test_terminate_run_error_only_with_failed() -> None:
    error = refused({"Stop": {"type": "Terminate", "inputs": {"runStatus": "Succeeded", "runError": {"code": "x"}}}})
    assert error.path == f"{ROOT}.actions.Stop.inputs.runError"


def test_foreach_sequential_and_repetitions_together_are_refused() -> None:
    error = refused(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@json('[]')",
                "actions": {},
                "operationOptions": "Sequential",
                "runtimeConfiguration": {"concurrency": {"repetitions": 5}},
            }
        }
    )
    assert error.path == f"{ROOT}.actions.Loop.operationOptions"


def test_foreach_repetitions_range() -> None:
    error = refused(
        {
            "Loop": {
                "type": "Foreach",
                "foreach": "@json('[]')",
                "actions": {},
                "runtimeConfiguration": {"concurrency": {"repetitions": 51}},
            }
        }
    )
    assert error.path == f"{ROOT}.actions.Loop.runtimeConfiguration.concurrency.repetitions"


def test_until_count_range() -> None:
    error = refused({"U": {"type": "Until", "expression": "@true", "limit": {"count": 5001}, "actions": {}}})
    assert error.path == f"{ROOT}.actions.U.limit.count"


def test_switch_case_limit_and_duplicates() -> None:
    cases = {f"C{i}": {"case": i, "actions": {}} for i in range(26)}
    error = refused({"S": {"type": "Switch", "expression": "@1", "cases": cases}})
    assert error.path == f"{ROOT}.actions.S.cases"
    error = refused(
        {
            "S": {
                "type": "Switch",
                "expression": "@1",
                "cases": {"A": {"case": 1, "actions": {}}, "B": {"case": 1, "actions": {}}},
            }
        }
    )
    assert error.path == f"{ROOT}.actions.S.cases.B.case"


def test_object_form_condition_paths() -> None:
    error = refused({"C": {"type": "If", "expression": {"and": [{"equals": ["@foo(", 1]}]}, "actions": {}}})
    assert error.path == f"{ROOT}.actions.C.expression.and[0].equals[0]"


def test_static_result_must_exist() -> None:
    error = refused({"A": {"type": "Echo", "inputs": 1, "runtimeConfiguration": {"staticResult": {"name": "nope"}}}})
    assert error.path == f"{ROOT}.actions.A.runtimeConfiguration.staticResult.name"


def test_limit_timeout_must_be_a_duration() -> None:
    error = refused({"A": {"type": "Echo", "inputs": 1, "limit": {"timeout": "soon"}}})
    assert error.path == f"{ROOT}.actions.A.limit.timeout"


def test_path_prefix_is_the_callers() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition({"A": {"type": "Nope"}}), path="definition", registry=REGISTRY)
    assert caught.value.path == "definition.actions.A.type"


def test_declared_variables_are_known_to_the_workflow_and_to_variable_actions() -> None:
    init = {"type": "InitializeVariable", "inputs": {"variables": [{"name": "Count", "type": "integer", "value": 0}]}}
    workflow = compile_(
        {
            "Init": init,
            "Inc": {"type": "IncrementVariable", "inputs": {"name": "count"}, "runAfter": {"Init": ["Succeeded"]}},
        }
    )
    assert workflow.variable_types == {"count": "Integer"}
    error = refused({"Init": init, "Inc": {"type": "IncrementVariable", "inputs": {"name": "other"}}})
    assert error.path == f"{ROOT}.actions.Inc.inputs.name"


@pytest.mark.parametrize(
    ("action", "path"),
    [
        ({"type": "Scope", "actions": {}, "operationOptions": "Sequential"}, "operationOptions"),
        (
            {"type": "Foreach", "foreach": "@json('[]')", "actions": {}, "operationOptions": "Sequential, Bogus"},
            "operationOptions",
        ),
        (
            {"type": "If", "expression": "@true", "actions": {}, "runtimeConfiguration": {"bogus": {}}},
            "runtimeConfiguration.bogus",
        ),
    ],
)
def test_control_actions_refuse_options_they_do_not_take(action: dict[str, Any], path: str) -> None:
    error = refused({"X": action})
    assert error.path == f"{ROOT}.actions.X.{path}"


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        ({"operationOptions": "DisableAsyncPattern"}, "operationOptions"),
        ({"runtimeConfiguration": {"concurrency": {"runs": 101}}}, "runtimeConfiguration.concurrency.runs"),
        (
            {"runtimeConfiguration": {"concurrency": {"runs": 1}}, "operationOptions": "SingleInstance"},
            "runtimeConfiguration.concurrency.runs",
        ),
        ({"runtimeConfiguration": {"splitOn": 1}}, "runtimeConfiguration.splitOn"),
    ],
)
def test_trigger_options(extra: dict[str, Any], path: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_definition(
            {"triggers": {"t": {"type": "Request", "kind": "Http", **extra}}, "actions": {}}, registry=REGISTRY
        )
    assert caught.value.path == f"{ROOT}.triggers.t.{path}"


def test_trigger_concurrency_is_kept() -> None:
    workflow = compile_definition(
        {
            "triggers": {
                "t": {"type": "Request", "kind": "Http", "runtimeConfiguration": {"concurrency": {"runs": 5}}}
            },
            "actions": {},
        },
        registry=REGISTRY,
    )
    assert workflow.triggers["t"].runtime_configuration == {"concurrency": {"runs": 5}}


def test_a_validated_request_schema_must_be_a_json_schema() -> None:
    trigger = {
        "type": "Request",
        "kind": "Http",
        "inputs": {"schema": {"type": "objekt"}},
        "operationOptions": "EnableSchemaValidation",
    }
    error = refused({}, triggers={"manual": trigger})
    assert error.path == f"{ROOT}.triggers.manual.inputs.schema"
    assert error.detail.startswith("The Request trigger's 'schema' is not a valid JSON schema:")
    # Without the option the schema only documents the body (designer tokens): it is kept as written.
    plain = {k: v for k, v in trigger.items() if k != "operationOptions"}
    assert compile_({}, triggers={"manual": plain}).triggers["manual"].body_validator is None
