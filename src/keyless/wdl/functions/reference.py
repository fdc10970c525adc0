"""Reference and workflow functions (§5.4 groups reference, workflow, reference-extra) on top of EvalContext."""

from __future__ import annotations

from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.evaluator import find_key
from keyless.wdl.functions._args import string_arg
from keyless.wdl.functions.registry import function


def _member(fn: str, owner: str, value: Any, name: str) -> Any:
    """`outputs` of a record, `body` of outputs: case-insensitive; an absent `body` is null (actions without a
    body, such as a 202 response), a record that is not an object cannot be read."""
    if not isinstance(value, dict):
        raise ExpressionError(
            f"The template language function '{fn}' cannot be evaluated because the {owner} has no property "
            f"'{name}': it is not an object."
        )
    key = find_key(value, name)
    return None if key is None else value[key]


@function("parameters", 1, 1)
def parameters(ctx: Any, args: list) -> Any:
    return ctx.parameter(string_arg("parameters", args[0]))


@function("appsetting", 1, 1)
def appsetting(ctx: Any, args: list) -> Any:
    return ctx.appsetting(string_arg("appsetting", args[0]))


@function("variables", 1, 1)
def variables(ctx: Any, args: list) -> Any:
    return ctx.variable(string_arg("variables", args[0]))


@function("actions", 1, 1)
def actions(ctx: Any, args: list) -> Any:
    return ctx.action(string_arg("actions", args[0]))


@function("action", 0, 0)
def action(ctx: Any, args: list) -> Any:
    return ctx.action(None)


def _outputs(fn: str, ctx: Any, name: str) -> Any:
    record = ctx.action(name)
    if not isinstance(record, dict) or find_key(record, "outputs") is None:
        # A skipped or not yet finished action has no outputs: reading them fails the expression.
        raise ExpressionError(
            f"The template language function '{fn}' cannot be evaluated because the action '{name}' has no "
            "outputs (it was skipped, failed without outputs or has not run)."
        )
    return record[find_key(record, "outputs")]


@function("outputs", 1, 1)
def outputs(ctx: Any, args: list) -> Any:
    return _outputs("outputs", ctx, string_arg("outputs", args[0]))


@function("actionOutputs", 1, 1)
def action_outputs(ctx: Any, args: list) -> Any:
    return _outputs("actionOutputs", ctx, string_arg("actionOutputs", args[0]))


def _body(fn: str, ctx: Any, name: str) -> Any:
    return _member(fn, f"outputs of action '{name}'", _outputs(fn, ctx, name), "body")


@function("body", 1, 1)
def body(ctx: Any, args: list) -> Any:
    return _body("body", ctx, string_arg("body", args[0]))


@function("actionBody", 1, 1)
def action_body(ctx: Any, args: list) -> Any:
    return _body("actionBody", ctx, string_arg("actionBody", args[0]))


@function("trigger", 0, 0)
def trigger(ctx: Any, args: list) -> Any:
    return ctx.trigger()


@function("triggerOutputs", 0, 0)
def trigger_outputs(ctx: Any, args: list) -> Any:
    return _member("triggerOutputs", "trigger", ctx.trigger(), "outputs")


@function("triggerBody", 0, 0)
def trigger_body(ctx: Any, args: list) -> Any:
    outputs_ = _member("triggerBody", "trigger", ctx.trigger(), "outputs")
    return _member("triggerBody", "trigger outputs", outputs_, "body")


@function("item", 0, 0)
def item(ctx: Any, args: list) -> Any:
    return ctx.item(None)


@function("items", 1, 1)
def items(ctx: Any, args: list) -> Any:
    return ctx.item(string_arg("items", args[0]))


@function("iterationIndexes", 1, 1)
def iteration_indexes(ctx: Any, args: list) -> Any:
    return ctx.iteration_index(string_arg("iterationIndexes", args[0]))


@function("result", 1, 1)
def result(ctx: Any, args: list) -> Any:
    return ctx.result(string_arg("result", args[0]))


@function("workflow", 0, 0)
def workflow(ctx: Any, args: list) -> Any:
    return ctx.workflow()


@function("listCallbackUrl", 0, 0)
def list_callback_url(ctx: Any, args: list) -> Any:
    return ctx.list_callback_url()
