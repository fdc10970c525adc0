"""XML <-> JSON as Logic Apps converts them (`json(xml(...))`, `xml(json(...))`), Newtonsoft's conventions:
attributes are `@name`, text `#text`, CDATA `#cdata-section`, the declaration `?xml`, the DOCTYPE `!DOCTYPE`,
repeated child names become arrays (or a single one marked `json:Array="true"` in Newtonsoft's namespace), `<a/>`
is null and `<a></a>` is "".

Host quirks kept (each marked where it is implemented): a lone comment in an element disappears while two or
more become `"#comment": []`; a `#comment` key turns into an element named `_x0023_comment`; an element name's
undeclared prefix is dropped (`{"ro:ot": ...}` is `<ot>`).
"""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal
from typing import Any

from keyless.wdl.errors import ExpressionError
from keyless.wdl.functions import binary as bin_
from keyless.wdl.functions import xml_dom as dom
from keyless.wdl.text import format_decimal, format_float, to_json_text

TEXT = "#text"
CDATA = "#cdata-section"
COMMENT = "#comment"
WHITESPACE = "#significant-whitespace"
DECLARATION = "?xml"
DOCTYPE = "!DOCTYPE"
JSON_NAMESPACE = "http://james.newtonking.com/projects/json"  # Newtonsoft's `json:Array="true"` forces an array

# Encodings the host refuses in json(xml) although .NET knows them.
_UNSUPPORTED = {"utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"}


# --- XML -> JSON --------------------------------------------------------------------------------------------


def _cook(entries: dict[str, list[Any]], forced: set[str] | None = None) -> Any:
    """One element's collected children as JSON (IllogicApps' JsonXmlWriter.cook, which matches the host);
    `forced` names children marked `json:Array="true"`, which stay arrays even when single."""
    forced = forced or set()
    if not entries:
        return None
    if list(entries) == [TEXT] and TEXT not in forced:
        texts = entries[TEXT]
        return texts[0] if len(texts) == 1 else list(texts)
    result: dict[str, Any] = {}
    for key, values in entries.items():
        if key == COMMENT:
            # Quirk: one comment vanishes, two or more become an empty array.
            if len(values) >= 2:
                result[key] = []
            continue
        result[key] = values[0] if len(values) == 1 and key not in forced else list(values)
    return result


def _add(entries: dict[str, list[Any]], key: str, value: Any) -> None:
    entries.setdefault(key, []).append(value)


def _json_prefixes(element: dom.Element, inherited: frozenset[str]) -> frozenset[str]:
    """Prefixes bound to Newtonsoft's namespace in this element's scope."""
    prefixes = set(inherited)
    for key, value in element.attributes:
        if key.startswith("xmlns:"):
            (prefixes.add if value == JSON_NAMESPACE else prefixes.discard)(key[6:])
    return frozenset(prefixes)


def _element_json(element: dom.Element, json_prefixes: frozenset[str]) -> tuple[Any, bool]:
    """The element's JSON value, and whether Newtonsoft's `json:Array="true"` asks for an array."""
    json_prefixes = _json_prefixes(element, json_prefixes)
    entries: dict[str, list[Any]] = {}
    force_array = False
    for key, value in element.attributes:
        prefix = key.partition(":")[0] if ":" in key else ""
        if key.startswith("xmlns:") and value == JSON_NAMESPACE:
            continue  # Newtonsoft's own namespace is not data
        if prefix in json_prefixes:
            force_array |= key.endswith(":Array") and value.strip().lower() in ("true", "1")
            continue
        _add(entries, "@" + key, value)
    forced = _children_json(element.children, entries, json_prefixes)
    cooked = _cook(entries, forced)
    if cooked is None and not element.is_empty:
        return "", force_array  # `<a></a>` (or only insignificant white space) is an empty string, `<a/>` null
    return cooked, force_array


def _children_json(children: list[Any], entries: dict[str, list[Any]], json_prefixes: frozenset[str]) -> set[str]:
    forced: set[str] = set()
    for child in children:
        if isinstance(child, dom.Element):
            value, force_array = _element_json(child, json_prefixes)
            _add(entries, child.name, value)
            if force_array:
                forced.add(child.name)
        elif isinstance(child, dom.Text):
            _add(entries, TEXT, child.value)
        elif isinstance(child, dom.CData):
            _add(entries, CDATA, child.value)
        elif isinstance(child, dom.Whitespace):
            _add(entries, WHITESPACE, child.value)
        elif isinstance(child, dom.Comment):
            _add(entries, COMMENT, child.value)
        elif isinstance(child, dom.ProcessingInstruction):
            _add(entries, "?" + child.target, child.data)
        elif isinstance(child, dom.Declaration):
            declaration = {"@version": child.version}
            if child.encoding is not None:
                declaration["@encoding"] = child.encoding
            if child.standalone is not None:
                declaration["@standalone"] = child.standalone
            _add(entries, DECLARATION, declaration)
        elif isinstance(child, dom.DocType):
            doctype = {"@name": child.name}
            for key, value in (
                ("@public", child.public_id),
                ("@system", child.system_id),
                ("@internalSubset", child.internal_subset),
            ):
                if value:
                    doctype[key] = value
            _add(entries, DOCTYPE, doctype)
    return forced


def document_to_json(document: dom.Document) -> Any:
    entries: dict[str, list[Any]] = {}
    forced = _children_json(document.children, entries, frozenset())
    return _cook(entries, forced)


