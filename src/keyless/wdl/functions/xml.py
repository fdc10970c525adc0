"""XML functions: xml, xpath, encodeXmlValue, decodeXmlValue, encodeXmlName, decodeXmlName.

An XML value is a content envelope `application/xml;charset=utf-8` holding the document as XmlDocument writes it
(`xml('<root/>')` holds `<root />`). XPath 1.0 runs on lxml over that text (entities and network off);
node results come back as Logic Apps returns them: elements as XML values, text nodes as strings, numbers as
floats, booleans and strings as themselves.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions import binary as bin_
from keyless.wdl.functions import xml_dom as dom
from keyless.wdl.functions.registry import function
from keyless.wdl.functions.xml_json import json_to_document, sanitize_name
from keyless.wdl.values import CONTENT_TYPE, is_envelope, type_name

_XML_MIME = ("application/xml", "text/xml")


def xml_value(text: str) -> dict[str, Any]:
    return bin_.envelope(bin_.XML_UTF8, text.encode("utf-8", errors="surrogatepass"))


def is_xml_envelope(value: Any) -> bool:
    if not is_envelope(value):
        return False
    mime = bin_.mime_part(str(value[CONTENT_TYPE]))
    return mime in _XML_MIME or mime.endswith("+xml")


@function("xml", 1, 1)
def xml_(ctx: Any, args: list[Any]) -> dict[str, Any]:
    value = args[0]
    if isinstance(value, str):
        return xml_value(dom.serialize(dom.parse(value)))
    if is_envelope(value):
        # Binary content becomes XML as it is, unchecked, whatever its content type said.
        return bin_.envelope(bin_.XML_UTF8, bin_.envelope_bytes(value))
    if isinstance(value, dict):
        return xml_value(dom.serialize(json_to_document(value)))
    raise ExpressionError(
        "The template language function 'xml' expects its parameter to be a string or an object. "
        f"The provided value is of type '{type_name(value)}'."
    )


# --- xpath --------------------------------------------------------------------------------------------------

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _element_path(element: etree._Element) -> list[int]:
    path = []
    while (parent := element.getparent()) is not None:
        siblings = [child for child in parent if isinstance(child.tag, str)]
        path.append(siblings.index(element))
        element = parent
    return path[::-1]


def _dom_element(document: dom.Document, path: list[int]) -> dom.Element:
    node = document.root
    assert node is not None
    for index in path:
        node = [child for child in node.children if isinstance(child, dom.Element)][index]
    return node


def _used_prefixes(element: dom.Element, declared: set[str], used: set[str]) -> None:
    inner = declared | {
        key[6:] if key.startswith("xmlns:") else "" for key, _ in element.attributes if key.startswith("xmlns")
    }
    names = [element.name] + [key for key, _ in element.attributes if not key.startswith("xmlns")]
    for index, name in enumerate(names):
        prefix = name.partition(":")[0] if ":" in name else ("" if index == 0 else None)
        if prefix is not None and prefix not in inner and prefix != "xml":
            used.add(prefix)
    for child in element.children:
        if isinstance(child, dom.Element):
            _used_prefixes(child, inner, used)


def _element_result(document: dom.Document, found: etree._Element) -> dict[str, Any]:
    """OuterXml of an element: it carries the namespace declarations it needs from its ancestors."""
    element = _dom_element(document, _element_path(found))
    used: set[str] = set()
    _used_prefixes(element, set(), used)
    extra = []
    for prefix in sorted(used):
        uri = found.nsmap.get(prefix or None)
        if uri:
            extra.append((f"xmlns:{prefix}" if prefix else "xmlns", uri))
    copy = dom.Element(element.name, extra + element.attributes, element.children, element.is_empty)
    return xml_value(dom.serialize(copy))


def _node_result(document: dom.Document, found: Any) -> Any:
    if isinstance(found, etree._Comment):
        return xml_value(f"<!--{found.text or ''}-->")
    if isinstance(found, etree._ProcessingInstruction):
        return xml_value(dom.serialize(dom.ProcessingInstruction(found.target, found.text or "")))
    if isinstance(found, etree._Element):
        return _element_result(document, found)
    if getattr(found, "is_attribute", False):
        return xml_value(f'{found.attrname}="{dom.escape_attribute(str(found))}"')
    if isinstance(found, tuple):  # namespace node: (prefix, uri)
        return found[1]
    return str(found)


@function("xpath", 2, 2)
def xpath(ctx: Any, args: list[Any]) -> Any:
    value, expression = args
    if not is_xml_envelope(value):
        raise ExpressionError(
            "The template language function 'xpath' expects its first parameter to be an XML object. "
            f"The provided value is of type '{type_name(value)}'."
        )
    if not isinstance(expression, str):
        raise ExpressionError("The template language function 'xpath' expects its second parameter to be a string.")
    document = dom.parse(bin_.envelope_text(value))
    tree = etree.fromstring(dom.serialize(document).encode("utf-8"), _SAFE_PARSER)
    try:
        result = tree.getroottree().xpath(expression)
    except etree.XPathError as exc:
        raise ExpressionError(
            f"The template language function 'xpath' got an invalid XPath '{expression}': {exc}."
        ) from exc
    if isinstance(result, list):
        return [_node_result(document, found) for found in result]
    if isinstance(result, bool):
        return result
    if isinstance(result, float):
        return result
    return str(result)


# --- Names and values ---------------------------------------------------------------------------------------


def _string_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ExpressionError(
            f"The template language function '{name}' expects its parameter to be a string. "
            f"The provided value is of type '{type_name(value)}'."
        )
    return value


_VALUE_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#x([0-9A-Fa-f]+)|#([0-9]+));")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ESCAPED_NAME_CHAR = re.compile(r"_x([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8})_")


@function("encodeXmlValue", 1, 1)
def encode_xml_value(ctx: Any, args: list[Any]) -> str:
    """SecurityElement.Escape: the five XML special characters as entities."""
    return "".join(_VALUE_ESCAPES.get(ch, ch) for ch in _string_arg("encodeXmlValue", args[0]))


def _entity(found: re.Match[str]) -> str:
    if found[1]:
        return _NAMED[found[1]]
    code = int(found[2], 16) if found[2] else int(found[3])
    return chr(code) if code <= 0x10FFFF else found[0]


@function("decodeXmlValue", 1, 1)
def decode_xml_value(ctx: Any, args: list[Any]) -> str:
    return _ENTITY.sub(_entity, _string_arg("decodeXmlValue", args[0]))


@function("encodeXmlName", 1, 1)
def encode_xml_name(ctx: Any, args: list[Any]) -> str:
    """XmlConvert.EncodeName: invalid name characters as `_xHHHH_`; an `_` that would read as such an escape is
    itself escaped."""
    name = _string_arg("encodeXmlName", args[0])
    out = []
    for index, ch in enumerate(name):
        if ch == "_" and _ESCAPED_NAME_CHAR.match(name, index):
            out.append("_x005F_")
        else:
            out.append(sanitize_name(ch) if index == 0 else sanitize_name("a" + ch)[1:])
    return "".join(out)


@function("decodeXmlName", 1, 1)
def decode_xml_name(ctx: Any, args: list[Any]) -> str:
    """XmlConvert.DecodeName."""
    return _ESCAPED_NAME_CHAR.sub(lambda found: chr(int(found[1], 16)), _string_arg("decodeXmlName", args[0]))
