"""json-to-xml: convert a JSON request (inbound/backend) or response body to XML, as APIM's gateway does."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keyless.csharp.dotnet.text import format_double
from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "json-to-xml"
APPLY = ("always", "content-type-json")
ROOT = "Document"  # the root element when the JSON has no single top-level property
ARRAY_ITEM = "Array"  # each item of a top-level array
XSI = "http://www.w3.org/2001/XMLSchema-instance"
INDENT = "  "  # output as .NET's XDocument.ToString(): two-space indent, no declaration, `<a />` when empty
NEWLINE = "\n"
ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class Config:
    apply: Value
    consider_accept: Value
    parse_date: bool
    separator: Value
    namespace_prefix: Value | None
    attribute_block: Value | None


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(
        element,
        ctx,
        ("apply", "consider-accept-header", "parse-date", "namespace-separator", "namespace-prefix",
         "attribute-block-name"),
    )  # fmt: skip
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    raw_date = element.attrs.get("parse-date", "true")
    if t.is_expression(raw_date):
        raise ctx.error(element, "Policy expressions are not allowed in the 'parse-date' attribute.", "parse-date")
    if raw_date.strip().lower() not in t.BOOLEANS:
        raise ctx.error(element, f"The 'parse-date' attribute has an invalid value '{raw_date}'; "
                        "expected one of: true, false.", "parse-date")  # fmt: skip
    separator = element.attrs.get("namespace-separator")
    if separator is not None and not t.is_expression(separator) and len(separator) != 1:
        raise ctx.error(element, "The 'namespace-separator' attribute must be one character.", "namespace-separator")
    prefix = element.attrs.get("namespace-prefix")
    block = element.attrs.get("attribute-block-name")
    for name, raw in (("namespace-prefix", prefix), ("attribute-block-name", block)):
        if raw is not None and not raw:
            raise ctx.error(element, f"The '{name}' attribute is empty.", name)
    return Config(
        t.choice(element, ctx, "apply", APPLY, None),
        t.boolean(element, ctx, "consider-accept-header", True),
        t.BOOLEANS[raw_date.strip().lower()],
        ctx.value(element, separator, attribute="namespace-separator", default="_"),
        ctx.value(element, prefix, attribute="namespace-prefix") if prefix is not None else None,
        ctx.value(element, block, attribute="attribute-block-name") if block is not None else None,
    )


async def run(cfg: Config, state: Any) -> None:
    message = t.message_of(state)
    apply = t.runtime_choice(cfg.apply, state, NAME, "apply", APPLY)
    if apply == "content-type-json" and not t.is_media(t.media_type(message.headers), "json"):
        return
    if t.runtime_bool(cfg.consider_accept, state, NAME, "consider-accept-header") and not t.accepts(
        state.request.headers, "xml"
    ):
        return
    if not message.body:
        return
    try:
        document = json.loads(message.body)
    except ValueError as exc:
        raise PolicyError(NAME, "InvalidJson", f"The body is not valid JSON: {exc}") from None
    converter = _Converter(
        parse_date=cfg.parse_date,
        separator=t.text_of(cfg.separator.get(state)) or "_",
        ns_prefix=t.text_of(cfg.namespace_prefix.get(state)) if cfg.namespace_prefix else None,
        attribute_block=t.text_of(cfg.attribute_block.get(state)) if cfg.attribute_block else None,
    )
    t.set_body(message, convert(document, converter).encode("utf-8"), "application/xml")


@dataclass
class _Node:
    name: str
    attrs: list[tuple[str, str]]
    children: list[_Node]
    text: str | None


@dataclass(frozen=True)
class _Converter:
    parse_date: bool = True
    separator: str = "_"
    ns_prefix: str | None = None
    attribute_block: str | None = None


def convert(document: Any, conv: _Converter | None = None) -> str:
    """JSON value -> XML text. A single top-level property is the root element; otherwise `<Document>`."""
    conv = conv or _Converter()
    if isinstance(document, dict) and len(document) == 1:
        key, value = next(iter(document.items()))
        single = not isinstance(value, list) and key != conv.attribute_block and not _is_ns(key, conv)
        root = _element(key, value, conv, set()) if single else _element(ROOT, document, conv, set())
    elif isinstance(document, dict):
        root = _element(ROOT, document, conv, set())
    elif isinstance(document, list):
        root = _Node(ROOT, [], [n for item in document for n in _elements(ARRAY_ITEM, item, conv, set())], None)
    else:
        root = _element(ROOT, document, conv, set())
    out: list[str] = []
    _write(root, 0, out)
    return "".join(out)


def _is_ns(key: str, conv: _Converter) -> bool:
    p = conv.ns_prefix
    return p is not None and (key == p or key.startswith(p + conv.separator) or key.startswith(p + ":"))


def _elements(key: str, value: Any, conv: _Converter, prefixes: set[str]) -> list[_Node]:
    if isinstance(value, list):
        if not value:
            return [_Node(_name(key, conv, prefixes), [], [], None)]
        return [n for item in value for n in _elements(key, item, conv, prefixes)]
    return [_element(key, value, conv, prefixes)]


def _element(key: str, value: Any, conv: _Converter, prefixes: set[str]) -> _Node:
    if value is None:
        return _Node(_name(key, conv, prefixes), [("xsi:nil", "true"), ("xmlns:xsi", XSI)], [], None)
    if not isinstance(value, dict):
        return _Node(_name(key, conv, prefixes), [], [], _scalar(value, conv))
    attrs: list[tuple[str, str]] = []
    scope = set(prefixes)
    for k, v in value.items():  # namespace declarations first: the element's own name may use them
        if _is_ns(k, conv):
            rest = k[len(conv.ns_prefix or "") :]
            declared = rest[1:] if rest else ""
            attrs.append((f"xmlns:{declared}" if declared else "xmlns", _scalar(v, conv)))
            if declared:
                scope.add(declared)
    node = _Node(_name(key, conv, scope), attrs, [], None)
    for k, v in value.items():
        if _is_ns(k, conv):
            continue
        if k == conv.attribute_block and isinstance(v, dict):
            node.attrs.extend((_name(ak, conv, scope), _scalar(av, conv)) for ak, av in v.items())
        else:
            node.children.extend(_elements(k, v, conv, scope))
    return node


def _name(key: str, conv: _Converter, prefixes: set[str]) -> str:
    """A property name as an XML name: `p<sep>local` is a qualified name when `p` is a declared prefix; characters
    XML names cannot hold are encoded as .NET's XmlConvert.EncodeName does (`_xHHHH_`)."""
    if conv.separator in key:
        prefix, local = key.split(conv.separator, 1)
        if prefix in prefixes and local:
            return f"{_encode(prefix)}:{_encode(local)}"
    return _encode(key)


