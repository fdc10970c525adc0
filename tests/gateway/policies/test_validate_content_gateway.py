"""validate-content through keyless's real gateway: snapshot with an operation contract and API schemas, routing,
subscription check, pipeline, forward-request to a local backend, the listener on the wire. Also the shared
fixtures (`Backend`, `gateway`, `build`, `document`) of the other validation policies' gateway tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.gateway.policies._listener import document, listening

from keyless.gateway import snapshot as snapshot_module

GLOBAL = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>"
KEY = "k-validate"
ORDER_SCHEMA = {
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "required": ["id", "qty"],
                "properties": {
                    "id": {"type": "string", "pattern": "^o-[0-9]+$"},
                    "qty": {"type": "integer", "minimum": 1, "maximum": 10},
                    "note": {"type": "string", "nullable": True},
                    "lines": {"type": "array", "items": {"$ref": "#/components/schemas/Line"}},
                },
                "additionalProperties": True,
            },
            "Line": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}},
            "Odd": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
        }
    }
}
SHARED_SCHEMA = {
    "definitions": {"Ping": {"type": "object", "required": ["ping"], "properties": {"ping": {"type": "boolean"}}}}
}

XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'
# The API's XSD includes a service schema by its `/schemas/{id}` location, as APIM allows.
XSD = (
    f'<xs:schema {XS}><xs:include schemaLocation="/schemas/qty"/><xs:element name="order"><xs:complexType>'
    '<xs:sequence><xs:element name="qty" type="qtyType"/></xs:sequence></xs:complexType></xs:element></xs:schema>'
)
QTY_XSD = (
    f'<xs:schema {XS}><xs:simpleType name="qtyType"><xs:restriction base="xs:integer">'
    '<xs:maxInclusive value="10"/></xs:restriction></xs:simpleType></xs:schema>'
)
PING_XSD = f'<xs:schema {XS}><xs:element name="ping" type="xs:boolean"/></xs:schema>'


class Backend:
    """A local backend answering what the request asks for: `X-Answer-Status`, `X-Answer-Type`, `X-Answer-Body`,
    and `X-Answer-Header: name=value` (repeatable) become the response."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.url = ""
        self._runner: Any = None

    async def start(self) -> Backend:
        from aiohttp import web

        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            self.received.append({"path": request.path_qs, "body": body, "headers": dict(request.headers)})
            status = int(request.headers.get("X-Answer-Status", "200"))
            answer = request.headers.get("X-Answer-Body", "")
            response = web.Response(status=status, body=answer.encode())
            response.headers["Content-Type"] = request.headers.get("X-Answer-Type", "application/json")
            for item in request.headers.getall("X-Answer-Header", []):
                name, _, value = item.partition("=")
                response.headers.add(name, value)
            return response

        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    server = await Backend().start()
    yield server
    await server.stop()


OPERATIONS = [
    {
        "name": "create-order",
        "properties": {
            "method": "POST",
            "urlTemplate": "/orders/{shop}?mode={mode}",
            "templateParameters": [
                {"name": "shop", "type": "integer", "required": True},
                {"name": "mode", "type": "string", "required": True, "values": ["fast", "slow"]},
            ],
            "request": {
                "queryParameters": [{"name": "limit", "type": "integer", "required": False}],
                "headers": [{"name": "X-Trace", "type": "boolean", "required": False}],
                "representations": [
                    {"contentType": "application/json", "schemaId": "orders", "typeName": "Order"},
                    {"contentType": "text/plain"},
                    {"contentType": "application/odd", "schemaId": "orders", "typeName": "Odd"},
                    {"contentType": "application/gone", "schemaId": "orders", "typeName": "Missing"},
                    {"contentType": "application/xml", "schemaId": "orders-xsd", "typeName": "order"},
                ],
            },
            "responses": [
                {
                    "statusCode": 200,
                    "representations": [{"contentType": "application/json", "schemaId": "orders", "typeName": "Order"}],
                    "headers": [{"name": "X-Rate", "type": "integer"}, {"name": "Content-Type", "type": "string"}],
                },
                {"statusCode": 404, "representations": []},
            ],
        },
    },
]


