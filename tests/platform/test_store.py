"""The store on SQLite and on PostgreSQL: migrations, the schema they make, and directory round trips."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from keyless.identity.directory import Directory
from keyless.identity.keys import KeyRing
from keyless.identity.tokens import TokenService
from keyless.platform.models import Base
from keyless.platform.store import MIGRATIONS, Store, normalize_url
from tests.platform.conftest import drop_postgres, fresh_postgres


def head_revision() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


async def version(store: Store) -> list[str]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


def test_normalize_url() -> None:
    assert normalize_url("postgresql://u@h:5432/db") == "postgresql+asyncpg://u@h:5432/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_url("sqlite:////tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"
    assert normalize_url("sqlite+aiosqlite:////tmp/x.db") == "sqlite+aiosqlite:////tmp/x.db"


async def test_migrates_to_head_and_again(database_url: str) -> None:
    store = Store(database_url)
    try:
        await store.migrate()
        assert await version(store) == [head_revision()]
        async with store.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            # the migrations make exactly the schema the models describe
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
        assert set(Base.metadata.tables) <= tables
        assert diff == []
        async with store.transaction() as session:
            await session.execute(text("INSERT INTO instance_settings (key, value) VALUES ('probe', 'kept')"))
        await store.migrate()  # idempotent: nothing to do, nothing lost
        assert await version(store) == [head_revision()]
        async with store.session() as session:
            kept = (await session.execute(text("SELECT value FROM instance_settings WHERE key = 'probe'"))).scalar()
        assert kept == "kept"
    finally:
        await store.close()


async def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'keyless.db'}")
    try:
        await store.migrate()
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        assert (tmp_path / "keyless.db-wal").exists()
    finally:
        await store.close()


async def test_directory_round_trip(database_url: str) -> None:
    """Objects made through one store are there, whole, through a new one (a restart)."""
    store = Store(database_url)
    await store.migrate()
    directory = Directory(store)
    instance, admin_secret = await directory.bootstrap()
    assert admin_secret
    role_id = str(uuid.uuid4())
    role = {"id": role_id, "allowedMemberTypes": ["Application"], "displayName": "Invoke", "description": "Invoke",
            "value": "Api.Invoke", "isEnabled": True}  # fmt: skip
    api = await directory.create_application(
        {"displayName": "store-api", "identifierUris": ["api://store-api"], "appRoles": [role]}
    )
    api_sp = await directory.create_service_principal({"appId": api["appId"], "appRoleAssignmentRequired": True})
    client = await directory.create_application({"displayName": "store-client"})
    client_sp = await directory.create_service_principal({"appId": client["appId"]})
    secret = (await directory.add_password(client["id"], {"displayName": "s"}))["secretText"]
    await directory.assign_app_role(client_sp["id"], api_sp["id"], role_id)
    keys = KeyRing(store)
    await keys.load()
    rotated = await keys.rotate()
    await store.close()

    store = Store(database_url)
    try:
        await store.migrate()
        again = Directory(store)
        instance2, new_secret = await again.bootstrap()
        assert new_secret is None
        assert (instance2.tenant_id, instance2.subscription_id) == (instance.tenant_id, instance.subscription_id)
        assert instance2.admin_app_id == instance.admin_app_id
        assert await again.check_secret(instance.admin_app_id, admin_secret) == "ok"
        assert await again.get_application(api["id"]) == api
        assert await again.check_secret(client["appId"], secret) == "ok"
        assert await again.check_secret(client["appId"], secret + "x") == "invalid"
        resolved = await again.resolve_resource("api://store-api")
        assert resolved is not None and resolved["id"] == api_sp["id"]
        assert resolved["appRoleAssignmentRequired"] is True
        assert resolved["appRoles"][0]["origin"] == "Application"
        assert await again.granted_roles(client_sp["id"], resolved) == (True, ["Api.Invoke"])
        assignments = await again.list_assignments(resource_id=api_sp["id"])
        assert [(a["principalId"], a["appRoleId"]) for a in assignments] == [(client_sp["id"], role_id)]
        keys2 = KeyRing(store)
        await keys2.load()
        assert keys2.active is not None and keys2.active.kid == rotated["active"]
        assert {k.kid: k.state for k in keys2.keys} == {
            rotated["retired"]: "retired", rotated["active"]: "active", rotated["next"]: "next"
        }  # fmt: skip
        # and a token minted from the reopened store carries the role
        issued = await TokenService(again, keys2).issue(client_sp, "api://store-api", lifetime=600, appidacr="1")
        assert issued.claims["roles"] == ["Api.Invoke"] and issued.claims["aud"] == "api://store-api"
    finally:
        await store.close()


@pytest.mark.postgres
async def test_postgres_test_database_is_fresh_and_dropped() -> None:
    url, name = await fresh_postgres()
    store = Store(url)
    try:
        assert store.url.startswith("postgresql+asyncpg://")
        await store.migrate()
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("SELECT current_database()"))).scalar() == name
            assert (await conn.execute(text("SELECT count(*) FROM applications"))).scalar() == 0
    finally:
        await store.close()
        await drop_postgres(name)
    admin = Store(url.rsplit("/", 1)[0] + "/postgres")
    try:
        async with admin.engine.connect() as conn:
            found = await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            assert found.scalar() is None
    finally:
        await admin.close()
