"""System.Xml.Linq: XDocument, XElement, XAttribute, XName, XNamespace with LINQ to XML's semantics."""

from __future__ import annotations

from typing import Any

from defusedxml import ElementTree as SafeET

from keyless.csharp.dotnet.enums import enum
from keyless.csharp.dotnet.text import to_string
from keyless.csharp.errors import DotNetException, argument_null, invalid_cast
from keyless.csharp.members import DotNetType, define_type, type_name

SaveOptions = enum("SaveOptions", "System.Xml.Linq.SaveOptions", {"None": 0, "DisableFormatting": 1,
                                                                 "OmitDuplicateNamespaces": 2})  # fmt: skip
LoadOptions = enum("LoadOptions", "System.Xml.Linq.LoadOptions", {"None": 0, "PreserveWhitespace": 1, "SetBaseUri": 2,
                                                                 "SetLineInfo": 4})  # fmt: skip
_XMLNS = "http://www.w3.org/2000/xmlns/"
NEWLINE = "\r\n"  # XmlWriter's default, Environment.NewLine on the Windows gateway (as Newtonsoft's)


class XNamespace:
    __dotnet_name__ = "System.Xml.Linq.XNamespace"

    def __init__(self, uri: str) -> None:
        self.NamespaceName = uri

    def GetName(self, local: str) -> XName:
        return XName(local, self.NamespaceName)

    def __add__(self, local: Any) -> XName:
        return XName(to_string(local), self.NamespaceName)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, XNamespace) and other.NamespaceName == self.NamespaceName

    def __hash__(self) -> int:
        return hash(self.NamespaceName)

    def ToString(self) -> str:
        return self.NamespaceName


class XName:
    __dotnet_name__ = "System.Xml.Linq.XName"

    def __init__(self, local: str, uri: str = "") -> None:
        self.LocalName = local
        self.NamespaceName = uri

    Namespace = property(lambda self: XNamespace(self.NamespaceName))

    def ToString(self) -> str:
        return f"{{{self.NamespaceName}}}{self.LocalName}" if self.NamespaceName else self.LocalName

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = xname(other)
        return isinstance(other, XName) and (other.LocalName, other.NamespaceName) == (
            self.LocalName,
            self.NamespaceName,
        )

    def __hash__(self) -> int:
        return hash((self.LocalName, self.NamespaceName))


def xname(value: Any) -> XName:
    """The implicit string -> XName conversion: `"{uri}local"` or `"local"`."""
    if isinstance(value, XName):
        return value
    if value is None:
        raise argument_null("name")
    s = to_string(value)
    if s.startswith("{"):
        uri, _, local = s[1:].partition("}")
        return XName(local, uri)
    return XName(s)


class XAttribute:
    __dotnet_name__ = "System.Xml.Linq.XAttribute"

    def __init__(self, name: Any, value: Any) -> None:
        self.Name = xname(name)
        self.Value = _text(value)
        self.Parent: XElement | None = None

    IsNamespaceDeclaration = property(
        lambda self: (
            self.Name.NamespaceName == _XMLNS or (self.Name.LocalName == "xmlns" and not self.Name.NamespaceName)
        )
    )

    def Remove(self) -> None:
        if self.Parent is not None:
            self.Parent._attrs = [a for a in self.Parent._attrs if a is not self]
            self.Parent = None

    def ToString(self) -> str:
        return f'{_attr_name(self, self.Parent)}="{_escape_attr(self.Value)}"'

    def __dotnet_convert__(self, target: str) -> Any:
        return _convert(self.Value, target)


class XText:
    def __init__(self, value: str) -> None:
        self.Value = value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # XmlConvert, not ToString()
    return to_string(value)


