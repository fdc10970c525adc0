"""find-and-replace: replace every occurrence of a string in the request (inbound/backend) or response body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "find-and-replace"


@dataclass(frozen=True)
class Config:
    find: Value
    replace: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("from", "to"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    raw_from = t.required(element, ctx, "from")
    raw_to = t.required(element, ctx, "to")
    if raw_from == "":
        raise ctx.error(element, "The 'from' attribute is empty.", "from")
    return Config(ctx.value(element, raw_from, attribute="from"), ctx.value(element, raw_to, attribute="to"))


async def run(cfg: Config, state: Any) -> None:
    message = t.message_of(state)
    if not message.body:
        return
    find = t.text_of(cfg.find.get(state))
    if not find:
        raise PolicyError(NAME, "InvalidArgument", "The 'from' value is empty.")
    text = message.body.decode("utf-8", errors="replace")
    t.set_body(message, text.replace(find, t.text_of(cfg.replace.get(state))).encode("utf-8"))


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