def build(backend: Backend, api_policy: str) -> Any:
    return snapshot_module.build_snapshot(
        {"name": "svc", "location": "westeurope"},
        apis=[{"name": "shop", "properties": {"path": "shop", "serviceUrl": f"{backend.url}/svc"}}],
        operations={"shop": OPERATIONS},
        subscriptions=[
            {"name": "s", "properties": {"scope": "/apis", "state": "active", "primaryKey": KEY, "secondaryKey": "k2"}}
        ],
        policies={("global",): GLOBAL, ("api", "shop"): api_policy},
        api_schemas={
            "shop": [
                {"name": "orders", "properties": {"contentType": "json", "document": ORDER_SCHEMA}},
                {
                    "name": "orders-xsd",
                    "properties": {"contentType": "application/vnd.ms-azure-apim.xsd+xml", "document": {"value": XSD}},
                },
            ]
        },
        global_schemas=[
            {"name": "shared", "properties": {"schemaType": "json", "document": SHARED_SCHEMA}},
            {"name": "qty", "properties": {"schemaType": "xml", "value": QTY_XSD}},
            {"name": "ping-xml", "properties": {"schemaType": "xml", "value": PING_XSD}},
        ],
    )


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Any]:
    async with listening(tmp_path, KEY) as start:
        yield start


# The on-error section shows what APIM records: LastError and the errors variable.
REPORT = (
    '<return-response><set-status code="299" reason="Reported"/><set-body>@{'
    "var e = context.LastError; "
    'return e.Source + "|" + e.Reason + "|" + e.Message + "|" + '
    '(context.Variables.ContainsKey("errs") ? "logged" : "none");'
    "}</set-body></return-response>"
)
ORDER = "/shop/orders/7?mode=fast"


def content_policy(inner: str, **attrs: str) -> str:
    base = {
        "unspecified-content-type-action": "prevent",
        "max-size": "1024",
        "size-exceeded-action": "prevent",
        "errors-variable-name": "errs",
    }
    base.update(attrs)
    text = " ".join(f'{k}="{v}"' for k, v in base.items())
    return f"<validate-content {text}>{inner}</validate-content>"


JSON_CONTENT = '<content type="application/json" validate-as="json" action="prevent" />'


async def test_a_conforming_body_reaches_the_backend(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(JSON_CONTENT))))
    body = {"id": "o-1", "qty": 2, "note": None, "lines": [{"sku": "a"}]}
    status, _, _ = await call("POST", ORDER, json=body)
    assert status == 200
    assert json.loads(backend.received[-1]["body"]) == body


async def test_a_body_breaking_the_schema_is_refused_with_400(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(JSON_CONTENT))))
    status, headers, raw = await call("POST", ORDER, json={"id": "o-1", "qty": 11})
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    body = json.loads(raw)
    assert body["statusCode"] == 400
    assert body["message"].startswith(
        "Body of the request does not conform to the definition Order, which is associated with the content type "
        "application/json."
    )
    assert "exceeds maximum value of 10" in body["message"]
    assert backend.received == []


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"qty": 1}, "Required properties are missing from object: id."),
        ({"id": "x", "qty": 1}, "does not match regex pattern"),
        ({"id": "o-1", "qty": "2"}, "Invalid type. Expected Integer but got String. Path 'qty'."),
        ({"id": "o-1", "qty": 1, "lines": [{}]}, "Required properties are missing from object: sku. Path 'lines[0]'."),
        ([1], "Invalid type. Expected Object but got Array."),
    ],
)
async def test_schema_rules(backend: Backend, gateway: Any, payload: Any, fragment: str) -> None:
    call = await gateway(build(backend, document(content_policy(JSON_CONTENT))))
    status, _, raw = await call("POST", ORDER, json=payload)
    assert status == 400
    assert fragment in json.loads(raw)["message"]


async def test_detect_logs_to_the_variable_and_lets_the_request_through(backend: Backend, gateway: Any) -> None:
    inner = '<content type="application/json" validate-as="json" action="detect" />'
    outbound = (
        '<set-header name="X-Errors" exists-action="override">'
        '<value>@(context.Variables.ContainsKey("errs") ? "logged" : "none")</value></set-header>'
    )
    policy = document(content_policy(inner), outbound=outbound)
    call = await gateway(build(backend, policy))
    status, headers, _ = await call("POST", ORDER, json={"qty": 0})
    assert status == 200
    assert headers["X-Errors"] == "logged"


async def test_last_error_and_on_error(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(JSON_CONTENT), on_error=REPORT)))
    status, _, raw = await call("POST", ORDER, json={"id": "o-1"})
    assert status == 299
    source, reason, message, logged = raw.decode().split("|")
    assert (source, reason, logged) == ("validate-content", "Bad request", "logged")
    assert "Required properties are missing from object: qty." in message


