"""Shared pieces of the traffic policies: attribute checks, APIM's throttling bodies, .NET TimeSpan text."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.pipeline import gateway_error as error_response
from keyless.gateway.policy import CompileContext, PolicyError, RequestState, Value

REASONS = {403: "Forbidden", 429: "Too Many Requests"}
# Every policy element may carry `id` (surfaced as context.LastError.PolicyId).
COMMON_ATTRIBUTES = frozenset({"id"})


def check_attributes(ctx: CompileContext, element: Element, allowed: Iterable[str]) -> None:
    """Refuse any attribute the policy does not define, naming it."""
    known = COMMON_ATTRIBUTES | frozenset(allowed)
    for name in element.attrs:
        if name not in known:
            raise ctx.error(element, f"'{name}' is not a valid attribute of '{element.name}'.", name)


def check_children(ctx: CompileContext, element: Element, allowed: Iterable[str]) -> None:
    """Refuse any child element the policy does not define, naming it."""
    known = frozenset(allowed)
    for child in element.children:
        if child.name not in known:
            raise ctx.error(child, f"'{child.name}' is not a valid child element of '{element.name}'.")
    if element.text:
        raise ctx.error(element, f"'{element.name}' does not take text content.")


def required(ctx: CompileContext, element: Element, name: str) -> str:
    raw = element.attrs.get(name)
    if raw is None or raw.strip() == "":
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' is required.", name)
    return raw


def is_expression(raw: str | None) -> bool:
    return raw is not None and raw.lstrip().startswith("@")


def int_constant(
    ctx: CompileContext,
    element: Element,
    name: str,
    raw: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer attribute that does not allow policy expressions, with its documented bounds."""
    if is_expression(raw):
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' does not allow policy expressions.", name)
    try:
        number = int(raw.strip())
    except ValueError:
        raise ctx.error(
            element, f"Attribute '{name}' of '{element.name}' must be an integer, not '{raw}'.", name
        ) from None
    check_bounds(ctx, element, name, number, minimum, maximum)
    return number


def check_bounds(
    ctx: CompileContext, element: Element, name: str, number: int, minimum: int | None, maximum: int | None
) -> None:
    if minimum is not None and number < minimum:
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' must be at least {minimum}.", name)
    if maximum is not None and number > maximum:
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' must be at most {maximum}.", name)


def int_value(
    ctx: CompileContext,
    element: Element,
    name: str,
    raw: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> Value:
    """An integer attribute that allows expressions: a constant is checked now, an expression per request."""
    if not is_expression(raw):
        int_constant(ctx, element, name, raw, minimum=minimum, maximum=maximum)
    return ctx.value(element, raw, attribute=name)


def bool_constant(ctx: CompileContext, element: Element, name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    if is_expression(raw):
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' does not allow policy expressions.", name)
    text = raw.strip().lower()
    if text not in ("true", "false"):
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' must be true or false, not '{raw}'.", name)
    return text == "true"


def bool_value(ctx: CompileContext, element: Element, name: str, raw: str) -> Value:
    """A Boolean attribute that allows expressions; a literal must be true or false."""
    if not is_expression(raw):
        bool_constant(ctx, element, name, raw, False)
    return ctx.value(element, raw, attribute=name)


def no_expression(ctx: CompileContext, element: Element, name: str) -> str | None:
    raw = element.attrs.get(name)
    if raw is not None and is_expression(raw):
        raise ctx.error(element, f"Attribute '{name}' of '{element.name}' does not allow policy expressions.", name)
    return raw


def to_int(policy: str, name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """An evaluated attribute as an int, or the PolicyError APIM raises for a bad expression value."""
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if not isinstance(value, str) else int(value.strip())
        if isinstance(value, float) and value != number:
            raise ValueError
    except (TypeError, ValueError):
        raise PolicyError(
            policy,
            "ExpressionValueEvaluationFailure",
            f"Attribute '{name}' of '{policy}' must evaluate to an integer, not '{value}'.",
        ) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise PolicyError(
            policy,
            "ExpressionValueEvaluationFailure",
            f"Attribute '{name}' of '{policy}' evaluated to {number}, outside {minimum}..{maximum}.",
        )
    return number


def to_bool(policy: str, name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise PolicyError(
        policy,
        "ExpressionValueEvaluationFailure",
        f"Attribute '{name}' of '{policy}' must evaluate to a Boolean, not '{value}'.",
    )


def evaluate(value: Value | None, state: RequestState) -> Any:
    return None if value is None else value.get(state)


def timespan(seconds: float) -> str:
    """A duration as .NET's TimeSpan.ToString() writes it: `hh:mm:ss`, or `d.hh:mm:ss` past a day."""
    total = max(0, math.ceil(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{days}.{text}" if days else text


def gateway_error(status: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> GatewayResponse:
    """A gateway-generated error as APIM writes it (`{ "statusCode": N, "message": "..." }`), with headers."""
    response = error_response(status, message, REASONS.get(status, ""))
    for name, value in headers:
        response.headers.set(name, value)
    return response


def context_member(state: RequestState, *path: str) -> Any:
    """`context.A.B` from the expression model, or None where a step is null (no product, no subscription)."""
    node: Any = state.context
    for name in path:
        if node is None:
            return None
        node = getattr(node, name, None)
    return node


def service_key(state: RequestState, *parts: object) -> str:
    """A counter or cache key scoped to the APIM service (one gateway process serves several)."""
    snapshot = getattr(state, "snapshot", None)
    service = getattr(snapshot, "service_name", "") if snapshot is not None else ""
    return "|".join([service, *(str(p) for p in parts)])


ResponseHook = Callable[[GatewayResponse], Awaitable[None]]


def after_response(state: RequestState, policy: str, hook: ResponseHook) -> None:
    """Run `hook` with the final response (after outbound and on-error), where APIM counts and reports.

    Needs the pipeline's `RequestState.on_response`; without it the policy fails loudly rather than
    counting at the wrong moment."""
    register = getattr(state, "on_response", None)
    if register is None:
        raise PolicyError(
            policy, "NotSupported", f"'{policy}' needs response hooks (RequestState.on_response) from the pipeline."
        )
    register(hook)
