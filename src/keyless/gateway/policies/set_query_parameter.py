"""set-query-parameter: set, append, skip or delete a query parameter of the backend request URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-query-parameter"
EXISTS_ACTIONS = ("override", "skip", "append", "delete")


@dataclass(frozen=True)
class Config:
    name: Value
    action: Value
    values: tuple[Value, ...]


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("name", "exists-action"))
    t.check_children(element, ctx, ("value",))
    t.check_no_text(element, ctx)
    raw_name = t.required(element, ctx, "name")
    if not t.is_expression(raw_name) and not raw_name.strip():
        raise ctx.error(element, "The query parameter name is empty.", "name")
    action = t.choice(element, ctx, "exists-action", EXISTS_ACTIONS, "override")
    values = []
    for child in element.children:
        t.check_attributes(child, ctx, ())
        t.check_children(child, ctx, ())
        values.append(ctx.value(child, child.text, default=""))
    return Config(ctx.value(element, raw_name, attribute="name"), action, tuple(values))


async def run(cfg: Config, state: Any) -> None:
    name = t.text_of(cfg.name.get(state))
    if not name:
        raise PolicyError(NAME, "InvalidQueryParameter", "The query parameter name is empty.")
    action = t.runtime_choice(cfg.action, state, NAME, "exists-action", EXISTS_ACTIONS)
    query = state.request.url.query
    if action == "delete":
        query.pop(name, None)
        return
    if action == "skip" and name in query:
        return
    values = [t.text_of(v.get(state)) for v in cfg.values]
    if action == "append":
        values = query.get(name, []) + values
    # Several values are sent as repeated parameters (`?a=1&a=2`).
    query[name] = values or [""]


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend"}), compile, run)
