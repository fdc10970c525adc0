"""set-status: set the status code and reason phrase of the response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-status"


@dataclass(frozen=True)
class Config:
    code: Value
    reason: Value | None


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("code", "reason"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    raw = t.required(element, ctx, "code")
    if not t.is_expression(raw):
        _code(raw, lambda m: ctx.error(element, m, "code"))
    reason = element.attrs.get("reason")
    return Config(
        ctx.value(element, raw, attribute="code"),
        ctx.value(element, reason, attribute="reason") if reason is not None else None,
    )


def _code(value: Any, fail: Any) -> int:
    try:
        code = int(str(value).strip())
    except ValueError:
        raise fail(f"The status code '{value}' is not an integer.") from None
    if not 100 <= code <= 999:
        raise fail(f"The status code {code} is out of range.")
    return code


async def run(cfg: Config, state: Any) -> None:
    apply(cfg, state, t.response_of(state))


def apply(cfg: Config, state: Any, response: GatewayResponse) -> None:
    """Set status and reason on `response` (return-response reuses this). Without `reason` the standard phrase."""
    code = _code(cfg.code.get(state), lambda m: PolicyError(NAME, "InvalidStatusCode", m))
    response.status = code
    response.reason = t.text_of(cfg.reason.get(state)) if cfg.reason is not None else t.reason_phrase(code)


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
