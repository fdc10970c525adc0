"""If (string and object-form conditions, else, skipped branches), Switch, Scope (try/catch)."""

from __future__ import annotations

import pytest

from keyless.workflows.records import FAILED, SKIPPED, SUCCEEDED
from tests.workflows.fakes import PROBE, reset_probe, run


@pytest.fixture(autouse=True)
def _probe() -> None:
    reset_probe()


def if_action(expression: object) -> dict[str, object]:
    return {
        "type": "If",
        "expression": expression,
        "actions": {"Yes": {"type": "Echo", "inputs": "yes"}},
        "else": {"actions": {"No": {"type": "Echo", "inputs": "no"}}},
    }


@pytest.mark.parametrize(
    ("expression", "taken"),
    [
        ("@equals(triggerBody(), 1)", "Yes"),
        ("@equals(triggerBody(), 2)", "No"),
        ({"and": [{"equals": ["@triggerBody()", 1]}, {"not": {"equals": [{"lENgth": ["a"]}, 2]}}]}, "Yes"),
        ({"or": [{"greater": ["@triggerBody()", 5]}, {"less": [1, 0]}]}, "No"),
        ("@triggerBody()", "No"),  # 1 is not true: only the boolean true passes
        ("@string(true)", "No"),
    ],
)
async def test_if_takes_one_branch_and_skips_the_other(expression: object, taken: str) -> None:
    result = await run({"Condition": if_action(expression)}, body=1)
    other = "No" if taken == "Yes" else "Yes"
    assert result.status(taken) == SUCCEEDED
    skipped = result.record(other)
    assert (skipped.status, skipped.code, skipped.error["code"]) == (
        SKIPPED,
        "ActionSkipped",
        "ActionBranchingConditionNotSatisfied",
    )
    assert skipped.error["message"] == (
        f"The execution of template action '{other}' skipped: the branching condition for this action is not satisfied."
    )
    condition = result.record("Condition")
    assert (condition.status, condition.code) == (SUCCEEDED, "NotSpecified")
    assert (condition.inputs["expressionResult"] is True) == (taken == "Yes")
    assert result.outcome.status == SUCCEEDED


async def test_object_form_with_unknown_function_fails_when_evaluated() -> None:
    result = await run({"Condition": if_action({"nope": [1]})})
    record = result.record("Condition")
    assert (record.status, record.code) == (FAILED, "InvalidTemplate")
    assert record.error["message"] == (
        "Unable to process template language expressions for action 'Condition' at line '0' and column '0': "
        "'The template function 'nope' is not defined or not valid.'."
    )
    # Neither branch ran: both are skipped as depending on the failed condition.
    for name in ("Yes", "No"):
        assert result.record(name).error["code"] == "ActionDependencyFailed"
        assert "completed with status 'Failed' and code 'InvalidTemplate'" in result.record(name).error["message"]


async def test_lazy_and_in_object_form_does_not_evaluate_the_rest() -> None:
    result = await run({"Condition": if_action({"and": [False, {"nope": [1]}]})})
    assert result.status("No") == SUCCEEDED


async def test_nested_actions_of_an_untaken_branch_are_dependency_skipped() -> None:
    result = await run(
        {
            "Condition": {
                "type": "If",
                "expression": "@false",
                "actions": {"Scope_1": {"type": "Scope", "actions": {"Inner": {"type": "Echo", "inputs": 1}}}},
            },
            "After": {"type": "Echo", "inputs": 1, "runAfter": {"Condition": ["Succeeded"]}},
        }
    )
    assert result.record("Scope_1").error["code"] == "ActionBranchingConditionNotSatisfied"
    inner = result.record("Inner")
    assert inner.error == {
        "code": "ActionDependencyFailed",
        "message": "The execution of template action 'Inner' is skipped: dependant action 'Scope_1' completed with "
        "status 'Skipped' and code 'ActionSkipped'.",
    }
    assert result.status("After") == SUCCEEDED


async def test_failure_inside_a_branch_fails_the_if() -> None:
    result = await run(
        {"Condition": {"type": "If", "expression": "@true", "actions": {"Boom": {"type": "Fail", "inputs": 1}}}}
    )
    record = result.record("Condition")
    assert (record.status, record.code, record.error["code"]) == (FAILED, "ActionFailed", "ActionFailed")
    assert result.outcome.status == FAILED


def switch(expression: object) -> dict[str, object]:
    return {
        "Switch": {
            "type": "Switch",
            "expression": expression,
            "cases": {
                "One": {"case": 1, "actions": {"A1": {"type": "Echo", "inputs": 1}}},
                "Text": {"case": "one", "actions": {"A2": {"type": "Echo", "inputs": 2}}},
            },
            "default": {"actions": {"D": {"type": "Echo", "inputs": 3}}},
        }
    }


