"""json-to-xml and xml-to-json: APIM's conversion shapes (documented and observed examples), apply and Accept rules."""

from __future__ import annotations

import json

import pytest
from tests.gateway.policies._transform_doubles import (
    CompileRefusal,
    Ctx,
    compile_real,
    parse,
    real_state,
    request,
    run,
    run_real,
    state,
)

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.policies import json_to_xml, xml_to_json
from keyless.gateway.policy import PolicyError

J2X = json_to_xml.SPEC
X2J = xml_to_json.SPEC
ALWAYS = '<json-to-xml apply="always" consider-accept-header="false" />'

# An observed gateway conversion (a published walkthrough of the policy): several top-level properties are
# wrapped in <Document>, arrays repeat the element, booleans print as .NET does, null is xsi:nil.
PERSON = {
    "firstName": "John",
    "isAlive": True,
    "age": 25,
    "address": {"city": "New York", "postalCode": "10021-3100"},
    "phoneNumbers": [{"type": "home"}, {"type": "mobile"}],
    "children": [],
    "spouse": None,
}
PERSON_XML = """<Document>
  <firstName>John</firstName>
  <isAlive>True</isAlive>
  <age>25</age>
  <address>
    <city>New York</city>
    <postalCode>10021-3100</postalCode>
  </address>
  <phoneNumbers>
    <type>home</type>
  </phoneNumbers>
  <phoneNumbers>
    <type>mobile</type>
  </phoneNumbers>
  <children />
  <spouse xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" />
</Document>"""


def response(body: bytes, content_type: str) -> GatewayResponse:
    return GatewayResponse(200, Headers([("Content-Type", content_type)]), body, "OK")


# ----------------------------------------------------------------------------------------------- json-to-xml


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<json-to-xml />", "required attribute 'apply'"),
        ('<json-to-xml apply="content-type-xml" />', "invalid value 'content-type-xml'"),
        ('<json-to-xml apply="always" consider-accept-header="maybe" />', "invalid value 'maybe'"),
        ('<json-to-xml apply="always" parse-date="@(true)" />', "not allowed in the 'parse-date'"),
        ('<json-to-xml apply="always" namespace-separator="::" />', "must be one character"),
        ('<json-to-xml apply="always" attribute-block-name="" />', "'attribute-block-name' attribute is empty"),
        ('<json-to-xml apply="always" root="x" />', "'root' attribute is not declared"),
    ],
)
def test_json_to_xml_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        J2X.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_json_to_xml_observed_shape() -> None:
    st = state("outbound", response=response(json.dumps(PERSON).encode(), "application/json"))
    await run(J2X, ALWAYS, st)
    assert st.response is not None
    assert st.response.body.decode() == PERSON_XML
    assert st.response.headers.get("Content-Type") == "application/xml"


async def test_json_to_xml_documented_namespaces_and_attribute_block() -> None:
    # The json-to-xml doc's example. Its printed output leaves out the <v1:QueryItem> element around <name>;
    # keyless keeps the element the JSON has (the doc's output looks like an editing slip).
    body = {
        "soapenv:Envelope": {
            "xmlns:soapenv": "http://schemas.xmlsoap.org/soap/envelope/",
            "xmlns:v1": "http://localdomain.com/core/v1",
            "soapenv:Header": {},
            "soapenv:Body": {"v1:QueryList": {"#attrs": {"queryName": "test"}, "v1:QueryItem": {"name": "dummy text"}}},
        }
    }
    st = state("outbound", response=response(json.dumps(body).encode(), "application/json"))
    policy = (
        '<json-to-xml apply="always" consider-accept-header="false" parse-date="false" namespace-separator=":" '
        'namespace-prefix="xmlns" attribute-block-name="#attrs" />'
    )
    await run(J2X, policy, st)
    assert st.response is not None
    assert st.response.body.decode() == (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:v1="http://localdomain.com/core/v1">\n'
        "  <soapenv:Header />\n"
        "  <soapenv:Body>\n"
        '    <v1:QueryList queryName="test">\n'
        "      <v1:QueryItem>\n"
        "        <name>dummy text</name>\n"
        "      </v1:QueryItem>\n"
        "    </v1:QueryList>\n"
        "  </soapenv:Body>\n"
        "</soapenv:Envelope>"
    )


