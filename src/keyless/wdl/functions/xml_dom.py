"""A small XML document model that reads and writes XML the way .NET's XmlDocument does for Logic Apps.

`parse(text)` is `XmlDocument.LoadXml` (PreserveWhitespace off): white-space-only text between markup is dropped,
an element remembers whether it was written `<a/>` or `<a></a>`, CDATA sections and comments stay separate
nodes, only XML 1.0 declarations are accepted. `serialize(node)` is `OuterXml`: `<a />` with a space, `&lt;`,
`&gt;` and `&amp;` in text, `&quot;` in attributes.

Parsing uses expat with the protections defusedxml applies: entity declarations (internal or external) and
external references are refused, so no entity is ever expanded beyond the five predefined ones and character
references. A DOCTYPE is read only for its name, identifiers and internal-subset text.
"""

from __future__ import annotations

import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field

from keyless.wdl.errors import ExpressionError


@dataclass
class Text:
    value: str


@dataclass
class CData:
    value: str


@dataclass
class Whitespace:
    """Significant white space (inside xml:space="preserve")."""

    value: str


@dataclass
class Comment:
    value: str


@dataclass
class ProcessingInstruction:
    target: str
    data: str


@dataclass
class Declaration:
    version: str = "1.0"
    encoding: str | None = None
    standalone: str | None = None


@dataclass
class DocType:
    name: str
    public_id: str | None = None
    system_id: str | None = None
    internal_subset: str | None = None


