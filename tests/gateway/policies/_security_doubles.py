"""Test doubles and fixtures for the security policy tests, coded to the contract in policy.py and 0002.

`Ctx` is a CompileContext whose expressions are Python functions of the state; `State` is a RequestState
with the attributes these policies use and `on_response` hooks. `Gateway` runs policies on the event loop of
an in-process keyless, with the services the gateway gives them: an aiohttp session trusting keyless's CA,
keyless's host aliases and token service, and a fresh OpenID cache.
"""

from __future__ import annotations

import json
import ssl
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from defusedxml import ElementTree
from tests.gateway.policies._doubles import CompileError, Const, Expr
from tests.platform.inprocess import InProcessKeyless

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.openid import OpenIdCache
from keyless.gateway.policy import PolicyError, PolicySpec, Stop

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "apim"


@dataclass
class Ctx:
    """CompileContext double: `exprs` maps expression text to a Python function of the state."""

    exprs: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
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
    ) -> Const | Expr:
        if raw is None:
            return Const(default)
        if raw.startswith(("@(", "@{")):
            if not allow_expression:
                raise self.error(element, "expressions are not allowed here", attribute)
            fn = self.exprs.get(raw, lambda state, raw=raw: _unknown(raw))
            return Expr(fn, raw)
        return Const(raw)

    def children(self, element: Element) -> Any:
        raise NotImplementedError


def _unknown(raw: str) -> Any:
    raise AssertionError(f"expression {raw!r} has no function in the test's Ctx")


def xml(text: str) -> Element:
    """A well-formed XML snippet as an Element (the real parser also handles raw expressions)."""
    return _element(ElementTree.fromstring(text))


def _element(node: Any) -> Element:
    text = "".join([node.text or "", *(c.tail or "" for c in node)]).strip()  # as the real parser: all direct text
    return Element(node.tag, dict(node.attrib), tuple(_element(c) for c in node), text, 1, 1)


def policy_elements(path: Path, name: str, named_value: str = "c2lnbmluZy1rZXktZm9yLXRlc3Rz") -> list[Element]:
    """Every `<name>` element in a corpus document, parsed by keyless's policy parser; each `{{named value}}`
    becomes `named_value` (the compiler substitutes them before parsing)."""
    import re

    from keyless.gateway.policy_xml import parse_document

    found: list[Element] = []

    def walk(element: Element) -> None:
        if element.name == name:
            found.append(element)
        for child in element.children:
            walk(child)

    text = re.sub(r"\{\{[^{}]+\}\}", named_value, path.read_text(encoding="utf-8-sig"))
    walk(parse_document(text))
    return found


def corpus_file(relative: str) -> Path:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus document {relative} is not present at {CORPUS}")
    return path


class State:
    """RequestState double: the attributes these policies use, plus `on_response` hooks run by `finish`."""

    def __init__(
        self,
        services: Any = None,
        *,
        method: str = "GET",
        url: str = "https://apim.azure-api.net/api/orders?x=1",
        headers: list[tuple[str, str]] | None = None,
        ip: str = "10.0.0.1",
    ) -> None:
        parsed = Url.parse(url)
        self.request = GatewayRequest(method, parsed, parsed.copy(), Headers(headers or []), None, ip)
        self.response: GatewayResponse | None = None
        self.variables: dict[str, Any] = {}
        self.section = "inbound"
        self.services = services
        self.traces: list[tuple[str, Any]] = []
        self.hooks: list[Any] = []
        self.context = SimpleNamespace()

    def trace(self, source: str, data: Any) -> None:
        self.traces.append((source, data))

    def on_response(self, hook: Any) -> None:
        self.hooks.append(hook)

    async def finish(self, response: GatewayResponse | None = None) -> GatewayResponse:
        final = self.response or response or GatewayResponse(200, Headers(), b"", "OK")
        self.response = final
        for hook in self.hooks:
            await hook(final)
        return final

    def body(self) -> dict[str, Any]:
        assert self.response is not None
        return dict(json.loads(self.response.body))


async def run_policy(spec: PolicySpec, config: Any, state: State) -> tuple[Stop | None, PolicyError | None]:
    try:
        return await spec.run(config, state), None
    except PolicyError as error:
        return None, error