async def test_additional_properties_override(backend: Backend, gateway: Any) -> None:
    inner = (
        '<content type="application/json" validate-as="json" action="prevent" allow-additional-properties="false" />'
    )
    call = await gateway(build(backend, document(content_policy(inner))))
    status, _, raw = await call("POST", ORDER, json={"id": "o-1", "qty": 1, "extra": 1})
    assert status == 400
    assert "Property 'extra' has not been defined" in json.loads(raw)["message"]


async def test_case_insensitive_property_names(backend: Backend, gateway: Any) -> None:
    strict = '<content type="application/json" validate-as="json" action="prevent" />'
    loose = strict.replace("/>", 'case-insensitive-property-names="true" />')
    call = await gateway(build(backend, document(content_policy(strict))))
    assert (await call("POST", ORDER, json={"ID": "o-1", "QTY": 1}))[0] == 400
    call = await gateway(build(backend, document(content_policy(loose))))
    assert (await call("POST", ORDER, json={"ID": "o-1", "QTY": 1}))[0] == 200


async def test_size_limit(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy("", **{"max-size": "10"}))))
    status, _, raw = await call("POST", ORDER, data=b"0123456789A", headers={"Content-Type": "text/plain"})
    assert status == 400
    assert json.loads(raw)["message"] == "Request's body is 11 bytes long and it exceeds the limit of 10 bytes."
    assert (await call("POST", ORDER, data=b"0123456789", headers={"Content-Type": "text/plain"}))[0] == 200


async def test_unspecified_content_type(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(""))))
    status, _, raw = await call("POST", ORDER, data=b"<a/>", headers={"Content-Type": "application/yaml"})
    assert status == 400
    assert json.loads(raw)["message"] == "Unspecified content type application/yaml is not allowed."
    call = await gateway(build(backend, document(content_policy("", **{"unspecified-content-type-action": "ignore"}))))
    assert (await call("POST", ORDER, data=b"<a/>", headers={"Content-Type": "application/yaml"}))[0] == 200


async def test_content_type_map(backend: Backend, gateway: Any) -> None:
    inner = (
        '<content-type-map missing-content-type-value="application/json">'
        '<type from="application/hal+json" to="application/json" />'
        '<type when="@(context.Request.Headers.GetValueOrDefault(&quot;X-Kind&quot;, &quot;&quot;) == &quot;j&quot;)" '
        'to="application/json" />'
        "</content-type-map>" + JSON_CONTENT
    )
    call = await gateway(build(backend, document(content_policy(inner))))
    bad = json.dumps({"qty": 1}).encode()
    for headers in ({"Content-Type": "application/hal+json"}, {"Content-Type": "application/x-y", "X-Kind": "j"}):
        status, _, raw = await call("POST", ORDER, data=bad, headers=headers)
        assert status == 400, headers
        assert "Required properties are missing" in json.loads(raw)["message"]
    status, _, raw = await call("POST", ORDER, data=bad, headers={"Content-Type": ""})
    assert status == 400
    assert "Required properties are missing" in json.loads(raw)["message"]


async def test_any_content_type_value_and_shared_schema(backend: Backend, gateway: Any) -> None:
    inner = (
        '<content-type-map any-content-type-value="application/json" />'
        '<content type="application/json" validate-as="json" action="prevent" schema-id="shared" '
        'schema-ref="#/definitions/Ping" />'
    )
    call = await gateway(build(backend, document(content_policy(inner))))
    status, _, raw = await call("POST", ORDER, data=b'{"ping": 1}', headers={"Content-Type": "text/plain"})
    assert status == 400
    assert "Expected Boolean but got Integer" in json.loads(raw)["message"]
    assert (await call("POST", ORDER, data=b'{"ping": true}', headers={"Content-Type": "text/plain"}))[0] == 200


async def test_schema_problems_are_internal_errors_to_the_client(backend: Backend, gateway: Any) -> None:
    inner = '<content validate-as="json" action="prevent" />'  # no type: every specified content type
    call = await gateway(build(backend, document(content_policy(inner), on_error="")))
    for content_type in ("application/odd", "application/gone"):
        status, _, raw = await call("POST", ORDER, data=b"{}", headers={"Content-Type": content_type})
        assert status == 400
        assert (
            json.loads(raw)["message"]
            == "The request could not be processed due to an internal error. Contact the API owner."
        )
    call = await gateway(build(backend, document(content_policy(inner), on_error=REPORT)))
    _, _, raw = await call("POST", ORDER, data=b"{}", headers={"Content-Type": "application/gone"})
    assert "API's schema does not contain definition Missing" in raw.decode()
    _, _, raw = await call("POST", ORDER, data=b"{}", headers={"Content-Type": "application/odd"})
    assert "schema keyword 'patternProperties' is not supported" in raw.decode()


