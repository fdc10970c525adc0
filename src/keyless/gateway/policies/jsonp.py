"""jsonp: wraps a JSON response as `callback(json);` (application/javascript) when the query names a callback."""

from __future__ import annotations

import re
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value

NAME = "jsonp"
# A JavaScript identifier, optionally qualified (`app.handlers.done`): nothing else may reach the script body.
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
CONTENT_TYPE = "application/javascript"


@dataclass(frozen=True)
class Config:
    parameter: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("callback-parameter-name",))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    raw = t.required(element, ctx, "callback-parameter-name")
    if not t.is_expression(raw) and not raw.strip():
        raise ctx.error(element, "'callback-parameter-name' must not be empty.", "callback-parameter-name")
    return Config(ctx.value(element, raw, attribute="callback-parameter-name"))


async def run(cfg: Config, state: RequestState) -> Stop | None:
    name = t.text_of(cfg.parameter.get(state))
    values = state.request.original_url.query.get(name)
    if not values:
        return None  # no callback asked for: plain JSON (the doc)
    callback = values[0]
    if not IDENTIFIER.fullmatch(callback):
        raise PolicyError(
            NAME,
            "CallbackParameterInvalid",
            f"Value of callback parameter {name} is not a valid JavaScript identifier.",
        )
    response = t.response_of(state)
    if not t.is_media(t.media_type(response.headers), "json"):
        state.trace(NAME, {"message": "The response is not JSON; it is not wrapped."})
        return None
    t.set_body(response, callback.encode() + b"(" + response.body + b");", CONTENT_TYPE)
    return None


SPEC = PolicySpec(name=NAME, sections=frozenset({"outbound"}), compile=compile, run=run, once=True)