def xml_text_to_json(text: str) -> Any:
    """json() of an XML value."""
    document = dom.parse(text)
    declaration = document.declaration
    if declaration is not None and declaration.encoding is not None:
        # Quirk: the declared encoding must be one .NET knows, and not UTF-16/UTF-32, though the text is a string.
        if bin_.codec(declaration.encoding) in _UNSUPPORTED:
            raise ExpressionError(f"'{declaration.encoding}' is not a supported encoding for json() of XML.")
    return document_to_json(document)


# --- JSON -> XML --------------------------------------------------------------------------------------------


def _is_name_char(ch: str) -> bool:
    return ch in "-._" or ch == "\u00b7" or unicodedata.category(ch)[0] in ("L", "N", "M")


def _is_name_start(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] == "L"


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code > 0xFFFF:
        return f"_x{code:08X}_"
    return f"_x{code:04X}_"


def sanitize_name(name: str) -> str:
    """An element name from a JSON key: characters that cannot be in a name become `_xHHHH_` (`ro>ot` is
    `ro_x003E_ot`); `:` is kept for prefixes."""
    out = []
    for index, ch in enumerate(name):
        if ch == ":" or (_is_name_char(ch) and (index > 0 or _is_name_start(ch))):
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    return "".join(out)


def _scalar_text(value: Any) -> str:
    """A JSON scalar as XML text, as Newtonsoft writes it (XmlConvert): `true`, `5` for 5.0, `INF`, null as ""."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "INF" if value > 0 else "-INF"
        return format_float(value)
    if isinstance(value, Decimal):
        return format_decimal(value)
    return to_json_text(value)


class _JsonToXml:
    def __init__(self) -> None:
        self.namespaces: list[set[str]] = [{"xml", "xmlns"}]

    def element_name(self, key: str) -> str:
        name = sanitize_name(key)
        prefix, colon, local = name.partition(":")
        if colon and prefix not in self.namespaces[-1]:
            return local  # quirk: an undeclared prefix is dropped (`{"ro:ot": "x"}` is `<ot>x</ot>`)
        return name

    def append(self, parent: dom.Element, key: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                self.append_one(parent, key, item)
        else:
            self.append_one(parent, key, value)

    def append_one(self, parent: dom.Element, key: str, value: Any) -> None:
        if key == TEXT and not isinstance(value, (dict, list)):
            parent.children.append(dom.Text(_scalar_text(value) if value is not None else ""))
        elif key == CDATA and not isinstance(value, (dict, list)):
            parent.children.append(dom.CData(_scalar_text(value) if value is not None else ""))
        elif key == WHITESPACE and isinstance(value, str):
            parent.children.append(dom.Whitespace(value))
        else:
            # Quirk: `#comment` is not a comment but an element `_x0023_comment`, as the host writes it.
            parent.children.append(self.element(key, value))
        parent.is_empty = False

    def element(self, key: str, value: Any) -> dom.Element:
        if not isinstance(value, dict):
            element = dom.Element(self.element_name(key))
            if value is not None:
                element.children.append(dom.Text(_scalar_text(value)))
                element.is_empty = False
            return element
        declared = set(self.namespaces[-1])
        declared.update(k[7:] for k in value if k.startswith("@xmlns:"))
        self.namespaces.append(declared)
        try:
            element = dom.Element(self.element_name(key))
            for child_key, child in value.items():
                if child_key.startswith("@"):
                    element.attributes.append((sanitize_name(child_key[1:]), _scalar_text(child)))
            for child_key, child in value.items():
                if not child_key.startswith("@"):
                    self.append(element, child_key, child)
            return element
        finally:
            self.namespaces.pop()


def json_to_document(value: Any) -> dom.Document:
    """xml() of a JSON object: a single root element, plus optional `?xml` and `!DOCTYPE` entries."""
    if not isinstance(value, dict):
        raise ExpressionError(
            "The template language function 'xml' expects an object with a single root property or an XML "
            "string; the provided value cannot be converted to XML."
        )
    document = dom.Document()
    builder = _JsonToXml()
    roots: list[dom.Element] = []
    for key, item in value.items():
        if key == DECLARATION:
            if not isinstance(item, dict):
                raise ExpressionError("The '?xml' declaration must be an object.")
            document.children.append(
                dom.Declaration(
                    _scalar_text(item.get("@version", "1.0")),
                    _optional_text(item.get("@encoding")),
                    _optional_text(item.get("@standalone")),
                )
            )
        elif key == DOCTYPE:
            if not isinstance(item, dict):
                raise ExpressionError("The '!DOCTYPE' declaration must be an object.")
            document.children.append(
                dom.DocType(
                    _scalar_text(item.get("@name", "")),
                    _optional_text(item.get("@public")),
                    _optional_text(item.get("@system")),
                    _optional_text(item.get("@internalSubset")),
                )
            )
        elif isinstance(item, list):
            raise ExpressionError(
                f"The provided JSON cannot be converted to XML: the root property '{key}' is an array; "
                "the root property of the object must not be an array."
            )
        else:
            roots.append(builder.element(key, item))
    if len(roots) > 1:
        raise ExpressionError(
            "The provided JSON cannot be converted to XML: More than one root element was found; "
            "a JSON object with a single root property is needed."
        )
    document.children.extend(roots)
    return document


def _optional_text(value: Any) -> str | None:
    return None if value is None else _scalar_text(value)