class XContainer:
    _nodes: list[Any]

    def _add(self, content: Any) -> None:
        if content is None:
            return
        if isinstance(content, list | tuple):
            for c in content:
                self._add(c)
        elif isinstance(content, XElement):
            if content.Parent is not None or content._document is not None:
                content = content.clone()
            content.Parent = self if isinstance(self, XElement) else None
            content._document = self if isinstance(self, XDocument) else None
            self._nodes.append(content)
        elif isinstance(content, XAttribute):
            if not isinstance(self, XElement):
                raise DotNetException("ArgumentException", "An attribute cannot be added to content.")
            if self.Attribute(content.Name) is not None:
                raise DotNetException("InvalidOperationException", "Duplicate attribute.")
            if content.Parent is not None:
                content = XAttribute(content.Name, content.Value)
            content.Parent = self
            self._attrs.append(content)
        elif isinstance(content, XDocument):
            raise DotNetException("ArgumentException", "A document cannot be added to content.")
        else:
            text = _text(content)
            if self._nodes and isinstance(self._nodes[-1], XText):
                self._nodes[-1].Value += text
            else:
                self._nodes.append(XText(text))

    def Add(self, *content: Any) -> None:
        for c in content:
            self._add(c)

    def Elements(self, name: Any = None) -> list[XElement]:
        target = None if name is None else xname(name)
        return [n for n in self._nodes if isinstance(n, XElement) and (target is None or n.Name == target)]

    def Element(self, name: Any) -> XElement | None:
        found = self.Elements(name)
        return found[0] if found else None

    def Descendants(self, name: Any = None) -> list[XElement]:
        target = None if name is None else xname(name)
        out: list[XElement] = []
        for n in self._nodes:
            if isinstance(n, XElement):
                if target is None or n.Name == target:
                    out.append(n)
                out.extend(n.Descendants(target))
        return out

    def Nodes(self) -> list[Any]:
        return [n.Value if isinstance(n, XText) else n for n in self._nodes]

    def RemoveNodes(self) -> None:
        self._nodes = []


class XElement(XContainer):
    __dotnet_name__ = "System.Xml.Linq.XElement"

    def __init__(self, name: Any, *content: Any) -> None:
        if isinstance(name, XElement):  # copy constructor
            other, name, content = name, name.Name, ()
            self.__init__(name)  # type: ignore[misc]
            self._attrs = [XAttribute(a.Name, a.Value) for a in other._attrs]
            for a in self._attrs:
                a.Parent = self
            for n in other._nodes:
                self._add(n.clone() if isinstance(n, XElement) else n.Value)
            return
        self.Name = xname(name)
        self.Parent: XContainer | None = None
        self._document: XDocument | None = None
        self._attrs: list[XAttribute] = []
        self._nodes = []
        for c in content:
            self._add(c)

    def clone(self) -> XElement:
        return XElement(self)

    @property
    def Value(self) -> str:
        return "".join(n.Value for n in self._nodes)  # text nodes and, recursively, elements

    @Value.setter
    def Value(self, value: Any) -> None:
        if value is None:
            raise argument_null("value")
        self._nodes = [XText(_text(value))] if _text(value) else []

    HasElements = property(lambda self: any(isinstance(n, XElement) for n in self._nodes))
    HasAttributes = property(lambda self: bool(self._attrs))
    IsEmpty = property(lambda self: not self._nodes)
    Document = property(lambda self: self._root()._document)

    def _root(self) -> XElement:
        e = self
        while isinstance(e.Parent, XElement):
            e = e.Parent
        return e

    def Attribute(self, name: Any) -> XAttribute | None:
        target = xname(name)
        return next((a for a in self._attrs if a.Name == target), None)

    def Attributes(self, name: Any = None) -> list[XAttribute]:
        target = None if name is None else xname(name)
        return [a for a in self._attrs if target is None or a.Name == target]

    def DescendantsAndSelf(self, name: Any = None) -> list[XElement]:
        target = None if name is None else xname(name)
        return ([self] if target is None or self.Name == target else []) + self.Descendants(name)

    def Ancestors(self, name: Any = None) -> list[XElement]:
        target = None if name is None else xname(name)
        out = []
        p = self.Parent
        while isinstance(p, XElement):
            if target is None or p.Name == target:
                out.append(p)
            p = p.Parent
        return out

    def SetValue(self, value: Any) -> None:
        self.Value = value

    def SetAttributeValue(self, name: Any, value: Any) -> None:
        a = self.Attribute(name)
        if value is None:
            if a is not None:
                a.Remove()
        elif a is not None:
            a.Value = _text(value)
        else:
            self._add(XAttribute(name, value))

    def SetElementValue(self, name: Any, value: Any) -> None:
        e = self.Element(name)
        if value is None:
            if e is not None:
                e.Remove()
        elif e is not None:
            e.Value = value
        else:
            self._add(XElement(name, value))

    def Remove(self) -> None:
        holder = self.Parent if self.Parent is not None else self._document
        if holder is None:
            raise DotNetException("InvalidOperationException", "The parent is missing.")
        holder._nodes = [n for n in holder._nodes if n is not self]
        self.Parent = self._document = None

    def ReplaceWith(self, *content: Any) -> None:
        holder = self.Parent if self.Parent is not None else self._document
        if holder is None:
            raise DotNetException("InvalidOperationException", "The parent is missing.")
        i = next(i for i, n in enumerate(holder._nodes) if n is self)
        rest = holder._nodes[i + 1 :]
        holder._nodes = holder._nodes[:i]
        for c in content:
            holder._add(c)
        holder._nodes.extend(rest)
        self.Parent = self._document = None

    def ToString(self, options: Any = None) -> str:
        return write(self, indent=options is None or int(options) & 1 == 0)

    def __dotnet_convert__(self, target: str) -> Any:
        return _convert(self.Value, target)