class Gateway:
    """Runs policies on an in-process keyless's loop with the gateway's services."""

    def __init__(self, kl: InProcessKeyless) -> None:
        self.kl = kl
        self.fetched: list[str] = []  # every URL the HTTP session was asked for
        self.session: aiohttp.ClientSession | None = None
        self.openid = OpenIdCache()

        async def trace_request(_s: Any, _c: Any, params: aiohttp.TraceRequestStartParams) -> None:
            self.fetched.append(str(params.url))

        async def make() -> aiohttp.ClientSession:
            tracing = aiohttp.TraceConfig()
            tracing.on_request_start.append(trace_request)
            context = ssl.create_default_context(cafile=kl.ca)
            return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context), trace_configs=[tracing])

        self.session = kl.run(make())

    def services(self, **extra: Any) -> SimpleNamespace:
        values = {
            "http": self.session,
            "aliases": self.kl.svc.aliases,
            "openid": self.openid,
            "tokens": self.kl.svc.tokens,
            "identity": None,
        }
        values.update(extra)
        return SimpleNamespace(**values)

    def state(self, **kwargs: Any) -> State:
        services = kwargs.pop("services", None) or self.services()
        return State(services, **kwargs)

    def run(self, spec: PolicySpec, config: Any, state: State) -> tuple[Stop | None, PolicyError | None]:
        return self.kl.run(run_policy(spec, config, state))

    def close(self) -> None:
        if self.session is not None:
            self.kl.run(self.session.close())


def keyless_gateway(tmp: Path) -> Iterator[Gateway]:
    kl = InProcessKeyless(tmp).start()
    old = kl.trust_env()
    gateway = Gateway(kl)
    try:
        yield gateway
    finally:
        gateway.close()
        kl.untrust_env(old)
        kl.stop()


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Listener:
    """One APIM service's gateway listener (keyless's own, on the in-process keyless's loop) in front of an echo
    backend that answers with what it received."""

    def __init__(
        self,
        kl: InProcessKeyless,
        name: str,
        policy: str,
        methods: tuple[str, ...] = ("GET",),
        *,
        tracing_key: str | None = None,
    ) -> None:
        from aiohttp import web

        from keyless.gateway.snapshot import build_snapshot

        self.kl, self.name = kl, name

        async def echo(request: web.Request) -> web.Response:
            return web.json_response({"method": request.method, "headers": dict(request.headers)})

        async def start() -> tuple[web.AppRunner, int]:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", echo)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            backend = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
            operations = [{"name": m.lower(), "properties": {"method": m, "urlTemplate": "/items"}} for m in methods]
            snapshot = build_snapshot(
                {"name": name, "location": "westeurope"},
                apis=[
                    {
                        "name": "api",
                        "properties": {"path": "api", "serviceUrl": backend, "subscriptionRequired": bool(tracing_key)},
                    }
                ],
                subscriptions=[
                    {
                        "name": "tracing",
                        "properties": {
                            "scope": "/apis",
                            "state": "active",
                            "primaryKey": tracing_key,
                            "secondaryKey": f"{tracing_key}-2",
                            "allowTracing": True,
                        },
                    }
                ]
                if tracing_key
                else [],
                operations={"api": operations},
                named_values=[{"name": "tenant", "properties": {"displayName": "tenant", "value": kl.tenant}}],
                policies={("api", "api"): policy},
            )
            return runner, await kl.svc.gateways.start(name, snapshot)

        self.runner, port = kl.run(start())
        self.url = f"http://127.0.0.1:{port}/api/items"

    def close(self) -> None:
        self.kl.run(self.kl.svc.gateways.stop(self.name))
        self.kl.run(self.runner.cleanup())


def document(inbound: str) -> str:
    """An API-scope policy document with `inbound` after <base/>, and the LastError in a header on error."""
    return f"""<policies>
  <inbound><base />{inbound}</inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base />
    <set-header name="X-Failed" exists-action="override">
      <value>@(context.LastError.Source + "/" + context.LastError.Reason)</value>
    </set-header>
  </on-error>
</policies>"""
