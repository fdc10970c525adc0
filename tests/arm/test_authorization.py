"""Management access is the local admin's: another application's valid ARM token gets 403 AuthorizationFailed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.arm.local import LocalArm

API = "2024-11-30"
UAMI = "providers/Microsoft.ManagedIdentity/userAssignedIdentities"


@pytest.fixture(scope="module")
async def local(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalArm]:
    arm = await LocalArm.open(Path(tmp_path_factory.mktemp("arm-authz")))
    try:
        yield arm
    finally:
        await arm.close()


async def test_a_non_admin_application_is_forbidden(local: LocalArm) -> None:
    d = local.svc.directory
    app = await d.create_application({"displayName": "not-the-admin"})
    sp = await d.create_service_principal({"appId": app["appId"]})
    token = await local.token_for(sp)
    path = f"{local.rg_path}/{UAMI}/forbidden"
    for method, json in (("PUT", {"location": "westeurope"}), ("GET", None), ("DELETE", None)):
        r = await local.arm(method, path, API, token=token, json=json)
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "AuthorizationFailed"
        assert app["appId"] in error["message"] and sp["id"] in error["message"]
        assert f"'{method}'" in error["message"]
    assert (await local.arm("GET", path, API)).status_code == 404  # the admin sees nothing was made
    assert await d.managed_identity(path) is None


async def test_the_admin_token_is_accepted_in_process(local: LocalArm) -> None:
    r = await local.arm("GET", f"{local.rg_path}/{UAMI}", API)
    assert r.status_code == 200, r.text
    assert r.json() == {"value": []}
