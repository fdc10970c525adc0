"""choose / when / otherwise: the first `when` whose condition is true runs, else `otherwise`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import SECTIONS, CompileContext, PolicyError, PolicySpec, Steps, Stop, Value

NAME = "choose"


@dataclass(frozen=True)
class Config:
    branches: tuple[tuple[Value, Steps], ...]
    otherwise: Steps | None


def _condition(child: Element, ctx: CompileContext) -> Value:
    for attr in child.attrs:
        if attr != "condition":
            raise ctx.error(child, f"The '{attr}' attribute is not declared.", attr)
    raw = child.attrs.get("condition")
    if raw is None:
        raise ctx.error(child, "The required attribute 'condition' is missing.", "condition")
    value = ctx.value(child, raw, attribute="condition")
    if value.is_constant and str(raw).strip().lower() not in ("true", "false"):
        raise ctx.error(child, f"The condition '{raw}' is not a boolean value or expression.", "condition")
    return value


def compile(element: Element, ctx: CompileContext) -> Config:
    if element.attrs:
        attr = next(iter(element.attrs))
        raise ctx.error(element, f"The '{attr}' attribute is not declared.", attr)
    branches: list[tuple[Value, Steps]] = []
    otherwise: Steps | None = None
    for child in element.children:
        if otherwise is not None:
            raise ctx.error(child, "<otherwise> must be the last element of <choose>.")
        if child.name == "when":
            branches.append((_condition(child, ctx), ctx.children(child)))
        elif child.name == "otherwise":
            if child.attrs:
                raise ctx.error(child, "<otherwise> takes no attributes.")
            otherwise = ctx.children(child)
        else:
            raise ctx.error(
                child,
                f"The element 'choose' has invalid child element '{child.name}'. "
                "List of possible elements expected: 'when', 'otherwise'.",
            )
    if not branches:
        raise ctx.error(element, "<choose> must contain at least one <when>.")
    return Config(tuple(branches), otherwise)


def _truth(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PolicyError(NAME, "ExpressionValueEvaluationFailure", "The condition did not evaluate to a boolean value.")


async def run(cfg: Config, state: Any) -> Stop | None:
    for condition, steps in cfg.branches:
        if _truth(condition.get(state)):
            return await steps.run(state)
    if cfg.otherwise is not None:
        return await cfg.otherwise.run(state)
    return None


SPEC = PolicySpec(NAME, frozenset(SECTIONS), compile, run)
