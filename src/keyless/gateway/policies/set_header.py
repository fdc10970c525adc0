"""set-header: set, append, skip or delete a request (inbound/backend) or response (outbound/on-error) header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import Headers
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-header"
EXISTS_ACTIONS = ("override", "skip", "append", "delete")
# Several <value>s are joined with a comma except for these, which stay separate header lines.
SEPARATE = frozenset(
    h.lower()
    for h in (
        "User-Agent", "WWW-Authenticate", "Proxy-Authenticate",  # values may contain commas
        "Cookie", "Set-Cookie", "Warning",  # values may contain dates
        "Date", "Expires", "If-Modified-Since", "If-Unmodified-Since", "Last-Modified", "Retry-After",  # dates
    )
)  # fmt: skip
# APIM's gateway owns these: a policy cannot modify or delete them (the set-header doc's limitations). The
# policy is accepted and leaves them as they are, as Azure does; the request trace says so.
UNTOUCHABLE = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
UNDELETABLE = frozenset({"server"})


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
    action = t.choice(element, ctx, "exists-action", EXISTS_ACTIONS, "override")
    if not t.is_expression(raw_name) and not raw_name.strip():
        raise ctx.error(element, "The header name is empty.", "name")
    values = []
    for child in element.children:
        t.check_attributes(child, ctx, ())
        t.check_children(child, ctx, ())
        values.append(ctx.value(child, child.text, default=""))
    return Config(ctx.value(element, raw_name, attribute="name"), action, tuple(values))


def untouchable(name: str, action: str) -> bool:
    """Whether APIM leaves this header alone for this action."""
    lowered = name.strip().lower()
    return lowered in UNTOUCHABLE or (lowered in UNDELETABLE and action == "delete")


async def run(cfg: Config, state: Any) -> None:
    apply(cfg, state, t.message_of(state).headers)


def apply(cfg: Config, state: Any, headers: Headers) -> None:
    """Set the header on `headers` (return-response and send-request reuse this on their own messages)."""
    name = t.text_of(cfg.name.get(state))
    action = t.runtime_choice(cfg.action, state, NAME, "exists-action", EXISTS_ACTIONS)
    if not name.strip():
        raise PolicyError(NAME, "InvalidHeader", "The header name is empty.")
    if untouchable(name, action):
        state.trace(
            NAME, f"The '{name}' header is managed by the gateway; exists-action '{action}' leaves it as it is."
        )
        return
    if action == "delete":
        headers.remove(name)
        return
    if action == "skip" and name in headers:
        return
    values = [t.text_of(v.get(state)) for v in cfg.values]
    if action == "append":
        values = headers.values(name) + values
    if name.lower() in SEPARATE:
        headers.set(name, values or [""])
    else:
        headers.set(name, ",".join(values))


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
