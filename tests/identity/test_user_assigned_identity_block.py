"""The `identity` block of host resources (identity_block.py), through a test-only ARM type served in-process,
and what deleting a user-assigned identity or a resource group does to the directory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from keyless.arm.errors import ArmError
from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.identity.directory import Directory
from keyless.identity.managed_identity.identity_block import NONE, SYSTEM, USER, apply_identity, remove_identity
from tests.arm.local import LocalArm

HOST_API = "2024-01-01"
UAMI_API = "2024-11-30"
UAMI_PATH = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"


def host_type(directory: Directory, type_name: str, **narrowing: Any) -> ResourceType:
    """A minimal host resource, as Microsoft.Logic/workflows will be: own checks first, then the identity."""

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        properties = ctx.body.get("properties") or {}
        if properties.get("refuse"):
            raise ArmError(400, "HostRefused", "The host refuses this body.")
        identity = await apply_identity(
            directory,
            ctx.resource_id,
            ctx.path.name or "",
            ctx.body.get("identity"),
            (ctx.existing or {}).get("identity"),
            **narrowing,
        )
        out: dict[str, Any] = {"properties": {"state": properties.get("state", "Enabled")}}
        if identity is not None:
            out["identity"] = identity
        return out

    async def on_delete(body: dict[str, Any]) -> None:
        await remove_identity(directory, body["id"])

    return ResourceType(type_name, (HOST_API,), prepare, on_delete=on_delete)


@pytest.fixture(scope="module")
async def local(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalArm]:
    arm = await LocalArm.open(Path(tmp_path_factory.mktemp("identity-block")))
    arm.register(host_type(arm.svc.directory, "Test.Host/hosts"))
    arm.register(
        host_type(arm.svc.directory, "Test.Host/narrow", allowed=frozenset({NONE, SYSTEM, USER}), max_user_assigned=1)
    )
    try:
        yield arm
    finally:
        await arm.close()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def _uami(local: LocalArm, rg_path: str | None = None) -> dict[str, Any]:
    r = await local.arm(
        "PUT", f"{rg_path or local.rg_path}/{UAMI_PATH}/{_name('id')}", UAMI_API, json={"location": "westeurope"}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _put_host(local: LocalArm, path: str, identity: Any = None, **extra: Any) -> Any:
    body: dict[str, Any] = {"location": "westeurope", **extra}
    if identity is not None:
        body["identity"] = identity
    return await local.arm("PUT", path, HOST_API, json=body)


def _host(local: LocalArm, kind: str = "hosts") -> str:
    return f"{local.rg_path}/providers/Test.Host/{kind}/{_name('host')}"


async def test_system_assigned_on_and_off(local: LocalArm) -> None:
    path = _host(local)
    name = path.rsplit("/", 1)[1]
    r = await _put_host(local, path, {"type": "systemassigned"})
    assert r.status_code == 201, r.text
    identity = r.json()["identity"]
    assert identity["type"] == "SystemAssigned"
    assert identity["tenantId"] == local.svc.instance.tenant_id
    sp = await local.svc.directory.managed_identity(path)
    assert sp is not None
    assert sp["id"] == identity["principalId"]
    assert sp["servicePrincipalType"] == "ManagedIdentity"
    assert sp["displayName"] == name
    assert sp["alternativeNames"] == ["isExplicit=False", path]

    again = await _put_host(local, path, {"type": "SystemAssigned"})
    assert again.status_code == 200
    assert again.json()["identity"]["principalId"] == identity["principalId"]
    # a PUT without an identity block keeps the identity
    kept = await _put_host(local, path)
    assert kept.json()["identity"] == identity

    off = await _put_host(local, path, {"type": "none"})
    assert off.status_code == 200, off.text
    assert off.json()["identity"] == {"type": "None"}
    assert await local.svc.directory.managed_identity(path) is None

    back = await _put_host(local, path, {"type": "SystemAssigned"})
    assert back.json()["identity"]["principalId"] != identity["principalId"]  # a new principal, as in Azure


async def test_user_assigned_add_and_remove(local: LocalArm) -> None:
    one, two = await _uami(local), await _uami(local)
    path = _host(local)
    r = await _put_host(local, path, {"type": "UserAssigned", "userAssignedIdentities": {one["id"]: {}}})
    assert r.status_code == 201, r.text
    identity = r.json()["identity"]
    assert identity == {
        "type": "UserAssigned",
        "userAssignedIdentities": {
            one["id"]: {"principalId": one["properties"]["principalId"], "clientId": one["properties"]["clientId"]}
        },
    }
    assert await local.svc.directory.managed_identity(path) is None  # no system-assigned principal

    # PATCH adds a second one and keeps the first
    r = await local.arm(
        "PATCH", path, HOST_API, json={"identity": {"type": "UserAssigned", "userAssignedIdentities": {two["id"]: {}}}}
    )
    assert r.status_code == 200, r.text
    assert set(r.json()["identity"]["userAssignedIdentities"]) == {one["id"], two["id"]}

    # null removes one
    r = await local.arm("PATCH", path, HOST_API, json={"identity": {"userAssignedIdentities": {one["id"]: None}}})
    assert r.status_code == 200, r.text
    assert set(r.json()["identity"]["userAssignedIdentities"]) == {two["id"]}

    # both kinds at once (either spelling), then system-assigned only drops the user-assigned ones
    r = await local.arm("PATCH", path, HOST_API, json={"identity": {"type": "SystemAssigned,UserAssigned"}})
    assert r.status_code == 200, r.text
    both = r.json()["identity"]
    assert both["type"] == "SystemAssigned, UserAssigned"
    assert set(both["userAssignedIdentities"]) == {two["id"]}
    assert both["principalId"] == (await local.svc.directory.managed_identity(path) or {}).get("id")
    r = await local.arm("PATCH", path, HOST_API, json={"identity": {"type": "SystemAssigned"}})
    assert r.status_code == 200, r.text
    assert r.json()["identity"] == {
        "type": "SystemAssigned",
        "principalId": both["principalId"],
        "tenantId": both["tenantId"],
    }

    # the user-assigned identities themselves are untouched
    for uami in (one, two):
        assert (await local.arm("GET", uami["id"], UAMI_API)).status_code == 200


async def test_a_get_body_can_be_put_back(local: LocalArm) -> None:
    uami = await _uami(local)
    path = _host(local)
    r = await _put_host(
        local, path, {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami["id"]: {}}}
    )
    assert r.status_code == 201, r.text
    got = (await local.arm("GET", path, HOST_API)).json()
    r = await local.arm("PUT", path, HOST_API, json=got)
    assert r.status_code == 200, r.text
    assert r.json()["identity"] == got["identity"]


async def _unchanged_after(local: LocalArm, path: str, response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    return dict(error)


async def test_refusals_change_nothing(local: LocalArm) -> None:
    uami = await _uami(local)
    path = _host(local)
    r = await _put_host(local, path, {"type": "SystemAssigned"})
    assert r.status_code == 201
    before = r.json()
    system_sp = await local.svc.directory.managed_identity(path)
    missing = f"{local.rg_path}/{UAMI_PATH}/does-not-exist"
    cases: list[tuple[Any, int, str]] = [
        ({"type": "Foo"}, 400, "InvalidIdentityType"),
        ({"userAssignedIdentities": {}}, 400, "InvalidIdentityType"),  # no type
        ("SystemAssigned", 400, "InvalidRequestContent"),
        ({"type": "UserAssigned", "userAssignedIdentities": {missing: {}}}, 400, "FailedIdentityOperation"),
        ({"type": "UserAssigned", "userAssignedIdentities": {"not-an-id": {}}}, 400, "LinkedInvalidPropertyId"),
        ({"type": "UserAssigned", "userAssignedIdentities": {path: {}}}, 400, "LinkedInvalidPropertyId"),
        ({"type": "UserAssigned", "userAssignedIdentities": []}, 400, "InvalidRequestContent"),
        ({"type": "UserAssigned"}, 400, "MissingIdentityIds"),
        ({"type": "None", "userAssignedIdentities": {uami["id"]: {}}}, 400, "FailedIdentityOperation"),
        (
            {"type": "UserAssigned", "userAssignedIdentities": {uami["id"]: {"principalId": str(uuid.uuid4())}}},
            400,
            "InvalidIdentityValues",
        ),
        ({"type": "UserAssigned", "userAssignedIdentities": {uami["id"]: "x"}}, 400, "InvalidIdentityValues"),
    ]
    for identity, status, code in cases:
        r = await local.arm("PUT", path, HOST_API, json={"location": "westeurope", "identity": identity})
        error = await _unchanged_after(local, path, r, status, code)
        assert (await local.arm("GET", path, HOST_API)).json() == before, identity
        assert await local.svc.directory.managed_identity(path) == system_sp, identity
        if code == "FailedIdentityOperation" and "type" in identity and identity["type"] == "UserAssigned":
            assert missing in error["message"]
    # the host's own refusal comes first: no system-assigned principal is made for a refused body
    fresh = _host(local)
    r = await _put_host(local, fresh, {"type": "SystemAssigned"}, properties={"refuse": True})
    assert r.status_code == 400
    assert await local.svc.directory.managed_identity(fresh) is None
    # an unknown user-assigned identity on a new host: no host, no system-assigned principal
    r = await _put_host(local, fresh, {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {missing: {}}})
    assert r.status_code == 400
    assert (await local.arm("GET", fresh, HOST_API)).status_code == 404
    assert await local.svc.directory.managed_identity(fresh) is None


async def test_a_host_type_can_narrow_the_contract(local: LocalArm) -> None:
    one, two = await _uami(local), await _uami(local)
    path = _host(local, "narrow")
    r = await _put_host(
        local, path, {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {one["id"]: {}}}
    )
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "InvalidIdentityType"
    assert "'SystemAssigned', 'UserAssigned'" in r.json()["error"]["message"]
    r = await _put_host(local, path, {"type": "UserAssigned", "userAssignedIdentities": {one["id"]: {}, two["id"]: {}}})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "TooManyUserAssignedIdentities"
    assert (await local.arm("GET", path, HOST_API)).status_code == 404
    r = await _put_host(local, path, {"type": "UserAssigned", "userAssignedIdentities": {one["id"]: {}}})
    assert r.status_code == 201, r.text


async def test_deleting_a_host_removes_its_system_principal_only(local: LocalArm) -> None:
    uami = await _uami(local)
    path = _host(local)
    r = await _put_host(
        local, path, {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami["id"]: {}}}
    )
    assert r.status_code == 201
    assert await local.svc.directory.managed_identity(path) is not None
    assert (await local.arm("DELETE", path, HOST_API)).status_code == 200
    assert await local.svc.directory.managed_identity(path) is None
    assert await local.svc.directory.managed_identity(uami["id"]) is not None
    assert (await local.arm("DELETE", path, HOST_API)).status_code == 204


async def _api_with_role(local: LocalArm) -> tuple[dict[str, Any], str]:
    d = local.svc.directory
    role_id = str(uuid.uuid4())
    role = {
        "id": role_id,
        "allowedMemberTypes": ["Application"],
        "displayName": "Invoke",
        "description": "Invoke",
        "value": "Api.Invoke",
        "isEnabled": True,
    }
    app = await d.create_application({"displayName": _name("api"), "appRoles": [role]})
    return await d.create_service_principal({"appId": app["appId"]}), role_id


async def test_deleting_a_user_assigned_identity_removes_its_principal_and_assignments(local: LocalArm) -> None:
    d = local.svc.directory
    uami = await _uami(local)
    principal_id = uami["properties"]["principalId"]
    sp = await d.get_service_principal(principal_id)
    assert sp["appId"] == uami["properties"]["clientId"]
    assert sp["displayName"] == uami["name"]
    assert sp["alternativeNames"] == ["isExplicit=True", uami["id"]]
    api, role_id = await _api_with_role(local)
    await d.assign_app_role(principal_id, api["id"], role_id)
    assert len(await d.list_assignments(principal_id=principal_id)) == 1

    assert (await local.arm("DELETE", uami["id"], UAMI_API)).status_code == 200
    assert await d.managed_identity(uami["id"]) is None
    assert await d.list_assignments(principal_id=principal_id) == []
    assert await d.list_assignments(resource_id=api["id"]) == []


async def test_deleting_a_resource_group_removes_every_principal_in_it(local: LocalArm) -> None:
    d = local.svc.directory
    group = f"{local.sub_path}/resourceGroups/{_name('rg')}"
    assert (await local.arm("PUT", group, "2022-09-01", json={"location": "westeurope"})).status_code == 201
    uami = await _uami(local, group)
    host = f"{group}/providers/Test.Host/hosts/{_name('host')}"
    r = await _put_host(
        local, host, {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uami["id"]: {}}}
    )
    assert r.status_code == 201, r.text
    api, role_id = await _api_with_role(local)
    await d.assign_app_role(uami["properties"]["principalId"], api["id"], role_id)
    await d.assign_app_role(r.json()["identity"]["principalId"], api["id"], role_id)

    assert (await local.arm("DELETE", group, "2022-09-01")).status_code == 200
    assert await d.managed_identity(uami["id"]) is None
    assert await d.managed_identity(host) is None
    assert await d.list_assignments(resource_id=api["id"]) == []
    assert (await local.arm("GET", group, "2022-09-01")).status_code == 404
    r = await local.arm("GET", f"{group}/{UAMI_PATH}", UAMI_API)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ResourceGroupNotFound"
