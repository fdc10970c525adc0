"""set-variable: store a value in `context.Variables` (a literal is a string; an expression keeps its type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import SECTIONS, CompileContext, PolicySpec, Value

NAME = "set-variable"


@dataclass(frozen=True)
class Config:
    name: str
    value: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    for attr in element.attrs:
        if attr not in ("name", "value"):
            raise ctx.error(element, f"The '{attr}' attribute is not declared.", attr)
    if element.children or element.text:
        raise ctx.error(element, "The element 'set-variable' cannot have content.")
    name = element.attrs.get("name")
    if not name:
        raise ctx.error(element, "The required attribute 'name' is missing.", "name")
    if "value" not in element.attrs:
        raise ctx.error(element, "The required attribute 'value' is missing.", "value")
    ctx.value(element, name, attribute="name", allow_expression=False)
    return Config(name, ctx.value(element, element.attrs["value"], attribute="value"))


async def run(cfg: Config, state: Any) -> None:
    state.variables[cfg.name] = cfg.value.get(state)


SPEC = PolicySpec(NAME, frozenset(SECTIONS), compile, run)
