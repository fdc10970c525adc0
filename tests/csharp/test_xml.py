"""LINQ to XML: parsing (DTDs refused), navigation, construction, XmlWriter-style output, explicit casts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from keyless.csharp import ExpressionRuntimeError, compile_expression

SOAP = (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
    '<soap:Body><r a="1"><conditionValue>yes</conditionValue><value1>v1</value1><n>42</n></r></soap:Body>'
    "</soap:Envelope>"
)
DOC = f"XDocument.Parse({json.dumps(SOAP)})"  # written SOAPDOC in the cases


def run(text: str) -> Any:
    return compile_expression(text.replace("SOAPDOC", DOC)).evaluate(None)


CASES = [
    ('@(SOAPDOC.Descendants().Where(r => r.Name.LocalName == "value1").First().Value)', "v1"),
    (
        '@(SOAPDOC.Root.Name.LocalName + "|" + SOAPDOC.Root.Name.NamespaceName)',
        "Envelope|http://schemas.xmlsoap.org/soap/envelope/",
    ),
    ('@((int)SOAPDOC.Descendants("n").Single() + 1)', 43),
    ('@((string)SOAPDOC.Descendants("r").First().Attribute("a"))', "1"),
    ('@(SOAPDOC.Descendants("missing").FirstOrDefault() == null)', True),
    (
        '@{ XNamespace soap = "http://schemas.xmlsoap.org/soap/envelope/"; return SOAPDOC.Root.Element(soap + "Body").Elements().Count(); }',  # noqa: E501
        1,
    ),
    ('@(SOAPDOC.Descendants("{http://schemas.xmlsoap.org/soap/envelope/}Body").Count())', 1),
    ('@(SOAPDOC.Descendants("r").First().Value)', "yesv142"),
    (
        "@(SOAPDOC.ToString())",
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\r\n  <soap:Body>\r\n    <r a="1">\r\n'
        "      <conditionValue>yes</conditionValue>\r\n      <value1>v1</value1>\r\n      <n>42</n>\r\n    </r>\r\n"
        "  </soap:Body>\r\n</soap:Envelope>",
    ),
    (
        '@(new XElement("a", new XAttribute("x", true), new XElement("b", 1), new XElement("c")).ToString())',
        '<a x="true">\r\n  <b>1</b>\r\n  <c />\r\n</a>',
    ),
    ('@(new XElement("a", "t<&>", new XAttribute("q", "\\"")).ToString())', '<a q="&quot;">t&lt;&amp;&gt;</a>'),
    ('@(XElement.Parse("<a><b>1</b> <c/></a>").ToString(SaveOptions.DisableFormatting))', "<a><b>1</b><c /></a>"),
    ('@(XElement.Parse("<a>x <b>y</b></a>").ToString())', "<a>x <b>y</b></a>"),
    (
        '@{ var e = XElement.Parse("<a><b/></a>"); e.SetAttributeValue("k", 1); e.SetElementValue("c", "v"); e.Element("b").Remove(); return e.ToString(SaveOptions.DisableFormatting); }',  # noqa: E501
        '<a k="1"><c>v</c></a>',
    ),
    ('@(new XDocument(new XElement("root")).Root.Name.ToString())', "root"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_linq_to_xml(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_dtds_and_malformed_documents_are_refused() -> None:
    with pytest.raises(ExpressionRuntimeError, match="XmlException: For security reasons DTD is prohibited"):
        run('@(XDocument.Parse("<!DOCTYPE a [<!ENTITY e \\"x\\">]><a>&e;</a>"))')
    with pytest.raises(ExpressionRuntimeError, match="XmlException"):
        run('@(XDocument.Parse("<a>"))')
    with pytest.raises(ExpressionRuntimeError, match=r"NotSupportedException: XDocument\.Load is not allowed"):
        run('@(XDocument.Load("file.xml"))')


def _reader(body: str) -> str:
    xml = json.dumps('<?xml version="1.0"?>\n<r xmlns:p="urn:p">\n  <p:a x="1">t</p:a>\n  <b/>\n</r>\n')
    return compile_expression(
        "@{ var sb = new StringBuilder(); using (var reader = XmlReader.Create(new StringReader("
        + xml
        + "))) {"
        + body
        + "} return sb.ToString(); }"
    ).evaluate(None)


def test_xml_reader_walks_nodes_as_dotnet_with_default_settings() -> None:
    # whitespace between elements is reported (IgnoreWhitespace is false by default); `<b/>` has no end tag
    walk = 'while (reader.Read()) { sb.Append(reader.NodeType + ":" + reader.Name + ":" + reader.Depth + ";"); }'
    assert _reader(walk) == (
        "XmlDeclaration:xml:0;Whitespace::0;Element:r:0;Whitespace::1;Element:p:a:1;Text::2;EndElement:p:a:1;"
        "Whitespace::1;Element:b:1;Whitespace::1;EndElement:r:0;Whitespace::0;"
    )
    assert _reader("sb.Append(reader.MoveToContent()).Append(reader.Name).Append(reader.EOF);") == "ElementrFalse"
    at_a = 'reader.ReadToFollowing("p:a"); '
    assert _reader(at_a + 'sb.Append(reader.GetAttribute("x") + reader.LocalName + reader.NamespaceURI);') == "1aurn:p"
    # ReadElementContentAsString and XNode.ReadFrom leave the reader on the node after the end tag
    assert _reader(at_a + "sb.Append(reader.ReadElementContentAsString()).Append(reader.NodeType);") == "tWhitespace"
    read_from = "var e = XNode.ReadFrom(reader) as XElement; sb.Append(e.Value + reader.NodeType);"
    assert _reader(at_a + read_from) == "tWhitespace"
    assert _reader("while (reader.Read()) {} sb.Append(reader.EOF).Append(reader.Read());") == "TrueFalse"


def test_xml_reader_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ExpressionRuntimeError, match="InvalidOperationException"):
        _reader("XNode.ReadFrom(reader);")
    with pytest.raises(
        ExpressionRuntimeError, match="NotSupportedException: keyless reads XML only from a StringReader"
    ):
        run('@(XmlReader.Create("https://example.com/a.xml").Name)')
