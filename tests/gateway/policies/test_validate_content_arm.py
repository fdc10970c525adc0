"""validate-content end to end through ARM: an API schema (`apis/{api}/schemas`), a service schema (`schemas`),
an operation whose representation names the API schema, and the gateway listener answering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from tests.platform.inprocess import InProcessKeyless, arm

COMPONENTS = {
    "components": {
        "schemas": {"Pet": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}}
    }
}
XSD = (
    '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="pet"><xs:complexType>'
    '<xs:attribute name="name" use="required"/></xs:complexType></xs:element></xs:schema>'
)
POLICY = (
    "<policies><inbound>"
    '<validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent">'
    '<content type="application/json" validate-as="json" action="prevent" />'
    '<content type="application/xml" validate-as="xml" action="prevent" schema-id="pet-xml" />'
    "</validate-content>"
    '<return-response><set-status code="200" reason="OK" /><set-body>accepted</set-body></return-response>'
    "</inbound><backend /><outbound /><on-error /></policies>"
)


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    server = InProcessKeyless(tmp_path_factory.mktemp("validate-content-arm")).start()
    try:
        yield server
    finally:
        server.stop()


def test_schemas_put_through_arm_reach_the_policy(kl: InProcessKeyless) -> None:
    svc = f"/subscriptions/{kl.e['subscription_id']}/resourceGroups/{kl.e['resource_group']}"
    svc += "/providers/Microsoft.ApiManagement/service/validating"
    service = {
        "location": "westeurope",
        "sku": {"name": "Developer", "capacity": 1},
        "properties": {"publisherEmail": "a@b.c", "publisherName": "n"},
    }
    gateway = arm(kl, "PUT", svc, service).json()["properties"]["gatewayUrl"]
    api = {"properties": {"path": "pets", "displayName": "Pets", "subscriptionRequired": False}}
    assert arm(kl, "PUT", f"{svc}/apis/pets", api).status_code == 201
    schema = {"properties": {"contentType": "application/vnd.oai.openapi.components+json", "document": COMPONENTS}}
    assert arm(kl, "PUT", f"{svc}/apis/pets/schemas/pets", schema).status_code == 201
    bad = {"properties": {"contentType": "text/plain", "document": {}}}
    refused = arm(kl, "PUT", f"{svc}/apis/pets/schemas/bad", bad)
    assert refused.status_code == 400
    assert refused.json()["error"]["details"][0]["target"] == "contentType"
    assert arm(kl, "PUT", f"{svc}/schemas/pet-xml", {"properties": {"schemaType": "xml", "value": XSD}}).ok
    assert arm(kl, "PUT", f"{svc}/schemas/empty", {"properties": {"schemaType": "json"}}).status_code == 400
    representations = [
        {"contentType": "application/json", "schemaId": "pets", "typeName": "Pet"},
        {"contentType": "application/xml"},
    ]
    op = {
        "properties": {
            "displayName": "Add",
            "method": "POST",
            "urlTemplate": "/add",
            "request": {"representations": representations},
        }
    }
    assert arm(kl, "PUT", f"{svc}/apis/pets/operations/add", op).status_code == 201
    policy = {"properties": {"value": POLICY, "format": "rawxml"}}
    assert arm(kl, "PUT", f"{svc}/apis/pets/operations/add/policies/policy", policy).status_code == 201

    ok = requests.post(f"{gateway}/pets/add", json={"name": "rex"}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "accepted")
    refused = requests.post(f"{gateway}/pets/add", json={"legs": 4}, timeout=10)
    assert refused.status_code == 400
    assert "Required properties are missing from object: name." in refused.json()["message"]
    xml = {"Content-Type": "application/xml"}
    assert requests.post(f"{gateway}/pets/add", data=b'<pet name="rex"/>', headers=xml, timeout=10).status_code == 200
    refused = requests.post(f"{gateway}/pets/add", data=b"<pet/>", headers=xml, timeout=10)
    assert refused.status_code == 400
    assert "The attribute 'name' is required but missing." in refused.json()["message"]


SPEC = """
openapi: 3.0.1
info: {title: Shop, version: "1"}
paths:
  /orders/{id}:
    put:
      operationId: putOrder
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: mode, in: query, schema: {type: string, enum: [fast, slow]}}
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
          text/csv:
            schema: {type: object, required: [line], properties: {line: {type: string}}}
      responses:
        "200":
          description: ok
          headers:
            X-Rate: {schema: {type: integer}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Order'}
components:
  schemas:
    Order:
      type: object
      required: [qty]
      properties:
        qty: {type: integer, maximum: 10}
        lines: {type: array, items: {$ref: '#/components/schemas/Line'}}
    Line: {type: object, required: [sku], properties: {sku: {type: string}}}
"""
IMPORTED_POLICY = (
    "<policies><inbound>"
    '<validate-parameters specified-parameter-action="prevent" unspecified-parameter-action="prevent">'
    '<headers specified-parameter-action="prevent" unspecified-parameter-action="ignore" /></validate-parameters>'
    '<validate-content unspecified-content-type-action="prevent" max-size="1024" size-exceeded-action="prevent">'
    '<content validate-as="json" action="prevent" /></validate-content>'
    '<return-response><set-status code="200" reason="OK" /><set-body>accepted</set-body></return-response>'
    "</inbound><backend /><outbound /><on-error /></policies>"
)


def test_an_imported_openapi_document_gives_the_definitions(kl: InProcessKeyless) -> None:
    svc = f"/subscriptions/{kl.e['subscription_id']}/resourceGroups/{kl.e['resource_group']}"
    svc += "/providers/Microsoft.ApiManagement/service/imported"
    service = {
        "location": "westeurope",
        "sku": {"name": "Developer", "capacity": 1},
        "properties": {"publisherEmail": "a@b.c", "publisherName": "n"},
    }
    gateway = arm(kl, "PUT", svc, service).json()["properties"]["gatewayUrl"]
    api = {"properties": {"path": "shop", "subscriptionRequired": False, "format": "openapi", "value": SPEC}}
    assert arm(kl, "PUT", f"{svc}/apis/shop", api).status_code in (200, 201)
    op = arm(kl, "GET", f"{svc}/apis/shop/operations/putOrder").json()["properties"]
    json_rep = op["request"]["representations"][0]
    assert (json_rep["contentType"], json_rep["typeName"]) == ("application/json", "Order")
    assert op["request"]["queryParameters"][0]["values"] == ["fast", "slow"]
    assert op["responses"][0]["headers"][0]["name"] == "X-Rate"
    schema = arm(kl, "GET", f"{svc}/apis/shop/schemas/{json_rep['schemaId']}").json()["properties"]
    assert schema["contentType"] == "application/vnd.oai.openapi.components+json"
    assert {"Order", "Line", "PutOrderRequest"} <= set(schema["document"]["components"]["schemas"])
    policy = {"properties": {"value": IMPORTED_POLICY, "format": "rawxml"}}
    assert arm(kl, "PUT", f"{svc}/apis/shop/policies/policy", policy).status_code == 201

    url = f"{gateway}/shop/orders/1?mode=fast"
    assert requests.put(url, json={"qty": 2, "lines": [{"sku": "a"}]}, timeout=10).status_code == 200
    refused = requests.put(url, json={"qty": 2, "lines": [{}]}, timeout=10)
    assert refused.status_code == 400
    assert "Required properties are missing from object: sku. Path 'lines[0]'." in refused.json()["message"]
    csv = requests.put(url, data=b"{}", headers={"Content-Type": "text/csv"}, timeout=10)
    assert csv.status_code == 400
    assert "definition PutOrderRequest" in csv.json()["message"]
    refused = requests.put(f"{gateway}/shop/orders/1?mode=slowest", json={"qty": 1}, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("The value of the query parameter mode does not conform")
