from __future__ import annotations

import base64

import pytest

from keyless.wdl.api import ExpressionError
from keyless.wdl.functions import xml_dom
from tests.wdl.helpers import ev


def xml_text(value: dict[str, str]) -> str:
    assert value["$content-type"] == "application/xml;charset=utf-8"
    return base64.b64decode(value["$content"]).decode()


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ("<root/>", "<root />"),
        ("<root></root>", "<root></root>"),
        ('<r a="x&quot;&lt;"><b>t&amp;&#65;</b></r>', '<r a="x&quot;&lt;"><b>t&amp;A</b></r>'),
        ("<root> <!-- a --> b <!-- c --> </root>", "<root><!-- a --> b <!-- c --></root>"),
        ("<root><![CDATA[<x>]]>t<![CDATA[y]]></root>", "<root><![CDATA[<x>]]>t<![CDATA[y]]></root>"),
        ('<?xml version="1.0" encoding="utf-8"?><root/>', '<?xml version="1.0" encoding="utf-8"?><root />'),
        ('<p:root xmlns:p="u"><p:a/></p:root>', '<p:root xmlns:p="u"><p:a /></p:root>'),
        ('<r xml:space="preserve"> <a/></r>', '<r xml:space="preserve"> <a /></r>'),
    ],
)
def test_xml_of_a_string_is_written_as_xmldocument_does(source: str, written: str) -> None:
    assert xml_text(ev("@xml(variables('x'))", {"variables": {"x": source}})) == written


@pytest.mark.parametrize(
    "source",
    [
        "some text",
        "<one/><two/>",
        "<a:root/>",  # undeclared prefix
        '<?xml version="1.1"?><r/>',
        '<?xml version="1.0" standalone="yes" encoding="utf-8"?><r/>',
        "<!-- only a comment -->",
        '<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>',  # entity declarations are refused
        '<!DOCTYPE r SYSTEM "file:///etc/passwd"><r>&ext;</r>',
    ],
)
def test_xml_refuses_what_xmldocument_refuses_and_entities(source: str) -> None:
    with pytest.raises(ExpressionError):
        ev("@xml(variables('x'))", {"variables": {"x": source}})


def test_xml_of_binary_is_taken_as_it_is() -> None:
    assert ev("@xml(binary('<'))") == {"$content-type": "application/xml;charset=utf-8", "$content": "PA=="}
    with pytest.raises(ExpressionError):
        ev("@json(xml(binary('<')))")


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("<root>Testing</root>", {"root": "Testing"}),
        ("<a><a/>t<a/></a>", {"a": {"a": [None, None], "#text": "t"}}),
        ("<r><e></e><f>  </f></r>", {"r": {"e": "", "f": ""}}),
        (
            '<r xmlns:m="z"><m:x k="1"/>c<v/>n</r>',
            {"r": {"@xmlns:m": "z", "m:x": {"@k": "1"}, "#text": ["c", "n"], "v": None}},
        ),
        ("<root><![CDATA[a]]><![CDATA[b]]></root>", {"root": {"#cdata-section": ["a", "b"]}}),
        # The host's comment quirk: one comment disappears, two or more are an empty array.
        ("<root>a<!--b-->c<!--d--></root>", {"root": {"#text": ["a", "c"], "#comment": []}}),
        ("<root>a<!--b-->c</root>", {"root": {"#text": ["a", "c"]}}),
        ("<root><e><!--x--></e></root>", {"root": {"e": {}}}),
        (
            '<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE t PUBLIC "p" "s" [<!ELEMENT r (#PCDATA)>]><r/>',
            {
                "?xml": {"@version": "1.0", "@encoding": "UTF-8"},
                "!DOCTYPE": {"@name": "t", "@public": "p", "@system": "s", "@internalSubset": "<!ELEMENT r (#PCDATA)>"},
                "r": None,
            },
        ),
    ],
)
def test_json_of_xml(source: str, result: object) -> None:
    assert ev("@json(xml(variables('x')))", {"variables": {"x": source}}) == result


def test_json_of_xml_honours_newtonsoft_json_array() -> None:
    source = (
        '<person xmlns:json="http://james.newtonking.com/projects/json" id="1">'
        '<role json:Array="true">Admin</role><tag json:Array="false">x</tag></person>'
    )
    assert ev("@json(xml(variables('x')))", {"variables": {"x": source}}) == {
        "person": {"@id": "1", "role": ["Admin"], "tag": "x"}
    }