async def test_response_body_is_refused_with_502(backend: Backend, gateway: Any) -> None:
    policy = document(outbound=content_policy(JSON_CONTENT))
    call = await gateway(build(backend, policy))
    ok = {"X-Answer-Body": json.dumps({"id": "o-2", "qty": 3})}
    assert (await call("POST", ORDER, json={}, headers=ok))[0] == 200
    bad = {"X-Answer-Body": json.dumps({"id": "o-2"})}
    status, _, raw = await call("POST", ORDER, json={}, headers=bad)
    assert status == 502
    assert json.loads(raw) == {
        "statusCode": 502,
        "message": "The request could not be processed due to an internal error. Contact the API owner.",
    }
    call = await gateway(build(backend, document(outbound=content_policy(JSON_CONTENT), on_error=REPORT)))
    _, _, raw = await call("POST", ORDER, json={}, headers=bad)
    assert raw.decode().startswith("validate-content|Response not allowed|Body of the response does not conform")


XML_CONTENT = '<content type="application/xml" validate-as="xml" action="prevent" />'
XML = {"Content-Type": "application/xml"}


async def test_xml_body_against_the_api_schema(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(XML_CONTENT))))
    assert (await call("POST", ORDER, data=b"<order><qty>3</qty></order>", headers=XML))[0] == 200
    status, _, raw = await call("POST", ORDER, data=b"<order>\n<qty>30</qty></order>", headers=XML)
    assert status == 400
    assert json.loads(raw)["message"] == (
        "Body of the request does not conform to the definition order, which is associated with the content type "
        "application/xml. Element 'qty': [facet 'maxInclusive'] The value '30' is greater than the maximum value "
        "allowed ('10'). Line: 2, Position: 0"
    )
    status, _, raw = await call("POST", ORDER, data=b"<order><qty>1</qty>", headers=XML)
    assert status == 400
    assert "Premature end of data" in json.loads(raw)["message"]


async def test_xml_dtds_are_refused(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(XML_CONTENT))))
    body = b'<!DOCTYPE order [<!ENTITY x SYSTEM "file:///etc/passwd">]><order><qty>&x;</qty></order>'
    status, _, raw = await call("POST", ORDER, data=body, headers=XML)
    assert status == 400
    assert "For security reasons DTD is prohibited in this XML document." in json.loads(raw)["message"]
    assert backend.received == []


async def test_xml_against_a_service_schema_and_a_missing_one(backend: Backend, gateway: Any) -> None:
    inner = (
        '<content-type-map any-content-type-value="application/xml" />'
        '<content type="application/xml" validate-as="xml" action="prevent" schema-id="ping-xml" />'
    )
    call = await gateway(build(backend, document(content_policy(inner))))
    assert (await call("POST", ORDER, data=b"<ping>true</ping>", headers={"Content-Type": "text/plain"}))[0] == 200
    status, _, raw = await call("POST", ORDER, data=b"<ping>yes</ping>", headers={"Content-Type": "text/plain"})
    assert status == 400
    assert "is not a valid value of the atomic type 'xs:boolean'" in json.loads(raw)["message"]
    missing = inner.replace("ping-xml", "nope")
    call = await gateway(build(backend, document(content_policy(missing), on_error=REPORT)))
    _, _, raw = await call("POST", ORDER, data=b"<ping/>", headers=XML)
    assert raw.decode() == (
        "validate-content|Bad request|API's schema does not exist or it could not be resolved.|logged"
    )


async def test_bodies_that_are_not_json(backend: Backend, gateway: Any) -> None:
    call = await gateway(build(backend, document(content_policy(JSON_CONTENT, **{"max-size": "100000"}))))
    for body in (b'{"id": "o-1", "qty": NaN}', b"{", b"[" * 50000):
        status, _, raw = await call("POST", ORDER, data=body, headers={"Content-Type": "application/json"})
        assert status == 400, body[:20]
        assert json.loads(raw)["message"].startswith("Body of the request does not conform to the definition Order")