def _encode(name: str) -> str:
    if not name:
        return "_x0000_"  # never produced by XmlConvert, but an element needs a name
    out = []
    for i, ch in enumerate(name):
        ok = ch.isalpha() or ch == "_" or (i > 0 and (ch.isdigit() or ch in "-."))
        out.append(ch if ok else "".join(f"_x{b:04X}_" for b in _utf16(ch)))
    return "".join(out)


def _utf16(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def _scalar(value: Any, conv: _Converter) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_double(value)  # .NET's Double.ToString()
    if isinstance(value, str):
        return _date(value) if conv.parse_date else value
    return json.dumps(value, ensure_ascii=False)


def _date(text: str) -> str:
    """With parse-date, an ISO 8601 date-time is read as a .NET DateTime and written back in round-trip form:
    trailing zero fractions dropped, `Z` kept, an offset converted to the gateway's local time (UTC)."""
    m = ISO_DATE.match(text)
    if not m:
        return text
    main, fraction, zone = m.groups()
    fraction = (fraction or "").rstrip("0")
    if zone and zone != "Z":
        try:
            moment = datetime.fromisoformat(f"{main}{zone}").astimezone(UTC)
        except ValueError:
            return text
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "+00:00"
    return main + (f".{fraction}" if fraction else "") + (zone or "")


def _escape(text: str, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _write(node: _Node, depth: int, out: list[str]) -> None:
    pad = INDENT * depth
    attrs = "".join(f' {k}="{_escape(v, True)}"' for k, v in node.attrs)
    if depth:
        out.append(NEWLINE)
    if not node.children and not node.text:
        out.append(f"{pad}<{node.name}{attrs} />")
    elif not node.children:
        out.append(f"{pad}<{node.name}{attrs}>{_escape(node.text or '')}</{node.name}>")
    else:
        out.append(f"{pad}<{node.name}{attrs}>")
        for child in node.children:
            _write(child, depth + 1, out)
        out.append(f"{NEWLINE}{pad}</{node.name}>")


SPEC = PolicySpec(NAME, frozenset({"inbound", "outbound", "on-error"}), compile, run)
