"""set-method: change the HTTP method of the backend request."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-method"
# An HTTP method is an RFC 9110 token; APIM sends it as written.
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class Config:
    method: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ())
    t.check_children(element, ctx, ())
    text = element.text
    if not text:
        raise ctx.error(element, "The element 'set-method' requires a method.")
    if not t.is_expression(text) and not TOKEN.match(text):
        raise ctx.error(element, f"'{text}' is not a valid HTTP method.")
    return Config(ctx.value(element, text))


async def run(cfg: Config, state: Any) -> None:
    method = t.text_of(cfg.method.get(state)).strip()
    if not TOKEN.match(method):
        raise PolicyError(NAME, "InvalidMethod", f"'{method}' is not a valid HTTP method.")
    state.request.method = method


# The doc lists inbound and on-error; the toolkit allows every section, and a method set after the request was
# forwarded changes nothing, so backend and outbound are accepted too.
SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
