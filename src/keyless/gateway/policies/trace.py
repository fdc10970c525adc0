"""trace: add a custom entry (source, message, metadata) to the request trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicySpec, Value

NAME = "trace"
# Lowest to highest; in Azure it filters what reaches Application Insights and resource logs.
SEVERITIES = ("verbose", "information", "error")


@dataclass(frozen=True)
class Config:
    source: str
    severity: str
    message: Value
    metadata: tuple[tuple[Value, Value], ...]


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("source", "severity"))
    t.check_children(element, ctx, ("message", "metadata"))
    source = t.required(element, ctx, "source")
    if t.is_expression(source):
        raise ctx.error(element, "Policy expressions are not allowed in the 'source' attribute.", "source")
    severity = element.attrs.get("severity", "verbose")
    if severity not in SEVERITIES:
        raise ctx.error(element, f"The 'severity' attribute has an invalid value '{severity}'; "
                        f"expected one of: {', '.join(SEVERITIES)}.", "severity")  # fmt: skip
    messages = element.all("message")
    if not messages and element.text:
        # The older form: the message as the element's own text (`<trace source="x">On Error</trace>`).
        text_message = ctx.value(element, element.text)
    elif len(messages) != 1 or element.text:
        raise ctx.error(element, "The element 'trace' requires exactly one 'message' element.")
    else:
        t.check_attributes(messages[0], ctx, ())
        t.check_children(messages[0], ctx, ())
        text_message = ctx.value(messages[0], messages[0].text, default="")
    metadata = []
    for item in element.all("metadata"):
        t.check_attributes(item, ctx, ("name", "value"))
        t.check_children(item, ctx, ())
        t.check_no_text(item, ctx)
        name = t.required(item, ctx, "name")
        value = t.required(item, ctx, "value")
        metadata.append((ctx.value(item, name, attribute="name"), ctx.value(item, value, attribute="value")))
    return Config(source, severity, text_message, tuple(metadata))


async def run(cfg: Config, state: Any) -> None:
    message = t.text_of(cfg.message.get(state))
    if not cfg.metadata:
        state.trace(cfg.source, message)
        return
    meta = {t.text_of(n.get(state)): t.text_of(v.get(state)) for n, v in cfg.metadata}
    state.trace(cfg.source, {"message": message, "severity": cfg.severity, "metadata": meta})


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
