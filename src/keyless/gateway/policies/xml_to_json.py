"""xml-to-json: convert an XML request (inbound) or response body to JSON, `direct` or `javascript-friendly`."""

from __future__ import annotations

import json
import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policies import _transform as t
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, Value

NAME = "xml-to-json"
KINDS = ("javascript-friendly", "direct")
APPLY = ("always", "content-type-xml")
# direct: the shape observed from the gateway: declaration fields at the top level, attributes as `@name`,
# `:` in names as `$`, text next to attributes or elements as `#text`, repeated elements as arrays.
DIRECT = {"attribute": "@", "separator": "$", "text": "#text"}
# javascript-friendly is not documented; as Microsoft's policy toolkit emulates it: no declaration, no xmlns
# attributes, bare attribute names, `:` as `_`, text as `$text`.
FRIENDLY = {"attribute": "", "separator": "_", "text": "$text"}
INDENT = 2  # written as Json.NET's indented JToken.ToString()


@dataclass(frozen=True)
class Config:
    kind: Value
    apply: Value
    consider_accept: Value
    always_array: Value


def compile(element: Element, ctx: CompileContext) -> Config:
    t.check_attributes(element, ctx, ("kind", "apply", "consider-accept-header", "always-array-child-elements"))
    t.check_children(element, ctx, ())
    t.check_no_text(element, ctx)
    return Config(
        t.choice(element, ctx, "kind", KINDS, None),
        t.choice(element, ctx, "apply", APPLY, None),
        t.boolean(element, ctx, "consider-accept-header", True),
        t.boolean(element, ctx, "always-array-child-elements", False),
    )


async def run(cfg: Config, state: Any) -> None:
    message = t.message_of(state)
    kind = t.runtime_choice(cfg.kind, state, NAME, "kind", KINDS)
    apply = t.runtime_choice(cfg.apply, state, NAME, "apply", APPLY)
    if apply == "content-type-xml" and not t.is_media(t.media_type(message.headers), "xml"):
        return
    if t.runtime_bool(cfg.consider_accept, state, NAME, "consider-accept-header") and not t.accepts(
        state.request.headers, "json"
    ):
        return
    if not message.body:
        return
    always_array = t.runtime_bool(cfg.always_array, state, NAME, "always-array-child-elements")
    try:
        result = convert(message.body, kind=kind, always_array=always_array)
    except ValueError as exc:
        raise PolicyError(NAME, "InvalidXml", str(exc)) from None
    t.set_body(message, result.encode("utf-8"), "application/json")


@dataclass
class _Node:
    name: str
    attrs: list[tuple[str, str]]
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    self_closing: bool = False


def parse(body: bytes) -> tuple[dict[str, str], _Node]:
    """XML -> (declaration fields, root). DTDs and entity declarations are refused; nothing external is read."""
    parser = xml.parsers.expat.ParserCreate()
    declaration: dict[str, str] = {}
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse(*_: Any) -> None:
        raise ValueError("DTDs and entity declarations are not allowed in the body.")

    def decl(version: str | None, encoding: str | None, standalone: int) -> None:
        if version:
            declaration["version"] = version
        if encoding:
            declaration["encoding"] = encoding
        if standalone != -1:
            declaration["standalone"] = "yes" if standalone else "no"

    def start(name: str, attrs: list[str]) -> None:
        pairs = list(zip(attrs[::2], attrs[1::2], strict=True))
        node = _Node(name, pairs, self_closing=_self_closing(body, parser.CurrentByteIndex))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_: str) -> None:
        stack.pop()

    def chars(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    parser.ordered_attributes = True
    parser.XmlDeclHandler = decl
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ValueError(f"The body is not well-formed XML: {exc}") from None
    return declaration, roots[0]


def _self_closing(body: bytes, start: int) -> bool:
    end = body.find(b">", start)
    return end > 0 and body[end - 1 : end] == b"/"


def convert(body: bytes, *, kind: str = "direct", always_array: bool = False) -> str:
    declaration, root = parse(body)
    style = DIRECT if kind == "direct" else FRIENDLY
    result: dict[str, Any] = dict(declaration) if kind == "direct" else {}
    result[_key(root.name, style)] = _value(root, style, always_array)
    return json.dumps(result, indent=INDENT, ensure_ascii=False)


def _key(name: str, style: dict[str, str]) -> str:
    return name.replace(":", style["separator"])


def _value(node: _Node, style: dict[str, str], always_array: bool) -> Any:
    attrs = [
        (style["attribute"] + _key(k, style), v)
        for k, v in node.attrs
        if style is DIRECT or not (k == "xmlns" or k.startswith("xmlns:"))
    ]
    text = "".join(node.text)
    if not attrs and not node.children:
        return None if node.self_closing and not text else text
    out: dict[str, Any] = {}
    for key, value in attrs:
        out[key] = value
    if text.strip():
        out[style["text"]] = text.strip() if node.children else text
    groups: dict[str, list[Any]] = {}
    for child in node.children:
        key = _key(child.name, style)
        if key in out and key not in groups:
            raise ValueError(f"The element name '{child.name}' collides with an attribute of '{node.name}'.")
        groups.setdefault(key, []).append(_value(child, style, always_array))
        out.setdefault(key, None)  # keeps the position of the first occurrence
    for key, values in groups.items():
        out[key] = values if always_array or len(values) > 1 else values[0]
    return out


SPEC = PolicySpec(NAME, frozenset({"inbound", "outbound", "on-error"}), compile, run)
