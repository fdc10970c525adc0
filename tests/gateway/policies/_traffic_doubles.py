"""Test doubles for the traffic/cache/call-out policy tests, coded to the contract in policy.py and 0002:
a CompileContext whose expressions are Python lambdas, a RequestState with `on_response` hooks, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from tests.gateway.policies._doubles import CompileError, Const, Expr, Steps

from keyless.gateway.counters import InMemoryCounters
from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.policy import PolicyError, PolicySpec, Stop
from keyless.gateway.value_cache import InMemoryValueCache, ValueCaches


class Clock:
    """A settable `now()`."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class Ctx:
    """CompileContext double: `exprs` maps expression text to a Python function of the state."""

    exprs: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    registry: dict[str, PolicySpec] = field(default_factory=dict)
    scope: str = "api"
    section: str = "inbound"

    def error(self, element: Element, message: str, attribute: str | None = None) -> Exception:
        return CompileError(message, element, attribute)

    def value(
        self,
        element: Element,
        raw: str | None,
        *,
        attribute: str | None = None,
        allow_expression: bool = True,
        default: Any = None,
    ) -> Any:
        if raw is None:
            return Const(default)
        text = raw.strip()
        if text.startswith("@"):
            if not allow_expression:
                raise self.error(element, "expressions not allowed", attribute)
            return Expr(self.exprs[text])
        return Const(raw)

    def children(self, element: Element) -> Steps:
        steps = []
        for child in element.children:
            spec = self.registry.get(child.name)
            if spec is None:
                raise self.error(child, f"'{child.name}' is not a known policy")
            if self.section not in spec.sections:
                raise self.error(child, f"'{child.name}' is not allowed in {self.section}")
            steps.append((spec, spec.compile(child, self)))
        return Steps(steps)


def el(name: str, attrs: dict[str, str] | None = None, *children: Element, text: str = "") -> Element:
    return Element(name, dict(attrs or {}), tuple(children), text, 1, 1)


class State:
    """RequestState double: the attributes policies use, plus `on_response` hooks run by `finish`."""

    def __init__(
        self,
        *,
        subscription: str | None = "sub-1",
        api: str = "echo-api",
        operation: str = "get",
        product: str | None = "starter",
        ip: str = "10.0.0.1",
        services: Any = None,
        method: str = "GET",
        body: bytes | None = None,
        service: str = "apim-1",
    ) -> None:
        url = Url.parse("http://backend.local/echo")
        self.request = GatewayRequest(method, url, url.copy(), Headers([("Host", "gw")]), body, ip)
        self.response: GatewayResponse | None = None
        self.variables: dict[str, Any] = {}
        self.section = "inbound"
        self.services = services
        self.snapshot = SimpleNamespace(service_name=service)
        self.traces: list[tuple[str, Any]] = []
        self.hooks: list[Any] = []
        self.context = SimpleNamespace(
            Subscription=None if subscription is None else SimpleNamespace(Id=subscription, StartDate=None),
            Api=SimpleNamespace(Id=api, Name=api.upper()),
            Operation=SimpleNamespace(Id=operation, Name=operation.upper()),
            Product=None if product is None else SimpleNamespace(Id=product, Name=product.upper()),
            Request=SimpleNamespace(IpAddress=ip),
        )

    def trace(self, source: str, data: Any) -> None:
        self.traces.append((source, data))

    def on_response(self, hook: Any) -> None:
        self.hooks.append(hook)

    async def finish(self, response: GatewayResponse | None = None) -> GatewayResponse:
        """What the pipeline does once the response is final: run the hooks with it."""
        final = self.response or response or GatewayResponse(200, Headers(), b"", "OK")
        self.response = final
        for hook in self.hooks:
            await hook(final)
        return final


def services(clock: Clock, **extra: Any) -> SimpleNamespace:
    return SimpleNamespace(
        counters=InMemoryCounters(clock),
        cache=ValueCaches(InMemoryValueCache(clock)),
        **extra,
    )


async def run_policy(spec: PolicySpec, config: Any, state: State) -> tuple[Stop | None, PolicyError | None]:
    try:
        return await spec.run(config, state), None
    except PolicyError as error:
        return None, error


def _set_variable_compile(element: Element, ctx: Ctx) -> tuple[str, Any]:
    return element.attrs["name"], ctx.value(element, element.attrs["value"])


async def _set_variable_run(cfg: tuple[str, Any], state: Any) -> None:
    state.variables[cfg[0]] = cfg[1].get(state)


def _set_header_compile(element: Element, ctx: Ctx) -> tuple[str, list[Any]]:
    return element.attrs["name"], [ctx.value(v, v.text) for v in element.all("value")]


async def _set_header_run(cfg: tuple[str, list[Any]], state: Any) -> None:
    target = state.request if state.section in ("inbound", "backend") else state.response
    target.headers.set(cfg[0], [v.get(state) for v in cfg[1]])


def _set_body_compile(element: Element, ctx: Ctx) -> Any:
    return ctx.value(element, element.text)


async def _set_body_run(cfg: Any, state: Any) -> None:
    value = cfg.get(state)
    state.request.body = value.encode() if isinstance(value, str) else value


ALL = frozenset({"inbound", "backend", "outbound", "on-error"})
# Stand-ins for the other helpers' policies, just enough for container policies to run children.
SET_VARIABLE = PolicySpec("set-variable", ALL, _set_variable_compile, _set_variable_run)
SET_HEADER = PolicySpec("set-header", ALL, _set_header_compile, _set_header_run)
SET_BODY = PolicySpec("set-body", frozenset({"inbound", "backend", "outbound"}), _set_body_compile, _set_body_run)


class Backend:
    """A real local HTTP server on 127.0.0.1:0: /echo, /slow, /flaky (500 twice, then 200), /token."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.received: list[dict[str, Any]] = []
        self.url = ""
        self._runner: Any = None

    async def start(self) -> Backend:
        import asyncio

        from aiohttp import web

        async def echo(request: web.Request) -> web.Response:
            body = await request.read()
            seen = {"method": request.method, "path": request.path_qs, "headers": dict(request.headers), "body": body}
            self.received.append(seen)
            self.calls["echo"] = self.calls.get("echo", 0) + 1
            return web.json_response({"method": request.method, "body": body.decode()}, headers={"X-Echo": "1"})

        self.release = asyncio.Event()

        async def slow(request: web.Request) -> web.Response:
            await self.release.wait()  # until the test ends: longer than any timeout under test
            return web.Response(text="late")

        async def flaky(request: web.Request) -> web.Response:
            self.calls["flaky"] = self.calls.get("flaky", 0) + 1
            if self.calls["flaky"] <= 2:
                return web.Response(status=500, reason="Boom", text="not yet")
            return web.Response(text="ok")

        async def token(request: web.Request) -> web.Response:
            self.calls["token"] = self.calls.get("token", 0) + 1
            form = await request.post()
            self.received.append({"form": dict(form)})
            return web.json_response({"access_token": f"tok-{self.calls['token']}", "expires_in": 3600})

        app = web.Application()
        app.router.add_route("*", "/echo", echo)
        app.router.add_get("/slow", slow)
        app.router.add_get("/flaky", flaky)
        app.router.add_post("/token", token)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.release.set()
        await self._runner.cleanup()
