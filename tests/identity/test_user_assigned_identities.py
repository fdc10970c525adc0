"""Microsoft.ManagedIdentity/userAssignedIdentities through azure-mgmt-msi and plain HTTP against `keyless up`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.msi import ManagedServiceIdentityClient
from azure.mgmt.msi.models import Identity, IdentityUpdate

from tests.conftest import Keyless

TYPE_PATH = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"
API = "2024-11-30"


@pytest.fixture(scope="module")
def msi(keyless: Keyless) -> Iterator[ManagedServiceIdentityClient]:
    with keyless.mgmt_client(ManagedServiceIdentityClient) as client:
        yield client


def _name() -> str:
    return f"uami-{uuid.uuid4().hex[:8]}"


def test_create_get_list_update_delete_with_the_sdk(keyless: Keyless, msi: ManagedServiceIdentityClient) -> None:
    rg = keyless.e["resource_group"]
    name = _name()
    created = msi.user_assigned_identities.create_or_update(
        rg, name, Identity(location="westeurope", tags={"team": "a"})
    )
    assert created.name == name
    assert created.type == "Microsoft.ManagedIdentity/userAssignedIdentities"
    # MSI spells the group segment `resourcegroups`, as Azure's own responses do
    assert created.id == f"/subscriptions/{keyless.e['subscription_id']}/resourcegroups/{rg}/{TYPE_PATH}/{name}"
    assert created.tenant_id == keyless.tenant
    assert created.isolation_scope == "None"
    uuid.UUID(created.principal_id)
    uuid.UUID(created.client_id)
    assert created.tags == {"team": "a"}

    got = msi.user_assigned_identities.get(rg, name)
    assert (got.principal_id, got.client_id, got.location) == (created.principal_id, created.client_id, "westeurope")

    by_group = {i.name for i in msi.user_assigned_identities.list_by_resource_group(rg)}
    by_subscription = {i.name for i in msi.user_assigned_identities.list_by_subscription()}
    assert name in by_group
    assert name in by_subscription

    updated = msi.user_assigned_identities.update(rg, name, IdentityUpdate(tags={"team": "b"}))
    assert updated.tags == {"team": "b"}
    assert updated.principal_id == created.principal_id
    assert msi.user_assigned_identities.get(rg, name).tags == {"team": "b"}

    msi.user_assigned_identities.delete(rg, name)
    with pytest.raises(ResourceNotFoundError) as info:
        msi.user_assigned_identities.get(rg, name)
    assert info.value.error is not None and info.value.error.code == "ResourceNotFound"
    assert name not in {i.name for i in msi.user_assigned_identities.list_by_subscription()}


def test_re_put_keeps_the_principal_and_ignores_read_only_properties(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{TYPE_PATH}/{_name()}"
    first = keyless.arm("PUT", path, API, json={"location": "westeurope"})
    assert first.status_code == 201, first.text
    props = first.json()["properties"]
    forged = {"principalId": str(uuid.uuid4()), "clientId": str(uuid.uuid4()), "tenantId": str(uuid.uuid4())}
    second = keyless.arm("PUT", path, API, json={"location": "westeurope", "properties": forged, "tags": {"x": "1"}})
    assert second.status_code == 200, second.text
    assert second.json()["properties"] == props
    assert second.json()["tags"] == {"x": "1"}
    assert keyless.arm("GET", path, API).json()["properties"] == props
    # the same resource whatever the case of its id
    assert keyless.arm("GET", path.upper().replace("SUBSCRIPTIONS", "subscriptions"), API).status_code == 200
    assert keyless.arm("DELETE", path, API).status_code == 200
    assert keyless.arm("DELETE", path, API).status_code == 204


@pytest.mark.parametrize("api_version", ["2015-08-31-preview", "2018-11-30", "2023-01-31", "2023-07-31-preview"])
def test_older_api_versions_have_no_isolation_scope(keyless: Keyless, api_version: str) -> None:
    path = f"{keyless.rg_path}/{TYPE_PATH}/{_name()}"
    r = keyless.arm("PUT", path, api_version, json={"location": "westeurope"})
    assert r.status_code == 201, r.text
    assert set(r.json()["properties"]) == {"tenantId", "principalId", "clientId"}
    assert "isolationScope" in keyless.arm("GET", path, API).json()["properties"]
    keyless.arm("DELETE", path, api_version)


def test_isolation_scope_is_set_checked_and_kept(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{TYPE_PATH}/{_name()}"
    r = keyless.arm("PUT", path, API, json={"location": "westeurope", "properties": {"isolationScope": "regional"}})
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["isolationScope"] == "Regional"
    bad = keyless.arm("PUT", path, API, json={"location": "westeurope", "properties": {"isolationScope": "Global"}})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "InvalidIsolationScope"
    # an older api-version neither shows nor resets it
    assert keyless.arm("PUT", path, "2023-01-31", json={"location": "westeurope"}).status_code == 200
    assert keyless.arm("GET", path, API).json()["properties"]["isolationScope"] == "Regional"
    keyless.arm("DELETE", path, API)


def test_invalid_name_is_refused_and_nothing_is_made(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{TYPE_PATH}/-bad"
    r = keyless.arm("PUT", path, API, json={"location": "westeurope"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidResourceName"
    assert keyless.arm("GET", path, API).status_code == 404


def test_non_object_properties_are_refused(keyless: Keyless) -> None:
    path = f"{keyless.rg_path}/{TYPE_PATH}/{_name()}"
    r = keyless.arm("PUT", path, API, json={"location": "westeurope", "properties": "x"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidRequestContent"
    assert keyless.arm("GET", path, API).status_code == 404