@pytest.mark.parametrize(("value", "taken"), [(1, "A1"), ("one", "A2"), ("1", "D"), ("ONE", "D"), (2, "D")])
async def test_switch_runs_the_matching_case_or_default(value: object, taken: str) -> None:
    result = await run(switch("@triggerBody()"), body=value)
    for name in ("A1", "A2", "D"):
        expected = SUCCEEDED if name == taken else SKIPPED
        assert result.status(name) == expected
    record = result.record("Switch")
    assert record.outputs == {"expression": value}
    assert (record.status, record.code) == (SUCCEEDED, "NotSpecified")


async def test_switch_on_an_object_fails() -> None:
    result = await run(switch("@triggerBody()"), body={"a": 1})
    record = result.record("Switch")
    assert (record.status, record.code, record.error["code"]) == (
        FAILED,
        "ExpressionEvaluationFailed",
        "ExpressionEvaluationFailed",
    )
    assert record.error["message"] == (
        "The execution of template action 'Switch' failed: The result of the evaluation of 'scope' action expression "
        "'@triggerBody()' is not valid. It is of type 'Object' but is expected to be a value of type "
        "'String, Integer'."
    )
    assert result.status("A1") == SKIPPED


async def test_scope_failure_then_catch_makes_a_succeeded_run() -> None:
    result = await run(
        {
            "Try": {
                "type": "Scope",
                "actions": {
                    "Step": {"type": "Echo", "inputs": 1},
                    "Boom": {"type": "Fail", "inputs": 1, "runAfter": {"Step": ["Succeeded"]}},
                    "Never": {"type": "Echo", "inputs": 1, "runAfter": {"Boom": ["Succeeded"]}},
                },
            },
            "Catch": {
                "type": "Echo",
                "inputs": "@length(result('Try'))",
                "runAfter": {"Try": ["FAILED", "TIMEDOUT"]},
            },
        }
    )
    scope = result.record("Try")
    assert (scope.status, scope.code) == (FAILED, "ActionFailed")
    assert scope.error == {"code": "ActionFailed", "message": "An action failed. No dependent actions succeeded."}
    assert result.record("Catch").outputs == 3
    assert result.outcome.status == SUCCEEDED
    assert PROBE.executed == ["Step", "Boom", "Catch"]


async def test_scope_whose_failure_is_handled_inside_succeeds() -> None:
    result = await run(
        {
            "Scope": {
                "type": "Scope",
                "actions": {
                    "Boom": {"type": "Fail", "inputs": 1},
                    "Handle": {"type": "Echo", "inputs": 1, "runAfter": {"Boom": ["Failed"]}},
                },
            }
        }
    )
    assert result.status("Scope") == SUCCEEDED
    assert result.outcome.status == SUCCEEDED


async def test_skipped_container_skips_its_children() -> None:
    result = await run(
        {
            "A": {"type": "Fail", "inputs": 1},
            "Scope": {
                "type": "Scope",
                "actions": {"Inner": {"type": "Echo", "inputs": 1}},
                "runAfter": {"A": ["Succeeded"]},
            },
        }
    )
    assert result.record("Scope").error["code"] == "ActionConditionFailed"
    assert result.record("Inner").error["code"] == "ActionDependencyFailed"


async def test_result_lists_the_first_level_records_of_a_scope_and_of_a_loop() -> None:
    result = await run(
        {
            "Scope": {
                "type": "Scope",
                "actions": {
                    "One": {"type": "Echo", "inputs": 1},
                    "Two": {"type": "Fail", "inputs": 2, "runAfter": {"One": ["Succeeded"]}},
                },
            },
            "Loop": {
                "type": "Foreach",
                "foreach": "@createArray('a', 'b')",
                "actions": {"Each": {"type": "Echo", "inputs": "@item()"}},
                "operationOptions": "Sequential",
            },
            "Report": {
                "type": "Echo",
                "inputs": {
                    "scope": "@result('Scope')",
                    "loop": "@result('Loop')",
                },
                "runAfter": {"Scope": ["Failed"], "Loop": ["Succeeded"]},
            },
        }
    )
    report = result.record("Report").outputs
    assert [(r["name"], r["status"]) for r in report["scope"]] == [("One", SUCCEEDED), ("Two", FAILED)]
    assert report["scope"][1]["error"]["code"] == "BadRequest"
    (each,) = report["loop"]
    assert (each["name"], each["repetitionCount"]) == ("Each", 2)
    assert [r["outputs"] for r in each["outputs"]] == ["a", "b"]


async def test_references_that_cannot_be_resolved_at_run_time_fail_the_action() -> None:
    result = await run(
        {
            "Early": {"type": "Echo", "inputs": "@outputs('Late')"},
            "Late": {"type": "Echo", "inputs": 1, "runAfter": {"Early": ["Succeeded", "Failed"]}},
            "NoLoop": {"type": "Echo", "inputs": "@item()"},
        }
    )
    early = result.record("Early")
    assert (early.status, early.code) == (FAILED, "InvalidTemplate")
    assert "'Late'" in early.error["message"]
    assert result.record("NoLoop").code == "InvalidTemplate"
    assert result.status("Late") == SUCCEEDED
