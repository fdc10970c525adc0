"""What Query, Select, Join and Table share: the `from` array and evaluating a value for one of its items.

`item()` inside `where`, `select` and table column values is the current element of `from`; the interpreter's
RunContext takes it as `evaluate(compiled, item=element)`.
"""

from __future__ import annotations

from typing import Any

from keyless.workflows.actions._results import BAD_REQUEST, failed
from keyless.workflows.actions._variables import value_type
from keyless.workflows.actions.base import Compiled, Outcome


class NotAnArray(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def from_array(ctx: Any, compiled: Compiled, action_kind: str, inputs: Any = None) -> list[Any]:
    """The evaluated `from`, or NotAnArray carrying the Failed outcome. `action_kind` is how Logic Apps names the
    action in this message (`query`, `select`, `join`, `table`)."""
    value = ctx.evaluate(compiled)
    if isinstance(value, list):
        return value
    # Logic Apps' wording for a non-array `from`.
    message = (
        "The 'from' property"
        f" value in the '{action_kind}' action inputs is of type '{value_type(value)}'. "
        "The value must be an array."
    )
    raise NotAnArray(failed(BAD_REQUEST, message, inputs=value if inputs is None else inputs))


def evaluate_for(ctx: Any, compiled: Compiled, item: Any) -> Any:
    """`compiled` evaluated with `item()` = `item`."""
    return ctx.evaluate(compiled, item=item)
