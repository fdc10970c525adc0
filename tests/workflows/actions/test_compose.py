"""Compose: outputs are the evaluated inputs themselves, code OK."""

from __future__ import annotations

import pytest

from keyless.workflows.actions.compose import SPEC
from keyless.workflows.errors import DefinitionError

from ._fakes import FakeRunContext, compile_action, run_action


def test_constant_object_is_both_inputs_and_outputs() -> None:
    config = compile_action(SPEC, {"type": "Compose", "inputs": {"a": [1, 2.5, None], "b": "@@x"}})
    outcome = run_action(SPEC, config)
    assert (outcome.status, outcome.code, outcome.error) == ("Succeeded", "OK", None)
    assert outcome.inputs == {"a": [1, 2.5, None], "b": "@x"}
    assert outcome.outputs == {"a": [1, 2.5, None], "b": "@x"}
    assert outcome.has_inputs and outcome.has_outputs


def test_expression_keeps_its_type() -> None:
    config = compile_action(
        SPEC, {"type": "Compose", "inputs": "@variables('n')"}, {"@variables('n')": lambda c: c.variable("n")}
    )
    ctx = FakeRunContext()
    ctx.declare("n", "Integer", 42)
    outcome = run_action(SPEC, config, ctx)
    assert outcome.outputs == 42


def test_null_inputs_are_allowed() -> None:
    outcome = run_action(SPEC, compile_action(SPEC, {"type": "Compose", "inputs": None}))
    assert (outcome.status, outcome.outputs) == ("Succeeded", None)


def test_missing_inputs_refused_at_save() -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(SPEC, {"type": "Compose"}, action_name="Compose_1")
    assert err.value.path == "properties.definition.actions.Compose_1.inputs"
    assert "requires 'inputs'" in err.value.detail
