"""Test doubles for the transform policies' tests, coded to the contracts in docs/decisions/0002 and policy.py.

`parse` builds an `Element` (with positions) from policy XML; `Ctx` is a CompileContext whose expressions are
Python callables registered by their exact text; `State` is a RequestState with the fields policies use.
"""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.gateway.policies._doubles import Const, Expr

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url


def parse(text: str) -> Element:
    """Policy XML -> Element tree (text stripped, positions 1-based), like policy_xml.parse_document."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[dict[str, Any]] = []
    root: list[Element] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        stack.append(
            {
                "name": name,
                "attrs": dict(attrs),
                "children": [],
                "text": [],
                "line": parser.CurrentLineNumber,
                "column": parser.CurrentColumnNumber + 1,
            }
        )

    def end(name: str) -> None:
        item = stack.pop()
        element = Element(
            item["name"],
            item["attrs"],
            tuple(item["children"]),
            "".join(item["text"]).strip(),
            item["line"],
            item["column"],
        )
        if stack:
            stack[-1]["children"].append(element)
        else:
            root.append(element)

    def chars(data: str) -> None:
        if stack:
            stack[-1]["text"].append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.Parse(text, True)
    return root[0]


class CompileRefusal(Exception):
    def __init__(self, element: Element, message: str, attribute: str | None) -> None:
        super().__init__(f"{element.name} ({element.line}:{element.column}): {message}")
        self.element = element
        self.message = message
        self.attribute = attribute


class Ctx:
    """CompileContext double: expressions are looked up by their exact text in `expressions`."""

    def __init__(self, section: str = "inbound", scope: str = "api", expressions: dict[str, Any] | None = None):
        self.section = section
        self.scope = scope
        self.expressions = expressions or {}

    def error(self, element: Element, message: str, attribute: str | None = None) -> Exception:
        return CompileRefusal(element, message, attribute)

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
        if text.startswith(("@(", "@{")):
            if not allow_expression:
                raise self.error(element, f"Expressions are not allowed in '{attribute}'.", attribute)
            if text not in self.expressions:
                raise self.error(element, f"unknown test expression {text!r}", attribute)
            return Expr(self.expressions[text], text)
        return Const(raw)

    def children(self, element: Element) -> Any:
        raise NotImplementedError


@dataclass
class State:
    request: GatewayRequest
    section: str = "inbound"
    response: GatewayResponse | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    context: Any = None
    services: Any = None
    api: Any = None
    operation: Any = None
    product: Any = None
    subscription: Any = None
    matched_parameters: dict[str, str] = field(default_factory=dict)
    backend: Any = None
    snapshot: Any = None
    last_error: Any = None
    tracing: bool = True
    request_id: str = "00000000-0000-0000-0000-000000000001"
    traces: list[tuple[str, Any]] = field(default_factory=list)

    def trace(self, source: str, data: Any) -> None:
        self.traces.append((source, data))


def request(
    url: str = "http://backend.test/api/items?x=1",
    *,
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
    original: str | None = None,
) -> GatewayRequest:
    return GatewayRequest(
        method,
        Url.parse(url),
        Url.parse(original or url),
        Headers(headers or []),
        body,
        "127.0.0.1",
    )


def state(section: str = "inbound", **kwargs: Any) -> State:
    req = kwargs.pop("request", None) or request()
    return State(req, section=section, **kwargs)


async def run(spec: Any, xml_text: str, st: State, *, expressions: dict[str, Any] | None = None) -> Any:
    cfg = spec.compile(parse(xml_text), Ctx(section=st.section, expressions=expressions))
    return await spec.run(cfg, st)


# ----------------------------------------------------------------------------------------------- the real compiler


def document(section: str, inner: str) -> str:
    """A whole policy document with `inner` in `section` (and <base/> nowhere: it is compiled alone)."""
    return f"<policies><{section}>{inner}</{section}></policies>"


def compile_real(section: str, inner: str, **kwargs: Any) -> Any:
    """Compile through keyless's compiler (policy_xml, registry, expressions) and splice into a Plan."""
    from keyless.gateway.compiler import compile_document, effective

    doc = compile_document(document(section, inner), scope=kwargs.pop("scope", "api"), **kwargs)
    return effective(None, None, doc, None)


def real_state(req: GatewayRequest | None = None, **fields: Any) -> Any:
    """keyless's RequestState with GatewayServices, fields set as the pipeline would (api, operation...)."""
    from keyless.gateway.state import GatewayServices, RequestState

    st = RequestState(req or request(), GatewayServices())
    for name, value in fields.items():
        setattr(st, name, value)
    return st


async def run_real(plan: Any, st: Any, backend: Callable[[Any], GatewayResponse] | None = None) -> Any:
    """inbound -> (a local echo of the request as the backend's answer) -> outbound, as the pipeline orders them."""
    from keyless.gateway.policy import STOP

    st.section = "inbound"
    if await plan.inbound.run(st) is STOP:
        return st.response
    st.section = "backend"
    if await plan.backend.run(st) is STOP:
        return st.response
    st.response = (backend or echo)(st.request)
    st.section = "outbound"
    await plan.outbound.run(st)
    return st.response


def echo(req: GatewayRequest) -> GatewayResponse:
    """What a local echo backend answers: the request it got, as headers and body."""
    headers = Headers([("Content-Type", req.headers.get("Content-Type") or "text/plain")])
    headers.set("X-Echo-Method", req.method)
    headers.set("X-Echo-Url", str(req.url))
    for name, value in req.headers.items():
        headers.add(f"X-Echo-{name}", value)
    return GatewayResponse(200, headers, req.body or b"", "OK")


@dataclass(frozen=True)
class Api:
    """The fields of the snapshot's ApiRecord the transform policies read."""

    service_url: Url | None
    name: str = "api"


@dataclass(frozen=True)
class Operation:
    """The fields of the snapshot's OperationRecord the transform policies read (plus ARM `responses`)."""

    url_template: str
    responses: tuple[dict[str, Any], ...] = ()