@dataclass
class Element:
    name: str  # qualified name as written (`mmm:x`)
    attributes: list[tuple[str, str]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    is_empty: bool = True  # written `<a/>` (or created with no content): serialized `<a />`


Node = Text | CData | Whitespace | Comment | ProcessingInstruction | Element


@dataclass
class Document:
    children: list[Node | Declaration | DocType] = field(default_factory=list)

    @property
    def root(self) -> Element | None:
        return next((child for child in self.children if isinstance(child, Element)), None)

    @property
    def declaration(self) -> Declaration | None:
        return next((child for child in self.children if isinstance(child, Declaration)), None)


class XmlParseError(ExpressionError):
    pass


# --- Parsing ------------------------------------------------------------------------------------------------

_S = r"[ \t\r\n]+"
_EQ = r"[ \t\r\n]*=[ \t\r\n]*"
_DECLARATION = re.compile(
    rf"<\?xml{_S}version{_EQ}(?P<q1>['\"])(?P<version>[^'\"]*)(?P=q1)"
    rf"(?:{_S}encoding{_EQ}(?P<q2>['\"])(?P<encoding>[A-Za-z][A-Za-z0-9._-]*)(?P=q2))?"
    rf"(?:{_S}standalone{_EQ}(?P<q3>['\"])(?P<standalone>yes|no)(?P=q3))?"
    r"[ \t\r\n]*\?>"
)
_XML_WHITESPACE = frozenset(" \t\r\n")


def _fail(message: str) -> XmlParseError:
    return XmlParseError(f"The provided value cannot be parsed as XML: {message}")


def _read_declaration(text: str) -> tuple[Declaration | None, str]:
    if not (text.startswith("<?xml") and len(text) > 5 and text[5] in _XML_WHITESPACE):
        return None, text
    found = _DECLARATION.match(text)
    if found is None:
        raise _fail("the XML declaration is malformed (version first, then encoding, then standalone).")
    if found["version"] != "1.0":
        raise _fail(f"Version number '{found['version']}' is invalid.")
    return Declaration("1.0", found["encoding"], found["standalone"]), text[found.end() :]


def _refuse(*_args: object) -> None:
    raise _fail("entity declarations and external entities are not allowed.")


class _Builder:
    def __init__(self, source: bytes) -> None:
        self.source = source
        self.document = Document()
        self.stack: list[Element] = []
        self.preserve: list[bool] = [False]
        self.namespaces: list[set[str]] = [{"xml", "xmlns"}]
        self.text: list[str] = []
        self.in_cdata = False
        self.doctype_start = 0
        self.parser = expat.ParserCreate()
        parser = self.parser
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.EntityDeclHandler = _refuse
        parser.UnparsedEntityDeclHandler = _refuse
        parser.ExternalEntityRefHandler = _refuse
        parser.SkippedEntityHandler = self.skipped_entity
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        parser.CommentHandler = self.comment
        parser.ProcessingInstructionHandler = self.pi
        parser.StartCdataSectionHandler = self.start_cdata
        parser.EndCdataSectionHandler = self.end_cdata
        parser.StartDoctypeDeclHandler = self.start_doctype
        parser.EndDoctypeDeclHandler = self.end_doctype
        parser.ordered_attributes = True
        parser.specified_attributes = True  # DTD defaults are not applied: no DTD processing at all

    def container(self) -> list:
        return self.stack[-1].children if self.stack else self.document.children  # type: ignore[return-value]

    def flush(self) -> None:
        if not self.text:
            return
        value = "".join(self.text)
        self.text = []
        if self.in_cdata:
            self.container().append(CData(value))
        elif all(ch in _XML_WHITESPACE for ch in value):
            if self.preserve[-1] and self.stack:
                self.container().append(Whitespace(value))
            # Otherwise insignificant white space: XmlDocument drops it.
        elif self.stack:
            self.container().append(Text(value))

    def check_prefix(self, name: str, what: str, declared: set[str]) -> None:
        prefix, colon, local = name.partition(":")
        if colon and (not prefix or not local or ":" in local):
            raise _fail(f"The '{name}' {what} name is not valid.")
        if colon and prefix not in declared:
            raise _fail(f"'{prefix}' is an undeclared prefix.")

    def start(self, name: str, attrs: list[str]) -> None:
        self.flush()
        pairs = list(zip(attrs[::2], attrs[1::2], strict=True))
        declared = set(self.namespaces[-1])
        declared.update(key[6:] for key, _ in pairs if key.startswith("xmlns:"))
        self.namespaces.append(declared)
        self.check_prefix(name, "element", declared)
        for key, _ in pairs:
            if not key.startswith("xmlns:"):
                self.check_prefix(key, "attribute", declared)
        space = dict(pairs).get("xml:space")
        self.preserve.append(self.preserve[-1] if space is None else space == "preserve")
        element = Element(name, pairs)
        self.container().append(element)
        self.stack.append(element)

    def end(self, name: str) -> None:
        self.flush()
        element = self.stack.pop()
        self.preserve.pop()
        self.namespaces.pop()
        index = self.parser.CurrentByteIndex
        # expat does not say whether the tag was `<a/>`: it was if the element is childless and the event
        # position is right after a "/>".
        element.is_empty = not element.children and self.source[max(0, index - 2) : index] == b"/>"

    def skipped_entity(self, name: str, is_parameter_entity: int) -> None:
        raise _fail(f"Reference to undeclared entity '{name}'.")

    def chars(self, data: str) -> None:
        self.text.append(data)

    def comment(self, data: str) -> None:
        self.flush()
        self.container().append(Comment(data))

    def pi(self, target: str, data: str) -> None:
        self.flush()
        self.container().append(ProcessingInstruction(target, data))

    def start_cdata(self) -> None:
        self.flush()
        self.in_cdata = True

    def end_cdata(self) -> None:
        if not self.text:
            self.text.append("")
        self.flush()
        self.in_cdata = False

    def start_doctype(self, name: str, system_id: str | None, public_id: str | None, has_subset: int) -> None:
        self.doctype_start = self.parser.CurrentByteIndex
        self.document.children.append(DocType(name, public_id, system_id, None))

    def end_doctype(self) -> None:
        doctype = self.document.children[-1]
        assert isinstance(doctype, DocType)
        raw = self.source[self.doctype_start : self.parser.CurrentByteIndex + 1].decode("utf-8")
        doctype.internal_subset = _internal_subset(raw)


def _internal_subset(raw: str) -> str | None:
    """The text between `[` and `]` of a DOCTYPE, as written; a CR not followed by LF reads as LF (.NET)."""
    quote = ""
    start = None
    for index, ch in enumerate(raw):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"" and start is None:
            quote = ch
        elif ch == "[" and start is None:
            start = index + 1
    if start is None:
        return None
    end = raw.rindex("]")
    return re.sub(r"\r(?!\n)", "\n", raw[start:end])


def parse(text: str) -> Document:
    """XmlDocument.LoadXml(text); fails with ExpressionError naming the problem."""
    declaration, rest = _read_declaration(text)
    try:
        source = rest.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail("the text contains an invalid surrogate character.") from exc
    builder = _Builder(source)
    if declaration is not None:
        builder.document.children.append(declaration)
    try:
        builder.parser.Parse(source, True)
    except expat.ExpatError as exc:
        raise _fail(f"{expat.ErrorString(exc.code)} (line {exc.lineno}, column {exc.offset}).") from exc
    if builder.document.root is None:
        raise _fail("Root element is missing.")
    return builder.document


# --- Writing ------------------------------------------------------------------------------------------------


def _escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attribute(value: str) -> str:
    return (
        _escape_text(value).replace('"', "&quot;").replace("\n", "&#xA;").replace("\r", "&#xD;")
    )  # XmlTextWriter writes line breaks in attributes as character references


def _write(node: Node | Declaration | DocType | Document, out: list[str]) -> None:
    if isinstance(node, Document):
        for child in node.children:
            _write(child, out)
    elif isinstance(node, Element):
        out.append(f"<{node.name}")
        for key, value in node.attributes:
            out.append(f' {key}="{escape_attribute(value)}"')
        if not node.children and node.is_empty:
            out.append(" />")
            return
        out.append(">")
        for child in node.children:
            _write(child, out)
        out.append(f"</{node.name}>")
    elif isinstance(node, Text):
        out.append(_escape_text(node.value))
    elif isinstance(node, Whitespace):
        out.append(node.value)
    elif isinstance(node, CData):
        if "]]>" in node.value:
            raise ExpressionError("Cannot have ']]>' inside an XML CDATA block.")
        out.append(f"<![CDATA[{node.value}]]>")
    elif isinstance(node, Comment):
        out.append(f"<!--{node.value}-->")
    elif isinstance(node, ProcessingInstruction):
        out.append(f"<?{node.target}{' ' + node.data if node.data else ''}?>")
    elif isinstance(node, Declaration):
        out.append(f'<?xml version="{node.version}"')
        if node.encoding is not None:
            out.append(f' encoding="{node.encoding}"')
        if node.standalone is not None:
            out.append(f' standalone="{node.standalone}"')
        out.append("?>")
    elif isinstance(node, DocType):
        out.append(f"<!DOCTYPE {node.name}")
        if node.public_id is not None:
            out.append(f' PUBLIC "{node.public_id}" "{node.system_id or ""}"')
        elif node.system_id is not None:
            out.append(f' SYSTEM "{node.system_id}"')
        if node.internal_subset is not None:
            out.append(f"[{node.internal_subset}]")
        out.append(">")


def serialize(node: Node | Document) -> str:
    """OuterXml."""
    out: list[str] = []
    _write(node, out)
    return "".join(out)
