"""send-request: APIM's call-out whose response (an IResponse, or null with ignore-error) lands in a variable."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from keyless.gateway.context import IResponse
from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Steps, Stop, Value
from keyless.gateway.throttling import bool_constant, check_attributes, int_value, is_expression, required, to_int

NAME = "send-request"
DEFAULT_TIMEOUT = 60
MODES = ("new", "copy")
# Children that are policy statements of their own, compiled by the registry and run on the outgoing request.
DELEGATED = (
    "set-header",
    "set-body",
    "authentication-managed-identity",
    "authentication-basic",
    "authentication-certificate",
)
# Headers that describe the incoming connection, not the message; a copied request gets its own.
CONNECTION_HEADERS = ("host", "content-length", "transfer-encoding", "connection", "keep-alive")


@dataclass(frozen=True)
class Message:
    """The outgoing request as the policy describes it."""

    mode: Value | None
    url: Value | None
    method: Value | None
    steps: Steps | None
    timeout: Value | None


@dataclass(frozen=True)
class Config:
    message: Message
    variable: Value
    ignore_error: bool


def _text_child(ctx: CompileContext, child: Element, seen: dict[str, Element], *, expressions: bool = True) -> Value:
    if child.name in seen:
        raise ctx.error(child, f"'{child.name}' may appear only once in '{NAME}'.")
    seen[child.name] = child
    if child.children or child.attrs.keys() - {"id"}:
        raise ctx.error(child, f"'{child.name}' takes only text content.")
    if not child.text:
        raise ctx.error(child, f"'{child.name}' must not be empty.")
    if not expressions and is_expression(child.text):
        raise ctx.error(child, f"'{child.name}' in '{NAME}' does not allow policy expressions.")
    return ctx.value(child, child.text)


def compile_message(element: Element, ctx: CompileContext, policy: str) -> Message:
    """set-url and set-method are read here; the other children compile as the policies they are."""
    mode_raw = element.attrs.get("mode", "new")
    if not is_expression(mode_raw) and mode_raw not in MODES:
        raise ctx.error(element, f"'mode' of '{policy}' must be new or copy, not '{mode_raw}'.", "mode")
    mode = ctx.value(element, mode_raw, attribute="mode")
    timeout_raw = element.attrs.get("timeout")
    timeout = None if timeout_raw is None else int_value(ctx, element, "timeout", timeout_raw, minimum=1)
    if element.text:
        raise ctx.error(element, f"'{policy}' does not take text content.")
    url = method = None
    seen: dict[str, Element] = {}
    delegated = []
    for child in element.children:
        if child.name == "set-url":
            url = _text_child(ctx, child, seen)
        elif child.name == "set-method":
            method = _text_child(ctx, child, seen, expressions=False)
        elif child.name in DELEGATED:
            delegated.append(child)
        elif child.name == "proxy":
            raise ctx.error(child, f"'proxy' in '{policy}' is not supported by keyless: calls go out directly.")
        else:
            raise ctx.error(child, f"'{child.name}' is not a valid child element of '{policy}'.")
    if url is None and mode_raw == "new":
        raise ctx.error(element, f"'{policy}' with mode 'new' needs a 'set-url' element.")
    steps = _compile_children(ctx, replace(element, children=tuple(delegated), text="")) if delegated else None
    return Message(mode, url, method, steps, timeout)


def _compile_children(ctx: CompileContext, element: Element) -> Steps:
    """The children build the outgoing request, so they compile (and run) as inbound policies wherever
    send-request stands: APIM allows authentication-managed-identity inside a send-request in outbound."""
    section = ctx.section
    ctx.section = "inbound"
    try:
        return ctx.children(element)
    finally:
        ctx.section = section


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("mode", "response-variable-name", "timeout", "ignore-error"))
    variable = ctx.value(element, required(ctx, element, "response-variable-name"), attribute="response-variable-name")
    ignore = bool_constant(ctx, element, "ignore-error", element.attrs.get("ignore-error"), False)
    return Config(compile_message(element, ctx, NAME), variable, ignore)


class _Outgoing:
    """The request state as the children of send-request see it: their `request` is the outgoing one and
    they run as inbound policies; everything else (variables, context, services, trace) is the caller's."""

    def __init__(self, parent: RequestState, request: GatewayRequest) -> None:
        self.__dict__["_parent"] = parent
        self.__dict__["request"] = request
        self.__dict__["section"] = "inbound"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_parent"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("request", "section"):
            self.__dict__[name] = value
        else:
            setattr(self.__dict__["_parent"], name, value)


