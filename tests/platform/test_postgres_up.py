"""`keyless up` on PostgreSQL (KEYLESS_DATABASE_URL): it serves tokens, and a restart keeps tenant and objects."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from keyless.identity.directory import Directory
from keyless.platform.store import Store
from tests.conftest import Keyless

pytestmark = pytest.mark.postgres


async def make_objects(url: str) -> dict[str, Any]:
    """Directory objects written straight into the shared database, as a second keyless node would."""
    store = Store(url)
    try:
        directory = Directory(store)
        await directory.bootstrap()  # reads the tenant the server made; writes nothing
        role_id = str(uuid.uuid4())
        role = {"id": role_id, "allowedMemberTypes": ["Application"], "displayName": "r", "description": "r",
                "value": "Orders.Read", "isEnabled": True}  # fmt: skip
        api = await directory.create_application(
            {"displayName": "pg-api", "identifierUris": ["api://pg-api"], "appRoles": [role]}
        )
        api_sp = await directory.create_service_principal({"appId": api["appId"]})
        client = await directory.create_application({"displayName": "pg-client"})
        client_sp = await directory.create_service_principal({"appId": client["appId"]})
        secret = (await directory.add_password(client["id"], {}))["secretText"]
        await directory.assign_app_role(client_sp["id"], api_sp["id"], role_id)
        return {"client_id": client["appId"], "secret": secret, "client_sp": client_sp["id"]}
    finally:
        await store.close()


def client_token(kl: Keyless, objects: dict[str, Any]) -> str:
    r = requests.post(
        f"{kl.e['login']}/{kl.tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": objects["client_id"],
              "client_secret": objects["secret"], "scope": "api://pg-api/.default"},
        verify=kl.ca, timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def verified(kl: Keyless, token: str) -> dict[str, Any]:
    keys = requests.get(f"{kl.e['login']}/common/discovery/keys", verify=kl.ca, timeout=10).json()
    key = jwt.PyJWKSet.from_dict(keys)[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(token, key.key, algorithms=["RS256"], audience="api://pg-api",
                      issuer=f"https://sts.windows.net/{kl.tenant}/")  # fmt: skip


async def test_keyless_up_on_postgres_survives_restart(tmp_path: Path, postgres_url: str) -> None:
    kl = Keyless(tmp_path, {"KEYLESS_DATABASE_URL": postgres_url})
    kl.start()
    try:
        first = dict(kl.e)
        objects = await make_objects(postgres_url)
        token = client_token(kl, objects)
        claims = verified(kl, token)
        assert claims["roles"] == ["Orders.Read"] and claims["oid"] == objects["client_sp"]
    finally:
        kl.stop()
    # the state lives in PostgreSQL, not in the data dir
    assert not (tmp_path / "keyless.db").exists()

    kl.start()
    try:
        assert kl.e["tenant_id"] == first["tenant_id"]
        assert kl.e["subscription_id"] == first["subscription_id"]
        assert kl.e["admin"] == first["admin"]
        assert verified(kl, token)["oid"] == objects["client_sp"]  # signed before the restart
        # application, service principal, secret and assignment all came back: the token carries the role
        again = verified(kl, client_token(kl, objects))
        assert again["roles"] == ["Orders.Read"]
        assert jwt.get_unverified_header(token)["kid"] == jwt.get_unverified_header(client_token(kl, objects))["kid"]
    finally:
        kl.stop()


def admin_token_status(kl: Keyless, admin: dict[str, str]) -> int:
    r = requests.post(
        f"{kl.e['login']}/{kl.tenant}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": admin["client_id"],
              "client_secret": admin["client_secret"], "scope": "https://management.azure.com/.default"},
        verify=kl.ca, timeout=10,
    )  # fmt: skip
    return r.status_code


async def test_two_nodes_share_tenant_directory_and_keys(tmp_path: Path, postgres_url: str) -> None:
    """Two `keyless up` on one PostgreSQL (DESIGN §5): one tenant, and each accepts the other's tokens."""
    a = Keyless(tmp_path / "a", {"KEYLESS_DATABASE_URL": postgres_url})
    b = Keyless(tmp_path / "b", {"KEYLESS_DATABASE_URL": postgres_url})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a.start()
    try:
        b.start()
        try:
            assert a.e["tenant_id"] == b.e["tenant_id"]
            assert a.e["subscription_id"] == b.e["subscription_id"]
            objects = await make_objects(postgres_url)
            claims = verified(a, client_token(b, objects))
            assert claims["roles"] == ["Orders.Read"]
            token = b.admin_token("https://management.azure.com/")
            r = requests.get(
                f"{a.e['management']}/subscriptions/{a.e['subscription_id']}?api-version=2022-12-01",
                headers={"Authorization": f"Bearer {token}"}, verify=a.ca, timeout=10,
            )  # fmt: skip
            assert r.status_code == 200, r.text
        finally:
            b.stop()
    finally:
        a.stop()


async def test_a_second_node_keeps_the_first_nodes_admin_secret(tmp_path: Path, postgres_url: str) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = Keyless(tmp_path / "a", {"KEYLESS_DATABASE_URL": postgres_url}).start()
    try:
        b = Keyless(tmp_path / "b", {"KEYLESS_DATABASE_URL": postgres_url}).start()
        b.stop()
        assert admin_token_status(a, a.e["admin"]) == 200
    finally:
        a.stop()
