"""Expression failures, as Logic Apps reports them: an action fails with code `InvalidTemplate`."""

from __future__ import annotations


class ExpressionError(Exception):
    """Evaluation failed (unknown function, wrong argument type, missing property without `?`).

    The message is Logic Apps' wording where it is known (`The template function 'nope' is not defined or not
    valid.`); the workflow engine puts it in the action's `error` with code `InvalidTemplate`.
    """

    code = "InvalidTemplate"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression (refused when a definition is saved). `position` is the 0-based offset
    into the string value where the problem is found."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position