async def build_request(message: Message, state: RequestState, policy: str) -> tuple[GatewayRequest, int]:
    """The outgoing request after every child has run, and the timeout in seconds."""
    mode = str(message.mode.get(state) if message.mode else "new").lower()
    if mode not in MODES:
        raise PolicyError(policy, "ExpressionValueEvaluationFailure", f"'mode' must be new or copy, not '{mode}'.")
    timeout = DEFAULT_TIMEOUT if message.timeout is None else to_int(policy, "timeout", message.timeout.get(state), 1)
    incoming = state.request
    if mode == "copy":
        headers = incoming.headers.copy()
        for name in CONNECTION_HEADERS:
            headers.remove(name)
        # In the outbound section a copy starts without the request body.
        body = None if state.section == "outbound" else incoming.body
        request = GatewayRequest(
            incoming.method, incoming.url.copy(), incoming.url.copy(), headers, body, incoming.client_ip
        )
    else:
        if message.url is None:
            raise PolicyError(policy, "ExpressionValueEvaluationFailure", f"'{policy}' with mode 'new' needs set-url.")
        request = GatewayRequest(
            "GET", Url.parse("http://localhost/"), incoming.original_url, Headers(), None, incoming.client_ip
        )
    if message.url is not None:
        try:
            request.url = Url.parse(str(message.url.get(state)).strip())
        except ValueError:
            raise PolicyError(policy, "ExpressionValueEvaluationFailure", "'set-url' is not a valid URL.") from None
    if message.method is not None:
        request.method = str(message.method.get(state)).strip().upper()
    if message.steps is not None:
        await message.steps.run(_Outgoing(state, request))  # type: ignore[arg-type]
    return request, timeout


async def send(request: GatewayRequest, state: RequestState, seconds: int) -> GatewayResponse:
    """Send through the pooled client, Azure host names resolved to keyless; the whole body is read."""
    url = state.services.aliases.resolve(str(request.url))
    # services.http is the pool's session; before the pool hands it over, take it from the pool itself.
    session: aiohttp.ClientSession = state.services.http or state.services.backends.session
    cert = request.client_certificate  # authentication-certificate inside send-request
    tls = {} if cert is None else {"ssl": cert.context(getattr(state.services.backends, "ssl_context", None))}
    async with session.request(
        request.method,
        url,
        headers=list(request.headers.items()),
        data=request.body,
        timeout=aiohttp.ClientTimeout(total=seconds),
        allow_redirects=False,
        **tls,
    ) as reply:
        body = await reply.read()
        return GatewayResponse(reply.status, Headers(reply.headers.items()), body, reply.reason or "")


def failure(policy: str, error: BaseException) -> PolicyError:
    """LastError for a call-out that got no response (never naming the URL: it may carry a key)."""
    if isinstance(error, asyncio.TimeoutError):
        return PolicyError(policy, "Timeout", "Request to the endpoint timed out.")
    return PolicyError(
        policy, "BackendConnectionFailure", f"Error occurred while calling the endpoint: {type(error).__name__}."
    )


async def run(cfg: Config, state: RequestState) -> Stop | None:
    variable = str(cfg.variable.get(state))
    request, timeout = await build_request(cfg.message, state, NAME)
    try:
        response = await send(request, state, timeout)
    except (TimeoutError, aiohttp.ClientError, OSError) as error:
        if cfg.ignore_error:
            state.variables[variable] = None
            state.trace(NAME, {"message": "Request failed; error ignored.", "error": type(error).__name__})
            return None
        raise failure(NAME, error) from None
    state.variables[variable] = IResponse(response)
    state.trace(NAME, {"message": "Response received.", "statusCode": response.status})
    return None


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
