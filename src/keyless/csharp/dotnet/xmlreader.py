"""System.Xml.XmlReader: forward-only reading over a parsed document, and XNode.ReadFrom at an element."""

from __future__ import annotations

import re
from typing import Any

from keyless.csharp.dotnet.enums import enum
from keyless.csharp.dotnet.misc import StringReader
from keyless.csharp.dotnet.xml import XElement, XText, _qualified, parse
from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import DotNetType, define_type

XmlNodeType = enum("XmlNodeType", "System.Xml.XmlNodeType", {
    "None": 0, "Element": 1, "Attribute": 2, "Text": 3, "CDATA": 4, "EntityReference": 5, "Entity": 6,
    "ProcessingInstruction": 7, "Comment": 8, "Document": 9, "DocumentType": 10, "DocumentFragment": 11,
    "Notation": 12, "Whitespace": 13, "SignificantWhitespace": 14, "EndElement": 15, "EndEntity": 16,
    "XmlDeclaration": 17,
})  # fmt: skip
# MoveToContent stops at these (XmlReader.MoveToContent's documented set)
_CONTENT = frozenset(("Element", "Text", "CDATA", "EntityReference", "EndElement", "EndEntity"))
_DECLARATION = re.compile(r"\s*<\?xml\s+(.*?)\?>", re.S)


class _Node:
    __slots__ = ("depth", "element", "empty", "end", "kind", "text")

    def __init__(self, kind: str, depth: int, element: XElement | None = None, text: str = "") -> None:
        self.kind, self.depth, self.element, self.text = kind, depth, element, text
        self.empty = False
        self.end = 0  # for an Element: the index of the node after its subtree


def _flatten(e: XElement, depth: int, out: list[_Node]) -> None:
    start = _Node("Element", depth, e)
    out.append(start)
    start.empty = not e._nodes  # the parsed tree cannot tell `<a/>` from `<a></a>`: both read as empty
    for child in e._nodes:
        if isinstance(child, XElement):
            _flatten(child, depth + 1, out)
        elif isinstance(child, XText):
            kind = "Whitespace" if not child.Value.strip() else "Text"
            out.append(_Node(kind, depth + 1, text=child.Value))
    if not start.empty:
        out.append(_Node("EndElement", depth, e))
    start.end = len(out)


class XmlReader:
    """A reader positioned before the first node; Read() moves through declaration, elements, text, end tags."""

    __dotnet_name__ = "System.Xml.XmlReader"

    def __init__(self, text: str) -> None:
        doc = parse(text, preserve_whitespace=True)
        self._nodes: list[_Node] = []
        declaration = _DECLARATION.match(text)
        if declaration:
            self._nodes.append(_Node("XmlDeclaration", 0, text=declaration.group(1).strip()))
            between = text[declaration.end() : text.find("<", declaration.end())]
            if between:  # whitespace outside the root element is a node too
                self._nodes.append(_Node("Whitespace", 0, text=between))
        if doc.Root is not None:
            _flatten(doc.Root, 0, self._nodes)
        if text != text.rstrip():
            self._nodes.append(_Node("Whitespace", 0, text=text[len(text.rstrip()) :]))
        self._i = -1

    def _node(self) -> _Node | None:
        return self._nodes[self._i] if 0 <= self._i < len(self._nodes) else None

    def Read(self) -> bool:
        if self._i < len(self._nodes):
            self._i += 1
        return self._i < len(self._nodes)

    @property
    def EOF(self) -> bool:
        return self._i >= len(self._nodes)

    def MoveToContent(self) -> Any:
        if self._i < 0:
            self.Read()
        while (node := self._node()) is not None and node.kind not in _CONTENT:
            self.Read()
        return self.NodeType

    @property
    def NodeType(self) -> Any:
        node = self._node()
        return getattr(XmlNodeType, node.kind if node else "None")

    @property
    def Name(self) -> str:
        node = self._node()
        if node is None:
            return ""
        if node.kind == "XmlDeclaration":
            return "xml"
        if node.element is None:
            return ""
        return _qualified(node.element.Name, node.element)[0]

    @property
    def LocalName(self) -> str:
        node = self._node()
        if node is not None and node.element is not None:
            return str(node.element.Name.LocalName)
        return self.Name

    @property
    def NamespaceURI(self) -> str:
        node = self._node()
        return str(node.element.Name.NamespaceName) if node is not None and node.element is not None else ""

    @property
    def Value(self) -> str:
        node = self._node()
        return node.text if node is not None else ""

    @property
    def HasValue(self) -> bool:
        node = self._node()
        return node is not None and node.kind in ("Text", "Whitespace", "XmlDeclaration")

    @property
    def Depth(self) -> int:
        node = self._node()
        return node.depth if node is not None else 0

    @property
    def IsEmptyElement(self) -> bool:
        node = self._node()
        return node is not None and node.kind == "Element" and node.empty

    def GetAttribute(self, name: str) -> str | None:
        node = self._node()
        if node is None or node.kind != "Element" or node.element is None:
            return None
        for a in node.element._attrs:
            if _qualified(a.Name, node.element, attribute=True)[0] == name or str(a.Name) == name:
                return str(a.Value)
        return None

    def IsStartElement(self, name: str | None = None) -> bool:
        return self.MoveToContent() == XmlNodeType.Element and (name is None or self.Name == name)

    def ReadToFollowing(self, name: str) -> bool:
        while self.Read():
            if self.NodeType == XmlNodeType.Element and self.Name == name:
                return True
        return False

    def ReadElementContentAsString(self) -> str:
        node = self._node()
        if node is None or node.kind != "Element" or node.element is None:
            raise DotNetException(
                "InvalidOperationException",
                f"The ReadElementContentAsString method is not supported on node type {self.NodeType.member}.",
            )
        value = node.element.Value
        self._i = node.end
        return value

    def read_node(self) -> Any:
        """XNode.ReadFrom: the element (a copy) or text at the position; the reader moves past it."""
        node = self._node()
        if node is None or node.kind not in ("Element", "Text", "Whitespace"):
            kind = self.NodeType.member
            raise DotNetException("InvalidOperationException", f"The XmlReader should not be on a node of type {kind}.")
        if node.kind == "Element":
            assert node.element is not None
            self._i = node.end
            return node.element.clone()
        self._i += 1
        return XText(node.text)

    def Close(self) -> None:
        self._i = len(self._nodes)

    def Dispose(self) -> None:
        pass


class _XmlReaderStatics:
    @staticmethod
    def Create(input: Any, settings: Any = None) -> XmlReader:
        if input is None:
            raise argument_null("input")
        if isinstance(input, StringReader):
            return XmlReader(input.ReadToEnd())
        # a string argument is a URI to fetch: the gateway reads no files or URLs
        raise DotNetException("NotSupportedException", "keyless reads XML only from a StringReader")


define_type(DotNetType("XmlReader", "System.Xml.XmlReader", (XmlReader,), _XmlReaderStatics))
