"""set-body: replace the request or response body with text, an expression's value or a Liquid template."""

from __future__ import annotations

import json
import re
import xml.parsers.expat
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _liquid
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "set-body"
TEMPLATES = ("liquid",)
XSI_NIL = ("blank", "null")  # how a Liquid template sees an XML element marked xsi:nil="true": "" or nil
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class Config:
    value: Value | None  # text or an expression
    template: _liquid.Template | None  # template="liquid"
    xsi_nil: str
    parse_date: bool


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("template", "xsi-nil", "parse-date"))
    for name in ("template", "xsi-nil", "parse-date"):
        if t.is_expression(element.attrs.get(name)):
            raise ctx.error(element, f"Policy expressions are not allowed in the '{name}' attribute.", name)
    template = element.attrs.get("template")
    if template is not None and template not in TEMPLATES:
        raise ctx.error(element, f"The 'template' attribute has an invalid value '{template}'; expected: liquid.",
                        "template")  # fmt: skip
    xsi_nil = element.attrs.get("xsi-nil", "blank")
    if xsi_nil not in XSI_NIL:
        raise ctx.error(element, f"The 'xsi-nil' attribute has an invalid value '{xsi_nil}'; "
                        "expected one of: blank, null.", "xsi-nil")  # fmt: skip
    raw_date = element.attrs.get("parse-date", "true")
    if raw_date.strip().lower() not in t.BOOLEANS:
        raise ctx.error(element, f"The 'parse-date' attribute has an invalid value '{raw_date}'; "
                        "expected one of: true, false.", "parse-date")  # fmt: skip
    if template is None:
        for name in ("xsi-nil", "parse-date"):
            if name in element.attrs:
                raise ctx.error(element, f"The '{name}' attribute applies only with template=\"liquid\".", name)
    parse_date = t.BOOLEANS[raw_date.strip().lower()]
    source = inner_source(element, ctx)
    if template == "liquid":
        try:
            compiled = _liquid.compile_template(source)
        except _liquid.LiquidError as exc:
            raise ctx.error(element, str(exc)) from None
        return Config(None, compiled, xsi_nil, parse_date)
    return Config(ctx.value(element, source, default=""), None, xsi_nil, parse_date)


# Text that may stand before XML markup without changing the result: whitespace and Liquid `assign` tags.
LEADING_ONLY = re.compile(r"^(?:\s|\{%-?\s*assign\b(?:(?!%\}).)*%\})*$", re.S)


def inner_source(element: Element, ctx: CompileContext | None = None) -> str:
    """The element's content as written. Uses the parser's `inner_xml` when it keeps one; otherwise rebuilds it
    from child elements, which is exact only when the text beside them cannot depend on where it stood."""
    raw = getattr(element, "inner_xml", None)
    if isinstance(raw, str):
        return raw
    if not element.children:
        return element.text
    if not LEADING_ONLY.match(element.text) and ctx is not None:
        raise ctx.error(
            element,
            "keyless cannot tell where the text stands among the XML elements inside <set-body> "
            "(its parser keeps element text apart from child elements); put the whole body in one expression "
            "or template text, or keep only Liquid assign tags before the markup.",
        )
    return element.text + "".join(_serialize(child) for child in element.children)


def _serialize(element: Element) -> str:
    attrs = "".join(f' {k}="{_escape(v, True)}"' for k, v in element.attrs.items())
    if not element.children and not element.text:
        return f"<{element.name}{attrs} />"
    inner = _escape(element.text) + "".join(_serialize(c) for c in element.children)
    return f"<{element.name}{attrs}>{inner}</{element.name}>"


def _escape(text: str, quote: bool = False) -> str:
    # Liquid markup ({{ }}, {% %}) stays as written; only what XML itself needs escaping is escaped.
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return text.replace('"', "&quot;") if quote else text


async def run(cfg: Config, state: Any) -> None:
    apply(cfg, state, t.message_of(state))


def apply(cfg: Config, state: Any, message: Any) -> None:
    """Set the body of `message` (return-response and send-request reuse this on their own messages)."""
    if cfg.template is None:
        assert cfg.value is not None
        t.set_body(message, t.body_bytes(cfg.value.get(state)))
        return
    variables = {"body": liquid_body(message, xsi_nil=cfg.xsi_nil, parse_date=cfg.parse_date),
                 "context": getattr(state, "context", None)}  # fmt: skip
    try:
        text = cfg.template.render(variables)
    except _liquid.LiquidError as exc:
        raise PolicyError(NAME, "LiquidTemplateError", str(exc)) from None
    t.set_body(message, text.encode("utf-8"))


def liquid_body(message: Any, *, xsi_nil: str = "blank", parse_date: bool = True) -> Any:
    """The body as a Liquid template sees it: JSON or XML (by Content-Type) as nested values, else nothing."""
    body = message.body or b""
    kind = t.media_type(message.headers)
    if not body.strip():
        return None
    if t.is_media(kind, "json"):
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PolicyError(NAME, "InvalidJson", f"The body is not valid JSON: {exc}") from None
        return _dates(data) if parse_date else data
    if t.is_media(kind, "xml"):
        return _xml_values(body, xsi_nil)
    return None


def _dates(value: Any) -> Any:
    """With parse-date, ISO 8601 strings become date-times (Json.NET's default), which Liquid prints in .NET's
    invariant form and the Date filter formats."""
    if isinstance(value, dict):
        return {k: _dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v) for v in value]
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _xml_values(body: bytes, xsi_nil: str) -> Any:
    """XML -> nested values by local name: the root is a key, repeated elements lists, attributes keys, an
    element with text only its text. DTDs are refused."""
    parser = xml.parsers.expat.ParserCreate()
    stack: list[tuple[str, dict[str, Any], list[str], bool]] = []
    root: dict[str, Any] = {}

    def refuse(*_: Any) -> None:
        raise PolicyError(NAME, "InvalidXml", "DTDs and entity declarations are not allowed in the body.")

    def start(name: str, attrs: dict[str, str]) -> None:
        nil = any(k.split(":")[-1] == "nil" and v == "true" for k, v in attrs.items() if ":" in k)
        values = {k.split(":")[-1]: v for k, v in attrs.items() if not (k == "xmlns" or k.startswith("xmlns:"))}
        if nil:
            values = {k: v for k, v in values.items() if k != "nil"}
        stack.append((name.split(":")[-1], values, [], nil))

    def end(_: str) -> None:
        name, values, text, nil = stack.pop()
        content = "".join(text)
        value: Any
        if nil and not values:
            value = "" if xsi_nil == "blank" else None
        elif values:
            if content.strip():
                values.setdefault("#text", content.strip())
            value = values
        else:
            value = content
        parent = stack[-1][1] if stack else root
        if name in parent and stack:
            existing = parent[name]
            parent[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            parent[name] = value

    def chars(data: str) -> None:
        if stack:
            stack[-1][2].append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise PolicyError(NAME, "InvalidXml", f"The body is not well-formed XML: {exc}") from None
    return root


SPEC = PolicySpec(NAME, frozenset({"inbound", "backend", "outbound", "on-error"}), compile, run)