@pytest.mark.parametrize("encoding", ["utf-16", "martian", "ucs-2-le"])
def test_json_of_xml_refuses_unsupported_declared_encodings(encoding: str) -> None:
    source = f'<?xml version="1.0" encoding="{encoding}"?><root/>'
    assert xml_text(ev("@xml(variables('x'))", {"variables": {"x": source}})).startswith("<?xml")
    with pytest.raises(ExpressionError):
        ev("@json(xml(variables('x')))", {"variables": {"x": source}})


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ('{"cow":"moo"}', "<cow>moo</cow>"),
        (
            '{"a":{"@k":"v\\"<","b":[1,2.5,true,null],"#text":"t"}}',
            '<a k="v&quot;&lt;"><b>1</b><b>2.5</b><b>true</b><b />t</a>',
        ),
        ('{"a":{"@n":null,"f":[5.0,1e20]}}', '<a n=""><f>5</f><f>1E+20</f></a>'),  # XmlConvert's number text
        ('{"ro ot":"x"}', "<ro_x0020_ot>x</ro_x0020_ot>"),
        ('{"ro:ot":"x"}', "<ot>x</ot>"),  # an undeclared prefix is dropped, as the host does
        ('{"p:r":{"@xmlns:p":"u"}}', '<p:r xmlns:p="u" />'),
        ('{"r":{"#comment":"-->x"}}', "<r><_x0023_comment>--&gt;x</_x0023_comment></r>"),
        ('{"r":{"#cdata-section":"<&>"}}', "<r><![CDATA[<&>]]></r>"),
        ('{"?xml":{"@version":"1.0","@encoding":"utf-8"},"r":""}', '<?xml version="1.0" encoding="utf-8"?><r></r>'),
        ("{}", ""),
    ],
)
def test_xml_of_json(source: str, written: str) -> None:
    assert xml_text(ev("@xml(json(variables('x')))", {"variables": {"x": source}})) == written


@pytest.mark.parametrize("source", ['{"a":1,"b":2}', '{"r":{"#cdata-section":"]]>"}}', "[1]", '{"a":[1,2]}'])
def test_xml_of_json_refuses_what_cannot_be_one_document(source: str) -> None:
    with pytest.raises(ExpressionError):
        ev("@xml(json(variables('x')))", {"variables": {"x": source}})


def test_xml_of_json_writes_an_array_as_repeated_elements() -> None:
    # The documented way to turn an array into XML: wrap it in a root object.
    source = '{"root":{"array":[{"ID":1,"Name":"James"},{"ID":2,"Name":"John"}]}}'
    assert xml_text(ev("@xml(json(variables('x')))", {"variables": {"x": source}})) == (
        "<root><array><ID>1</ID><Name>James</Name></array><array><ID>2</ID><Name>John</Name></array></root>"
    )


def test_json_xml_round_trip_makes_arrays_of_repeated_elements() -> None:
    source = '{"animals":{"cow":"moo","birds":[{"call":"cheep"},{"call":"tweet"}]}}'
    assert ev("@json(xml(json(variables('x'))))", {"variables": {"x": source}}) == {
        "animals": {"cow": "moo", "birds": [{"call": "cheep"}, {"call": "tweet"}]}
    }


XML = "<r><a>this is a</a><b k='v'>second</b><c>3</c><c>4</c></r>"


def test_xpath_results() -> None:
    data = {"variables": {"x": XML}}
    assert [xml_text(node) for node in ev("@xpath(xml(variables('x')), '/r/*[position() < 3]')", data)] == [
        "<a>this is a</a>",
        '<b k="v">second</b>',
    ]
    assert ev("@xpath(xml(variables('x')), '/r/*/text()')", data) == ["this is a", "second", "3", "4"]
    assert ev("@xpath(xml(variables('x')), 'sum(/r/c)')", data) == 7.0
    assert ev("@xpath(xml(variables('x')), 'count(/r/c) = 2')", data) is True
    assert ev("@xpath(xml(variables('x')), 'string(/r/b/@k)')", data) == "v"
    assert ev("@xpath(xml(variables('x')), '/r/nothing')", data) == []


def test_xpath_element_results_carry_their_namespace() -> None:
    data = {"variables": {"x": '<r xmlns="urn:d" xmlns:p="urn:p"><p:a/></r>'}}
    [node] = ev("@xpath(xml(variables('x')), '/*/*')", data)
    assert xml_text(node) == '<p:a xmlns:p="urn:p" />'


def test_xpath_needs_an_xml_value_and_a_valid_path() -> None:
    with pytest.raises(ExpressionError):
        ev("@xpath('<r/>', '/r')")
    with pytest.raises(ExpressionError):
        ev("@xpath(xml('<r/>'), '/r[')")


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("@encodeXmlValue('a<b & \"c\" ''d''>')", "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"),
        ("@decodeXmlValue('a&lt;b &amp;amp; &#65;&#x42;')", "a<b &amp; AB"),
        ("@encodeXmlName('order id')", "order_x0020_id"),
        ("@encodeXmlName('1st_x0041_')", "_x0031_st_x005F_x0041_"),
        ("@decodeXmlName('order_x0020_id_x005F_')", "order id_"),
    ],
)
def test_xml_name_and_value_encoding(text: str, result: str) -> None:
    assert ev(text) == result


def test_dom_parse_keeps_self_closing_apart_from_empty() -> None:
    document = xml_dom.parse("<r><a/><b></b><c><d/></c></r>")
    root = document.root
    assert root is not None
    assert [child.is_empty for child in root.children if isinstance(child, xml_dom.Element)] == [True, False, False]
