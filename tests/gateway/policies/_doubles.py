"""Compile-time value doubles the policy tests share: a constant and an expression backed by a Python function.

They stand for `keyless.gateway.compiler`'s values where a test drives one policy's `compile`/`run` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import STOP, PolicyError, PolicySpec, Stop


class CompileError(Exception):
    def __init__(self, message: str, element: Element, attribute: str | None) -> None:
        super().__init__(message)
        self.message, self.element, self.attribute = message, element, attribute


@dataclass
class Const:
    value: Any
    is_constant: bool = True

    def get(self, state: Any) -> Any:
        return self.value


@dataclass
class Expr:
    """An expression double; a failure of `fn` surfaces as the pipeline's ExpressionValueEvaluationFailure."""

    fn: Callable[[Any], Any]
    text: str = ""
    is_constant: bool = False

    def get(self, state: Any) -> Any:
        try:
            return self.fn(state)
        except PolicyError:
            raise
        except Exception as exc:
            raise PolicyError("expression", "ExpressionValueEvaluationFailure", str(exc)) from exc


class Steps:
    def __init__(self, steps: list[tuple[PolicySpec, Any]]) -> None:
        self.steps = steps

    async def run(self, state: Any) -> Stop | None:
        for spec, config in self.steps:
            if await spec.run(config, state) is STOP:
                return STOP
        return None
