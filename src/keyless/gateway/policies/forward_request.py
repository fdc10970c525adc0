"""forward-request: send the request to the backend; its response becomes `context.Response`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "forward-request"
BOOLEAN_ATTRS = {
    "follow-redirects": False,
    "buffer-request-body": False,
    "buffer-response": True,
    "fail-on-error-status-code": False,
}
ATTRS = ("timeout", "timeout-ms", "continue-timeout", "http-version", *BOOLEAN_ATTRS)


@dataclass(frozen=True)
class Config:
    timeout: Value  # seconds
    timeout_ms: Value | None
    follow_redirects: Value
    fail_on_error: Value
    buffer_response: Value


def _number(element: Element, ctx: CompileContext, name: str) -> None:
    raw = element.attrs.get(name)
    if raw is not None and not raw.strip().startswith("@") and not raw.strip().isdigit():
        raise ctx.error(element, f"The '{name}' attribute must be a whole number, not '{raw}'.", name)


def _boolean(element: Element, ctx: CompileContext, name: str) -> Value:
    raw = element.attrs.get(name)
    if raw is not None and not raw.strip().startswith("@") and raw.strip().lower() not in ("true", "false"):
        raise ctx.error(element, f"The '{name}' attribute must be true or false, not '{raw}'.", name)
    return ctx.value(element, raw, attribute=name, default=BOOLEAN_ATTRS[name])


def compile(element: Element, ctx: CompileContext) -> Config:
    for attr in element.attrs:
        if attr not in ATTRS:
            raise ctx.error(element, f"The '{attr}' attribute is not declared.", attr)
    if element.children or element.text:
        raise ctx.error(element, "The element 'forward-request' cannot have content.")
    for name in ("timeout", "timeout-ms", "continue-timeout"):
        _number(element, ctx, name)
    version = element.attrs.get("http-version")
    if version is not None and version not in ("1", "2", "2or1"):
        raise ctx.error(element, f"The 'http-version' attribute must be 1, 2 or 2or1, not '{version}'.", "http-version")
    _boolean(element, ctx, "buffer-request-body")  # checked; keyless reads request bodies in full either way
    timeout_ms = element.attrs.get("timeout-ms")
    return Config(
        ctx.value(element, element.attrs.get("timeout"), attribute="timeout", default="300"),
        ctx.value(element, timeout_ms, attribute="timeout-ms") if timeout_ms is not None else None,
        _boolean(element, ctx, "follow-redirects"),
        _boolean(element, ctx, "fail-on-error-status-code"),
        _boolean(element, ctx, "buffer-response"),
    )


def _flag(value: Value, state: Any) -> bool:
    got = value.get(state)
    return got if isinstance(got, bool) else str(got).strip().lower() == "true"


async def run(cfg: Config, state: Any) -> None:
    seconds = float(cfg.timeout_ms.get(state)) / 1000 if cfg.timeout_ms is not None else float(cfg.timeout.get(state))
    tracing = getattr(state, "tracing", False)
    if tracing:  # entries are built only for traced requests (the hot path skips the f-strings)
        state.trace(
            "request-forwarder",
            {"message": f"Request is being forwarded to the backend service. Timeout set to {seconds:g} seconds"},
        )
    previous = state.response
    if previous is not None and previous.stream is not None:  # a retried forward drops the unread body
        previous.stream.release()
    fail_on_error = _flag(cfg.fail_on_error, state)
    response = await state.services.backends.forward(
        state,
        seconds=seconds,
        follow_redirects=_flag(cfg.follow_redirects, state),
        stream=(state.stream_ok or not _flag(cfg.buffer_response, state)) and not fail_on_error,
    )
    state.response = response
    if tracing:
        state.trace("forward-request", {"response": {"status": {"code": response.status, "reason": response.reason}}})
    if response.status >= 400 and fail_on_error:
        # [INF] reason name: the docs say only that 4xx/5xx then enter on-error
        raise PolicyError(NAME, "BackendError", f"The backend service responded with status code {response.status}")


SPEC = PolicySpec(NAME, frozenset({"backend"}), compile, run, once=True)
