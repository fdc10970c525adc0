"""return-response: end the pipeline with a response built by its set-status/set-header/set-body children.

The response starts empty (200 OK) or as a copy of the `IResponse` in `response-variable-name`. The children
run with `state.section == "outbound"` against that response, so message policies change it, not the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policy import SECTIONS, STOP, CompileContext, PolicyError, PolicySpec, Steps, Stop

NAME = "return-response"
CHILDREN = ("set-status", "set-header", "set-body")


@dataclass(frozen=True)
class Config:
    variable: str | None
    steps: Steps


def compile(element: Element, ctx: CompileContext) -> Config:
    for attr in element.attrs:
        if attr != "response-variable-name":
            raise ctx.error(element, f"The '{attr}' attribute is not declared.", attr)
    variable = element.attrs.get("response-variable-name")
    if variable is not None:
        ctx.value(element, variable, attribute="response-variable-name", allow_expression=False)
    for child in element.children:
        if child.name not in CHILDREN:
            raise ctx.error(
                child,
                f"The element 'return-response' has invalid child element '{child.name}'. "
                "List of possible elements expected: 'set-status', 'set-header', 'set-body'.",
            )
    if element.text:
        raise ctx.error(element, "The element 'return-response' cannot contain text.")
    return Config(variable, ctx.children(element))


def _start(cfg: Config, state: Any) -> GatewayResponse:
    if cfg.variable is None:
        return GatewayResponse(200, Headers(), b"", "OK")
    held = state.variables.get(cfg.variable)
    source = getattr(held, "_response", held)  # an IResponse view or a GatewayResponse
    if not isinstance(source, GatewayResponse):
        raise PolicyError(
            NAME, "ExpressionValueEvaluationFailure", f"Variable '{cfg.variable}' does not hold a response."
        )
    return GatewayResponse(source.status, source.headers.copy(), source.body, source.reason)


async def run(cfg: Config, state: Any) -> Stop:
    response = _start(cfg, state)
    section = state.section
    state.response = response
    state.section = "outbound"
    try:
        await cfg.steps.run(state)
    finally:
        state.section = section
    state.response = response
    return STOP


SPEC = PolicySpec(NAME, frozenset(SECTIONS), compile, run)
