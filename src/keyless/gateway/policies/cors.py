"""cors: answer CORS preflights and add Access-Control-* headers to cross-origin responses (APIM's cors)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies._security import check_attributes, check_children, constant_bool, constant_int
from keyless.gateway.policy import STOP, CompileContext, PolicySpec, RequestState, Stop
from keyless.gateway.throttling import after_response

NAME = "cors"
ATTRIBUTES: dict[str, str] = {"id": "", "allow-credentials": "false", "terminate-unmatched-request": "true"}
CHILDREN = ("allowed-origins", "allowed-methods", "allowed-headers", "expose-headers")
DEFAULT_METHODS = ("GET", "POST")
# Requests whose unmatched origin ends the request when terminate-unmatched-request is true (besides preflights).
TERMINATED_SIMPLE_METHODS = ("GET", "HEAD")


@dataclass(frozen=True)
class Config:
    allow_credentials: bool
    terminate_unmatched: bool
    any_origin: bool
    origins: frozenset[str]  # normalised (lower-case, no trailing slash)
    any_method: bool
    methods: frozenset[str]
    max_age: int
    any_header: bool
    headers: frozenset[str]  # lower-case
    expose: tuple[str, ...]


def _items(element: Element | None, ctx: CompileContext, child: str) -> list[str]:
    if element is None:
        return []
    check_children(element, ctx, (child,))
    found = []
    for item in element.children:
        check_attributes(item, ctx, ())
        check_children(item, ctx, (), text=True)
        if not item.text:
            raise ctx.error(item, f"<{child}> must not be empty.")
        if item.text.startswith(("@(", "@{")):
            raise ctx.error(item, f"<{child}> does not allow policy expressions.")
        found.append(item.text.strip())
    if not found:
        raise ctx.error(element, f"<{element.name}> needs at least one <{child}>.")
    return found


def normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, CHILDREN)
    for name in ("allow-credentials", "terminate-unmatched-request"):
        if name in element.attrs:
            constant_bool(element, ctx, name, element.attrs[name])
            if element.attrs[name].startswith("@"):
                raise ctx.error(element, f"'{name}' does not allow policy expressions.", attribute=name)
    for name in CHILDREN:
        if len(element.all(name)) > 1:
            raise ctx.error(element.all(name)[1], f"<{name}> may appear only once in <cors>.")
    origins_element = element.child("allowed-origins")
    if origins_element is None:
        raise ctx.error(element, "<allowed-origins> is required.")
    check_attributes(origins_element, ctx, ())
    origins = _items(origins_element, ctx, "origin")
    credentials = element.attrs.get("allow-credentials", "false").lower() == "true"
    if credentials and "*" in origins:
        raise ctx.error(origins_element, "allow-credentials=\"true\" cannot be used with the wildcard origin '*'.")
    methods_element = element.child("allowed-methods")
    max_age = 0
    if methods_element is not None:
        check_attributes(methods_element, ctx, ("preflight-result-max-age",))
        raw_age = methods_element.attrs.get("preflight-result-max-age", "0")
        constant_int(methods_element, ctx, "preflight-result-max-age", raw_age, 0, 2**31 - 1)
        max_age = int(raw_age)
    methods = [m.upper() for m in _items(methods_element, ctx, "method")] or list(DEFAULT_METHODS)
    for name in ("allowed-headers", "expose-headers"):
        if element.child(name) is not None:
            check_attributes(element.child(name), ctx, ())  # type: ignore[arg-type]
    headers = _items(element.child("allowed-headers"), ctx, "header")
    return Config(
        allow_credentials=credentials,
        terminate_unmatched=element.attrs.get("terminate-unmatched-request", "true").lower() == "true",
        any_origin="*" in origins,
        origins=frozenset(normalise_origin(o) for o in origins if o != "*"),
        any_method="*" in methods,
        methods=frozenset(m for m in methods if m != "*"),
        max_age=max_age,
        any_header="*" in headers,
        headers=frozenset(h.lower() for h in headers if h != "*"),
        expose=tuple(_items(element.child("expose-headers"), ctx, "header")),
    )


def _origin_allowed(cfg: Config, origin: str) -> bool:
    return cfg.any_origin or normalise_origin(origin) in cfg.origins


def _allow_origin(cfg: Config, origin: str, headers: Headers) -> None:
    if cfg.any_origin and not cfg.allow_credentials:
        headers.set("Access-Control-Allow-Origin", "*")
    else:
        headers.set("Access-Control-Allow-Origin", origin)
        headers.add("Vary", "Origin")
    if cfg.allow_credentials:
        headers.set("Access-Control-Allow-Credentials", "true")


def _empty_ok(state: RequestState, headers: Headers | None = None) -> Stop:
    state.response = GatewayResponse(200, headers or Headers(), b"", "OK")
    return STOP


def _preflight(cfg: Config, state: RequestState, origin: str, method: str) -> Stop | None:
    requested = [h.strip() for h in (state.request.headers.get("Access-Control-Request-Headers") or "").split(",")]
    requested = [h for h in requested if h]
    why = ""
    if not _origin_allowed(cfg, origin):
        why = f"origin '{origin}' is not in <allowed-origins>"
    elif not (cfg.any_method or method.upper() in cfg.methods):
        why = f"method '{method}' is not in <allowed-methods> ({', '.join(sorted(cfg.methods))})"
    elif not cfg.any_header and any(h.lower() not in cfg.headers for h in requested):
        missing = [h for h in requested if h.lower() not in cfg.headers]
        why = f"header(s) {', '.join(missing)} not in <allowed-headers>"
    if why:
        state.trace(NAME, {"message": f"Preflight request did not match the CORS policy: {why}."})
        return _empty_ok(state) if cfg.terminate_unmatched else None
    headers = Headers()
    _allow_origin(cfg, origin, headers)
    headers.set("Access-Control-Allow-Methods", method.upper() if not cfg.any_method else method)
    if requested:
        headers.set("Access-Control-Allow-Headers", ",".join(requested))
    if cfg.max_age > 0:
        headers.set("Access-Control-Max-Age", str(cfg.max_age))
    state.trace(NAME, {"message": "Preflight request matched the CORS policy; answered by the gateway."})
    return _empty_ok(state, headers)


async def run(cfg: Config, state: RequestState) -> Stop | None:
    request = state.request
    origin = request.headers.get("Origin")
    if not origin:
        return None
    requested_method = request.headers.get("Access-Control-Request-Method")
    if request.method.upper() == "OPTIONS" and requested_method:
        return _preflight(cfg, state, origin, requested_method)
    if not _origin_allowed(cfg, origin):
        state.trace(NAME, {"message": f"Cross-origin request from '{origin}' did not match <allowed-origins>."})
        if cfg.terminate_unmatched and request.method.upper() in TERMINATED_SIMPLE_METHODS:
            return _empty_ok(state)
        return None
    # The response is not known yet: the pipeline calls the hook with the final one (backend, error or policy).
    after_response(state, NAME, _response_hook(cfg, origin))
    return None


def _response_hook(cfg: Config, origin: str) -> Callable[[GatewayResponse], Awaitable[None]]:
    async def add_headers(response: GatewayResponse) -> None:
        _allow_origin(cfg, origin, response.headers)
        if cfg.expose:
            response.headers.set("Access-Control-Expose-Headers", ",".join(cfg.expose))

    return add_headers


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