async def test_json_to_xml_default_separator_only_splits_declared_prefixes_and_encodes_names() -> None:
    body = {"first_name": "a", "a b": "<&>", "1x": 1.5, "big": 1e20}
    st = state("outbound", response=response(json.dumps(body).encode(), "application/json"))
    await run(J2X, ALWAYS, st)
    assert st.response is not None
    assert st.response.body.decode() == (
        "<Document>\n  <first_name>a</first_name>\n  <a_x0020_b>&lt;&amp;&gt;</a_x0020_b>\n"
        "  <_x0031_x>1.5</_x0031_x>\n  <big>1E+20</big>\n</Document>"
    )


async def test_json_to_xml_parse_date() -> None:
    body = json.dumps({"at": "2020-01-02T03:04:05.1200000+02:00"}).encode()
    parsed = state("outbound", response=response(body, "application/json"))
    await run(J2X, ALWAYS, parsed)
    assert parsed.response is not None and parsed.response.body == b"<at>2020-01-02T01:04:05.12+00:00</at>"
    copied = state("outbound", response=response(body, "application/json"))
    await run(J2X, '<json-to-xml apply="always" consider-accept-header="false" parse-date="false" />', copied)
    assert copied.response is not None and copied.response.body == b"<at>2020-01-02T03:04:05.1200000+02:00</at>"


async def test_json_to_xml_apply_and_accept_rules() -> None:
    def outbound(content_type: str, accept: str | None) -> object:
        headers = [("Accept", accept)] if accept else []
        return state("outbound", request=request(headers=headers), response=response(b'{"a":1}', content_type))

    skipped = outbound("text/plain", None)
    await run(J2X, '<json-to-xml apply="content-type-json" consider-accept-header="false" />', skipped)
    assert skipped.response.body == b'{"a":1}'
    vendor = outbound("application/vnd.api+json; charset=utf-8", None)
    await run(J2X, '<json-to-xml apply="content-type-json" consider-accept-header="false" />', vendor)
    assert vendor.response.body == b"<a>1</a>"
    wants_json = outbound("application/json", "application/json")
    await run(J2X, '<json-to-xml apply="always" />', wants_json)  # consider-accept-header defaults to true
    assert wants_json.response.body == b'{"a":1}'
    wants_xml = outbound("application/json", "application/json;q=0.5, text/xml")
    await run(J2X, '<json-to-xml apply="always" />', wants_xml)
    assert wants_xml.response.body == b"<a>1</a>"
    refused_xml = outbound("application/json", "application/xml;q=0")
    await run(J2X, '<json-to-xml apply="always" />', refused_xml)
    assert refused_xml.response.body == b'{"a":1}'


async def test_json_to_xml_on_the_request_and_invalid_json() -> None:
    st = state(
        "inbound",
        request=request(body=b'{"getOpenOrders": {"cust": 7}}', headers=[("Content-Type", "application/json")]),
    )
    await run(J2X, ALWAYS, st)
    assert st.request.body == b"<getOpenOrders>\n  <cust>7</cust>\n</getOpenOrders>"
    assert st.request.headers.get("Content-Type") == "application/xml"
    bad = state("inbound", request=request(body=b"{nope", headers=[("Content-Type", "application/json")]))
    with pytest.raises(PolicyError) as err:
        await run(J2X, ALWAYS, bad)
    assert err.value.source == "json-to-xml"


# ----------------------------------------------------------------------------------------------- xml-to-json