class XDocument(XContainer):
    __dotnet_name__ = "System.Xml.Linq.XDocument"

    def __init__(self, *content: Any) -> None:
        self._nodes = []
        self.Declaration = None
        for c in content:
            if type(c).__name__ == "XDeclaration":
                self.Declaration = c
            else:
                self._add(c)

    @property
    def Root(self) -> XElement | None:
        return next((n for n in self._nodes if isinstance(n, XElement)), None)

    def _add(self, content: Any) -> None:
        if isinstance(content, str) and content.strip():
            raise DotNetException("ArgumentException", "Non-whitespace characters cannot be added to content.")
        if isinstance(content, XElement) and self.Root is not None:
            raise DotNetException(
                "InvalidOperationException", "This operation would create an incorrectly structured document."
            )
        if isinstance(content, XElement | list | tuple):
            super()._add(content)

    def ToString(self, options: Any = None) -> str:
        root = self.Root
        return "" if root is None else root.ToString(options)


# parsing


def parse(text: Any, preserve_whitespace: bool = False) -> XDocument:
    """Parses XML (DTDs and entities refused); whitespace-only text is dropped unless preserved, as LoadOptions.None."""
    if text is None:
        raise argument_null("text")
    pending: list[tuple[str, str]] = []
    declared: dict[int, list[tuple[str, str]]] = {}
    try:
        events = SafeET.iterparse(_Reader(text), events=("start-ns", "start"))
        for event, item in events:
            if event == "start-ns":
                pending.append(item)
            else:
                declared[id(item)] = pending
                pending = []
        root = events.root  # type: ignore[attr-defined]
    except SafeET.ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        raise DotNetException(
            "XmlException", f"{str(exc).split(':')[0].capitalize()}. Line {line}, position {col + 1}."
        ) from None
    except Exception as exc:  # defusedxml's refusals (DTDs, entities)
        raise DotNetException(
            "XmlException", f"For security reasons DTD is prohibited in this XML document. ({type(exc).__name__})"
        ) from None
    doc = XDocument()
    doc._add(_build(root, declared, preserve_whitespace))
    return doc


class _Reader:
    def __init__(self, text: str) -> None:
        self._data = text.encode("utf-8")
        self._done = False

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        self._done = True
        return self._data


def _build(node: Any, declared: dict[int, list[tuple[str, str]]], keep_ws: bool) -> XElement:
    e = XElement(node.tag)
    for prefix, uri in declared.get(id(node), []):
        e._add(XAttribute(f"{{{_XMLNS}}}{prefix}" if prefix else "xmlns", uri))
    for k, v in node.attrib.items():
        e._add(XAttribute(k, v))
    if node.text and (keep_ws or node.text.strip()):
        e._add(node.text)
    for child in node:
        e._add(_build(child, declared, keep_ws))
        if child.tail and (keep_ws or child.tail.strip()):
            e._add(child.tail)
    return e


# writing


def _escape_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attr(s: str) -> str:
    return _escape_text(s).replace('"', "&quot;").replace("\n", "&#xA;").replace("\r", "&#xD;").replace("\t", "&#x9;")


def _prefix_for(uri: str, e: XElement | None) -> str | None:
    while e is not None:
        for a in e._attrs:
            if a.Value == uri and a.IsNamespaceDeclaration:
                return "" if a.Name.LocalName == "xmlns" and not a.Name.NamespaceName else a.Name.LocalName
        e = e.Parent if isinstance(e.Parent, XElement) else None
    return None


def _qualified(name: XName, e: XElement | None, attribute: bool = False) -> tuple[str, str | None]:
    """The written name, and an xmlns declaration to add when the namespace is not in scope."""
    if not name.NamespaceName:
        return name.LocalName, None
    if name.NamespaceName == _XMLNS:
        return f"xmlns:{name.LocalName}", None
    prefix = _prefix_for(name.NamespaceName, e)
    if prefix is None or (attribute and prefix == ""):
        prefix = "p1" if attribute else ""
        return (
            f"{prefix}:{name.LocalName}" if prefix else name.LocalName
        ), f'xmlns{":" + prefix if prefix else ""}="{_escape_attr(name.NamespaceName)}"'
    return (f"{prefix}:{name.LocalName}" if prefix else name.LocalName), None


