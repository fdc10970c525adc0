"""APIs, OpenAPI import and operations through azure-mgmt-apimanagement and plain HTTP."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    OperationContract,
    ParameterContract,
)
from tests.conftest import Keyless
from tests.gateway.management.conftest import API, service_path

SPEC = """
openapi: 3.0.1
info: {title: Pets, description: The pet store, version: '1.0'}
servers: [{url: 'https://pets.example/v1'}]
paths:
  /pets:
    get: {operationId: list-pets, summary: List pets, parameters: [{name: limit, in: query, schema: {type: integer}}],
          responses: {'200': {description: ok}}}
    post: {operationId: create-pet, responses: {'201': {description: created}}}
  /pets/{petId}:
    parameters: [{name: petId, in: path, required: true, schema: {type: string}}]
    get: {operationId: get-pet, responses: {'200': {description: ok}}}
"""


def _error(exc: HttpResponseError) -> tuple[str, str | None, str]:
    detail = exc.error.details[0] if exc.error and exc.error.details else None
    return exc.error.code, detail.target if detail else None, detail.message if detail else exc.error.message


def test_api_defaults_and_update(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    api = apim.api.begin_create_or_update(
        rg,
        service,
        "echo",
        ApiCreateOrUpdateParameter(display_name="Echo", path="echo", service_url="http://b.example"),
    ).result()
    assert api.type == "Microsoft.ApiManagement/service/apis"
    assert (api.path, api.service_url, api.protocols, api.subscription_required) == (
        "echo",
        "http://b.example",
        ["https"],
        True,
    )
    assert api.subscription_key_parameter_names.header == "Ocp-Apim-Subscription-Key"
    assert api.subscription_key_parameter_names.query == "subscription-key"
    assert (api.api_revision, api.is_current) == ("1", True)
    renamed = apim.api.begin_create_or_update(
        rg,
        service,
        "echo",
        ApiCreateOrUpdateParameter(
            display_name="Echo",
            path="echo",
            subscription_key_parameter_names={"header": "api-key", "query": "key"},
            subscription_required=False,
            protocols=["http", "https"],
        ),
    ).result()
    assert renamed.subscription_key_parameter_names.header == "api-key"
    assert renamed.subscription_required is False and renamed.protocols == ["http", "https"]
    assert apim.api.get(rg, service, "echo").subscription_key_parameter_names.query == "key"


def test_a_path_belongs_to_one_api(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    apim.api.begin_create_or_update(
        rg, service, "one", ApiCreateOrUpdateParameter(display_name="One", path="shared")
    ).result()
    with pytest.raises(HttpResponseError) as info:
        apim.api.begin_create_or_update(
            rg, service, "two", ApiCreateOrUpdateParameter(display_name="Two", path="shared")
        ).result()
    code, target, message = _error(info.value)
    assert (code, target) == ("ValidationError", "path")
    assert "same Path 'shared' as API 'one'" in message
    with pytest.raises(ResourceNotFoundError):
        apim.api.get(rg, service, "two")
    # a revision of the same API shares the path
    rev = apim.api.begin_create_or_update(
        rg, service, "one;rev=2", ApiCreateOrUpdateParameter(display_name="One", path="shared")
    ).result()
    assert (rev.api_revision, rev.is_current) == ("2", False)


def test_openapi_import_creates_operations(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    api = apim.api.begin_create_or_update(
        rg, service, "pets", ApiCreateOrUpdateParameter(path="pets", format="openapi", value=SPEC)
    ).result()
    assert (api.display_name, api.description, api.service_url) == ("Pets", "The pet store", "https://pets.example/v1")
    ops = {o.name: o for o in apim.api_operation.list_by_api(rg, service, "pets")}
    assert set(ops) == {"list-pets", "create-pet", "get-pet"}
    assert (ops["get-pet"].method, ops["get-pet"].url_template) == ("GET", "/pets/{petId}")
    assert [p.name for p in ops["get-pet"].template_parameters] == ["petId"]
    assert ops["list-pets"].display_name == "List pets"
    assert [q.name for q in ops["list-pets"].request.query_parameters] == ["limit"]
    # a re-import replaces the operations
    smaller = SPEC.split("  /pets/{petId}:")[0]
    apim.api.begin_create_or_update(
        rg, service, "pets", ApiCreateOrUpdateParameter(path="pets", format="openapi", value=smaller)
    ).result()
    assert {o.name for o in apim.api_operation.list_by_api(rg, service, "pets")} == {"list-pets", "create-pet"}


def test_link_formats_and_bad_specs_are_refused(keyless: Keyless, service: str) -> None:
    base = f"{service_path(keyless, service)}/apis/linked"
    r = keyless.arm(
        "PUT", base, API, json={"properties": {"path": "linked", "format": "openapi-link", "value": "https://x/y"}}
    )
    assert r.status_code == 400
    detail = r.json()["error"]["details"][0]
    assert detail["target"] == "format" and "openapi-link" in detail["message"]
    r = keyless.arm("PUT", base, API, json={"properties": {"path": "linked", "format": "openapi+json", "value": "{"}})
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "value"
    r = keyless.arm("PUT", base, API, json={"properties": {"path": "linked", "sourceApiId": "/apis/x"}})
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "sourceApiId"
    assert keyless.arm("GET", base, API).status_code == 404


def test_operations_with_templates(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    apim.api.begin_create_or_update(
        rg, service, "orders", ApiCreateOrUpdateParameter(display_name="Orders", path="orders")
    ).result()
    op = apim.api_operation.create_or_update(
        rg,
        service,
        "orders",
        "get-order",
        OperationContract(
            display_name="Get order",
            method="GET",
            url_template="/orders/{id}?expand={expand}",
            template_parameters=[
                ParameterContract(name="id", type="string", required=True),
                ParameterContract(name="expand", type="string", required=True),
            ],
        ),
    )
    assert (op.method, op.url_template) == ("GET", "/orders/{id}?expand={expand}")
    wildcard = apim.api_operation.create_or_update(
        rg, service, "orders", "all", OperationContract(display_name="All", method="POST", url_template="/*")
    )
    assert wildcard.url_template == "/*"
    with pytest.raises(HttpResponseError) as info:
        apim.api_operation.create_or_update(
            rg,
            service,
            "orders",
            "undeclared",
            OperationContract(display_name="Bad", method="GET", url_template="/orders/{id}"),
        )
    assert _error(info.value)[:2] == ("ValidationError", "templateParameters")
    assert {o.name for o in apim.api_operation.list_by_api(rg, service, "orders")} == {"get-order", "all"}
    apim.api_operation.delete(rg, service, "orders", "all", if_match="*")
    with pytest.raises(ResourceNotFoundError):
        apim.api_operation.get(rg, service, "orders", "all")


def test_list_pages_with_next_link(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    for i in range(3):
        apim.api.begin_create_or_update(
            rg, service, f"paged-{i}", ApiCreateOrUpdateParameter(display_name=f"P{i}", path=f"paged-{i}")
        ).result()
    page = keyless.arm("GET", f"{service_path(keyless, service)}/apis?$top=1", API).json()
    assert len(page["value"]) == 1 and "nextLink" in page
    names = {a.name for a in apim.api.list_by_service(rg, service, top=1)}
    assert {"paged-0", "paged-1", "paged-2"} <= names


def test_missing_things_are_404(keyless: Keyless, apim: ApiManagementClient, service: str) -> None:
    rg = keyless.e["resource_group"]
    with pytest.raises(ResourceNotFoundError):
        apim.api.get(rg, service, "nope")
    with pytest.raises(ResourceNotFoundError):
        apim.api_operation.get(rg, service, "nope", "op")
    r = keyless.arm("PUT", f"{service_path(keyless, 'no-such-service')}/apis/a", API, json={"properties": {}})
    assert r.status_code == 404 and json.loads(r.text)["error"]["code"] == "ResourceNotFound"
