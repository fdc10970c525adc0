"""The public surface of the expression language.

    compile_template(text) -> Template        one JSON string value (`@expr`, `@{...}`, `@@`, plain text)
    compile_value(raw, path="") -> Compiled   every string of a JSON value; object keys are not evaluated
    evaluate_text(text, ctx)                  compile and evaluate once (CLI, tests)
    references(compiled) -> set[str]         lower-cased action names named by a constant argument

Everything is parsed when compiled; `evaluate(ctx)` (ctx: wdl.context.EvalContext) only runs closures.
Errors: ExpressionSyntaxError when compiling (with `position`; from compile_value also `path`), ExpressionError
when evaluating.
"""

from __future__ import annotations

from typing import Any

import keyless.wdl.functions.all  # noqa: F401  (registers every function group)
from keyless.wdl.compiled import Compiled, compile_value, nodes_of
from keyless.wdl.context import EvalContext
from keyless.wdl.errors import ExpressionError, ExpressionSyntaxError
from keyless.wdl.nodes import Call, Literal, walk
from keyless.wdl.template import Template, compile_template

__all__ = [
    "Compiled",
    "EvalContext",
    "ExpressionError",
    "ExpressionSyntaxError",
    "Template",
    "compile_template",
    "compile_value",
    "evaluate_text",
    "references",
]

# Functions whose first argument names an action (the workflow validator checks these exist).
_ACTION_FUNCTIONS = frozenset(
    {
        "actions",
        "body",
        "outputs",
        "actionbody",
        "actionoutputs",
        "result",
        "formdatavalue",
        "formdatamultivalues",
        "multipartbody",
    }
)


def evaluate_text(text: str, ctx: EvalContext) -> Any:
    return compile_template(text).evaluate(ctx)


def references(compiled: Compiled | Template) -> set[str]:
    """Lower-cased names of the actions referenced as `body('X')`, `actions('X')`, ... with a constant string;
    dynamic names (`body(variables('v'))`) cannot be known before the run and are left out."""
    names: set[str] = set()
    for root in nodes_of(compiled):
        for node in walk(root):
            if (
                isinstance(node, Call)
                and node.name.lower() in _ACTION_FUNCTIONS
                and node.args
                and isinstance(node.args[0], Literal)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value.lower())
    return names
