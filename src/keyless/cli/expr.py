"""`keyless expr`: evaluate one Logic Apps expression (a JSON string value) and print the result as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

EXAMPLES = """
Examples:

  keyless expr "@add(1, 2)"                          → 3

  keyless expr "Hello @{toUpper('world')}"           → "Hello WORLD"

  keyless expr "@body('Get')?.items[0]" --context '{"actions": {"Get": {"outputs": {"body": {"items": [7]}}}}}'

  keyless expr "@variables('n')" --context ctx.json   (ctx.json: trigger, actions, variables, parameters, ...)
"""


def _load_context(value: str | None) -> dict:
    if value is None:
        return {}
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise ValueError(f"--context: {value} is neither a JSON object nor a file")
        text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("--context must be a JSON object")
    return data


def expr(
    expression: str = typer.Argument(..., help="A JSON string value: '@expr', text with '@{...}', or plain text."),
    context: str = typer.Option(
        None,
        "--context",
        help="A JSON object or a file holding one: trigger, actions, variables, parameters, appsettings, items, "
        "workflow, now (see keyless.wdl.static_context).",
    ),
) -> None:
    """Evaluate a Logic Apps (WDL) expression and print the result as JSON (a string result too, quoted).

    Errors go to stderr with exit code 1.
    """
    from keyless.wdl.api import ExpressionError, evaluate_text
    from keyless.wdl.static_context import StaticContext
    from keyless.wdl.text import to_json_text

    try:
        ctx = StaticContext(_load_context(context))
        result = evaluate_text(expression, ctx)
    except (ExpressionError, ValueError) as error:
        message = error.message if isinstance(error, ExpressionError) else str(error)
        print(message, file=sys.stderr)
        raise typer.Exit(1) from None
    print(to_json_text(result))


expr.__doc__ = (expr.__doc__ or "") + EXAMPLES
