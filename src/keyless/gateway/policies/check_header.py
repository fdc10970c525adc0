"""check-header: refuse a request whose header is missing or has none of the allowed values (APIM's check-header)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies._security import (
    check_attributes,
    check_children,
    constant_bool,
    constant_int,
    respond,
)
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value

NAME = "check-header"
REQUIRED = ("name", "failed-check-httpcode", "failed-check-error-message", "ignore-case")
ATTRIBUTES = ("id", *REQUIRED)
# reason -> LastError.Message template
MESSAGES = {
    "HeaderNotFound": "Header {name} was not found in the request. Access denied.",
    "HeaderValueNotAllowed": "Header {name} value of {value} is not allowed. Access denied.",
}


@dataclass(frozen=True)
class Config:
    name: Value
    code: Value
    message: Value
    ignore_case: Value
    values: tuple[Value, ...]


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, ("value",))
    for name in REQUIRED:
        if name not in element.attrs:
            raise ctx.error(element, f"'{name}' is required.", attribute=name)
    constant_int(element, ctx, "failed-check-httpcode", element.attrs["failed-check-httpcode"], 100, 599)
    constant_bool(element, ctx, "ignore-case", element.attrs["ignore-case"])
    values = []
    for value in element.children:
        check_attributes(value, ctx, ())
        check_children(value, ctx, (), text=True)
        values.append(ctx.value(value, value.text))
    return Config(
        name=ctx.value(element, element.attrs["name"], attribute="name"),
        code=ctx.value(element, element.attrs["failed-check-httpcode"], attribute="failed-check-httpcode"),
        message=ctx.value(element, element.attrs["failed-check-error-message"], attribute="failed-check-error-message"),
        ignore_case=ctx.value(element, element.attrs["ignore-case"], attribute="ignore-case"),
        values=tuple(values),
    )


def _equal(a: str, b: str) -> bool:
    # Header values are often shared secrets: compare in constant time.
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def run(cfg: Config, state: RequestState) -> None:
    name = str(cfg.name.get(state))
    present = state.request.headers.values(name)
    if not present:
        reason, value = "HeaderNotFound", ""
    elif not cfg.values:
        return None
    else:
        fold = str(cfg.ignore_case.get(state)).strip().lower() == "true"
        allowed = [str(v.get(state)) for v in cfg.values]
        candidates = [*present, ",".join(present)] if len(present) > 1 else present
        if fold:
            allowed = [a.casefold() for a in allowed]
            candidates = [c.casefold() for c in candidates]
        matched = False
        for candidate in candidates:
            for value in allowed:
                matched |= _equal(candidate, value)  # no early exit
        if matched:
            return None
        reason, value = "HeaderValueNotAllowed", ",".join(present)
    respond(state, int(cfg.code.get(state)), str(cfg.message.get(state)))
    state.trace(NAME, {"message": MESSAGES[reason].format(name=name, value="…" if value else "")})
    # The explanation never carries the header's value: it is often a shared secret.
    explanation = (
        f"the request has no '{name}' header"
        if reason == "HeaderNotFound"
        else f"the request's '{name}' header is not one of the {len(cfg.values)} values the policy allows"
    )
    raise PolicyError(NAME, reason, MESSAGES[reason].format(name=name, value=value), explanation=explanation)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