SOAP = b"""<?xml version="1.0"?>
<soap:Envelope xmlns="http://fyicenter.com/"
    xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
    <soap:Body>
        <GetOrders>
            <Customer>1234567</Customer>
        </GetOrders>
    </soap:Body>
</soap:Envelope>"""


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ('<xml-to-json apply="always" />', "required attribute 'kind'"),
        ('<xml-to-json kind="direct" />', "required attribute 'apply'"),
        ('<xml-to-json kind="friendly" apply="always" />', "invalid value 'friendly'"),
        ('<xml-to-json kind="direct" apply="content-type-json" />', "invalid value 'content-type-json'"),
        # Azure answers this too: the attribute some doc versions name does not exist.
        ('<xml-to-json kind="direct" apply="always" always-array-children="true" />', "'always-array-children'"),
    ],
)
def test_xml_to_json_refusals(xml: str, fragment: str) -> None:
    with pytest.raises(CompileRefusal) as err:
        X2J.compile(parse(xml), Ctx())
    assert fragment in err.value.message


async def test_xml_to_json_direct_observed_shape() -> None:
    st = state("outbound", response=response(SOAP, "text/xml"))
    await run(X2J, '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', st)
    assert st.response is not None
    assert st.response.headers.get("Content-Type") == "application/json"
    assert json.loads(st.response.body) == {
        "version": "1.0",
        "soap$Envelope": {
            "@xmlns": "http://fyicenter.com/",
            "@xmlns$soap": "http://schemas.xmlsoap.org/soap/envelope/",
            "soap$Body": {"GetOrders": {"Customer": "1234567"}},
        },
    }
    assert list(json.loads(st.response.body)) == ["version", "soap$Envelope"]


async def test_xml_to_json_repeated_mixed_and_empty_elements() -> None:
    body = b'<a x="1">t<b/><c>1</c><b></b></a>'
    st = state("outbound", response=response(body, "application/xml"))
    await run(X2J, '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', st)
    assert st.response is not None
    assert json.loads(st.response.body) == {"a": {"@x": "1", "#text": "t", "b": [None, ""], "c": "1"}}


async def test_xml_to_json_javascript_friendly_and_always_array() -> None:
    st = state("outbound", response=response(SOAP, "text/xml"))
    policy = (
        '<xml-to-json kind="javascript-friendly" apply="always" consider-accept-header="false" '
        'always-array-child-elements="true" />'
    )
    await run(X2J, policy, st)
    assert st.response is not None
    assert json.loads(st.response.body) == {
        "soap_Envelope": {"soap_Body": [{"GetOrders": [{"Customer": ["1234567"]}]}]}
    }


async def test_xml_to_json_refuses_dtds_and_entities() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
    st = state("outbound", response=response(bomb, "application/xml"))
    with pytest.raises(PolicyError) as err:
        await run(X2J, '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', st)
    assert "DTD" in err.value.message
    broken = state("outbound", response=response(b"<a><b></a>", "application/xml"))
    with pytest.raises(PolicyError):
        await run(X2J, '<xml-to-json kind="direct" apply="always" consider-accept-header="false" />', broken)


async def test_xml_to_json_apply_and_accept_rules() -> None:
    plain = state("outbound", response=response(b"<a>1</a>", "text/plain"))
    await run(X2J, '<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" />', plain)
    assert plain.response is not None and plain.response.body == b"<a>1</a>"
    no_accept = state("outbound", response=response(b"<a>1</a>", "application/xml"))
    await run(X2J, '<xml-to-json kind="direct" apply="always" />', no_accept)
    assert no_accept.response is not None and no_accept.response.body == b"<a>1</a>"
    accepts = state("outbound", request=request(headers=[("Accept", "application/json")]),
                    response=response(b"<a>1</a>", "application/xml"))  # fmt: skip
    await run(X2J, '<xml-to-json kind="direct" apply="always" />', accepts)
    assert accepts.response is not None and json.loads(accepts.response.body) == {"a": "1"}


async def test_round_trip_through_the_compiler() -> None:
    plan = compile_real(
        "outbound",
        '<json-to-xml apply="content-type-json" consider-accept-header="false" />'
        '<xml-to-json kind="direct" apply="content-type-xml" consider-accept-header="false" />',
    )
    st = real_state(request(method="POST", body=b'{"order": {"id": 5, "tags": ["a", "b"]}}',
                            headers=[("Content-Type", "application/json")]))  # fmt: skip
    result = await run_real(plan, st)
    assert json.loads(result.body) == {"order": {"id": "5", "tags": ["a", "b"]}}