def _attr_name(a: XAttribute, e: XElement | None) -> str:
    return _qualified(a.Name, e, attribute=True)[0]


def write(e: XElement, indent: bool, level: int = 0) -> str:
    tag, extra = _qualified(e.Name, e)
    attrs = []
    for a in e._attrs:
        aname, adecl = _qualified(a.Name, e, attribute=True)
        if adecl:
            attrs.append(adecl)
        attrs.append(f'{aname}="{_escape_attr(a.Value)}"')
    if extra:
        attrs.insert(0, extra)
    head = "<" + tag + "".join(" " + a for a in attrs)
    if not e._nodes:
        return head + " />"
    mixed = any(isinstance(n, XText) for n in e._nodes)
    if not indent or mixed:
        inner = "".join(_escape_text(n.Value) if isinstance(n, XText) else write(n, False) for n in e._nodes)
        return f"{head}>{inner}</{tag}>"
    pad = "  " * (level + 1)
    inner = "".join(NEWLINE + pad + write(n, True, level + 1) for n in e._nodes)
    return f"{head}>{inner}{NEWLINE}{'  ' * level}</{tag}>"


def _convert(value: str | None, target: str) -> Any:
    """LINQ to XML's explicit operators: XmlConvert's parsing of the element or attribute value."""
    from keyless.csharp.dotnet.numbers import parse_double, parse_int

    if target == "string":
        return value
    if value is None:
        return None
    if target == "bool":
        v = value.strip().lower()
        if v in ("true", "1"):
            return True
        if v in ("false", "0"):
            return False
        raise DotNetException("FormatException", f"The string '{value}' is not a valid Boolean value.")
    if target in ("int", "long", "short", "byte", "uint", "ulong"):
        return parse_int(value, target)
    if target in ("double", "float"):
        return parse_double(value)
    raise invalid_cast("System.Xml.Linq.XElement", target)


class _XDocumentStatics:
    @staticmethod
    def Parse(text: Any, options: Any = None) -> XDocument:
        return parse(text, preserve_whitespace=options is not None and int(options) & 1 == 1)

    @staticmethod
    def Load(*args: Any) -> XDocument:
        raise DotNetException("NotSupportedException", "XDocument.Load is not allowed in policy expressions")


class _XElementStatics:
    @staticmethod
    def Parse(text: Any, options: Any = None) -> XElement:
        root = parse(text, preserve_whitespace=options is not None and int(options) & 1 == 1).Root
        assert root is not None
        root._document = None
        return root


class _XNamespaceStatics:
    None_ = XNamespace("")
    Xmlns = XNamespace(_XMLNS)
    Xml = XNamespace("http://www.w3.org/XML/1998/namespace")
    Get = staticmethod(lambda uri: XNamespace(uri))


setattr(_XNamespaceStatics, "None", _XNamespaceStatics.None_)


class _XNameStatics:
    Get = staticmethod(lambda *parts: xname(parts[0]) if len(parts) == 1 else XName(parts[0], parts[1]))


def _to_xname(v: Any) -> XName:
    if isinstance(v, XName | str):
        return xname(v)
    raise invalid_cast(type_name(v), "System.Xml.Linq.XName")


def _to_xnamespace(v: Any) -> XNamespace:
    if isinstance(v, XNamespace):
        return v
    if isinstance(v, str):
        return XNamespace(v)
    raise invalid_cast(type_name(v), "System.Xml.Linq.XNamespace")


define_type(DotNetType("XDocument", "System.Xml.Linq.XDocument", (XDocument,), _XDocumentStatics, XDocument))
define_type(DotNetType("XElement", "System.Xml.Linq.XElement", (XElement,), _XElementStatics, XElement))
define_type(DotNetType("XContainer", "System.Xml.Linq.XContainer", (XContainer,)))


class _XNodeStatics:
    @staticmethod
    def ReadFrom(reader: Any) -> Any:
        if reader is None:
            raise argument_null("reader")
        return reader.read_node()  # an XmlReader (dotnet/xmlreader.py)


define_type(DotNetType("XNode", "System.Xml.Linq.XNode", (XElement,), _XNodeStatics))
define_type(DotNetType("XAttribute", "System.Xml.Linq.XAttribute", (XAttribute,), None, XAttribute))
define_type(DotNetType("XName", "System.Xml.Linq.XName", (XName,), _XNameStatics, None, _to_xname))
define_type(
    DotNetType("XNamespace", "System.Xml.Linq.XNamespace", (XNamespace,), _XNamespaceStatics, None, _to_xnamespace)
)
