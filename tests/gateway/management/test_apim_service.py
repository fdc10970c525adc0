"""Microsoft.ApiManagement/service through azure-mgmt-apimanagement and plain HTTP."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.apimanagement.models import (
    ApiCreateOrUpdateParameter,
    ApiManagementServiceIdentity,
    ApiManagementServiceResource,
    ApiManagementServiceSkuProperties,
    ApiManagementServiceUpdateParameters,
)
from tests.conftest import Keyless
from tests.gateway.management.conftest import API, new_service, service_path


def test_create_get_update_list_and_delete_a_service(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    name = new_service(apim, rg)
    got = apim.api_management_service.get(rg, name)
    assert got.type == "Microsoft.ApiManagement/service"
    assert (got.publisher_email, got.publisher_name, got.provisioning_state) == (
        "api@contoso.com",
        "Contoso",
        "Succeeded",
    )
    assert got.sku.name == "Developer" and got.sku.capacity == 1
    assert got.gateway_url.startswith("http://127.0.0.1:")
    assert got.hostname_configurations[0].host_name == f"{name}.azure-api.net"
    assert name in {s.name for s in apim.api_management_service.list_by_resource_group(rg)}

    updated = apim.api_management_service.begin_update(
        rg, name, ApiManagementServiceUpdateParameters(tags={"env": "test"})
    ).result()
    assert updated.tags == {"env": "test"}
    # the gateway keeps its origin across writes
    assert updated.gateway_url == got.gateway_url

    apim.api_management_service.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        apim.api_management_service.get(rg, name)


def test_system_assigned_identity_is_made_and_removed_with_the_service(
    keyless: Keyless, apim: ApiManagementClient
) -> None:
    rg = keyless.e["resource_group"]
    name = "apim-mi-" + keyless.tenant[:6]
    created = apim.api_management_service.begin_create_or_update(
        rg,
        name,
        ApiManagementServiceResource(
            location="westeurope",
            sku=ApiManagementServiceSkuProperties(name="Consumption", capacity=0),
            publisher_email="api@contoso.com",
            publisher_name="Contoso",
            identity=ApiManagementServiceIdentity(type="SystemAssigned"),
        ),
    ).result()
    principal = created.identity.principal_id
    assert created.identity.type == "SystemAssigned" and created.identity.tenant_id == keyless.tenant
    assert keyless.graph("GET", f"/servicePrincipals/{principal}").status_code == 200
    apim.api_management_service.begin_delete(rg, name).result()
    assert keyless.graph("GET", f"/servicePrincipals/{principal}").status_code == 404


def test_publisher_and_sku_are_required(keyless: Keyless) -> None:
    path = service_path(keyless, "apim-bad")
    r = keyless.arm(
        "PUT", path, API, json={"location": "westeurope", "sku": {"name": "Developer", "capacity": 1}, "properties": {}}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "ValidationError"
    assert error["details"][0]["target"] == "publisherEmail"
    body = {"location": "westeurope", "properties": {"publisherEmail": "a@b.c", "publisherName": "n"}}
    r = keyless.arm("PUT", path, API, json=body)
    assert r.status_code == 400 and r.json()["error"]["details"][0]["target"] == "sku"
    assert keyless.arm("GET", path, API).status_code == 404


def test_deleting_a_service_removes_its_children(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    name = new_service(apim, rg)
    apim.api.begin_create_or_update(
        rg, name, "orders", ApiCreateOrUpdateParameter(display_name="Orders", path="orders")
    ).result()
    apim.api_management_service.begin_delete(rg, name).result()
    new_service(apim, rg, name)
    # a service made again under the same name starts empty
    assert list(apim.api.list_by_service(rg, name)) == []
    with pytest.raises(ResourceNotFoundError):
        apim.api.get(rg, name, "orders")


def test_unknown_api_version_is_refused(keyless: Keyless, service: str) -> None:
    r = keyless.arm("GET", service_path(keyless, service), "2019-01-01")
    assert r.status_code == 400 and r.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_user_assigned_identity(keyless: Keyless, apim: ApiManagementClient) -> None:
    rg = keyless.e["resource_group"]
    uami = f"{keyless.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/apim-uami"
    made = keyless.arm("PUT", uami, "2023-01-31", json={"location": "westeurope"}).json()
    service = apim.api_management_service.begin_create_or_update(
        rg,
        "apim-uami-host",
        ApiManagementServiceResource(
            location="westeurope",
            sku=ApiManagementServiceSkuProperties(name="Developer", capacity=1),
            publisher_email="api@contoso.com",
            publisher_name="Contoso",
            identity=ApiManagementServiceIdentity(type="UserAssigned", user_assigned_identities={uami: {}}),
        ),
    ).result()
    (assigned,) = service.identity.user_assigned_identities.values()
    assert assigned.client_id == made["properties"]["clientId"]
    assert assigned.principal_id == made["properties"]["principalId"]
    assert service.identity.principal_id is None
    apim.api_management_service.begin_delete(rg, "apim-uami-host").result()
    # the user-assigned identity outlives the service
    assert keyless.arm("GET", uami, "2023-01-31").status_code == 200
