"""Database fixtures: the embedded SQLite file, or a fresh PostgreSQL database dropped after the test."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

PG_HOST = os.environ.get("KEYLESS_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("KEYLESS_TEST_PG_PORT", "5432"))


async def _admin_connection() -> tuple[object, str]:
    """A connection to the `postgres` database as the first role that trust auth lets in."""
    import asyncpg

    reasons = []
    for user in ("postgres", "root"):
        try:
            conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=user, database="postgres", timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            reasons.append(f"{user}: {exc!r}")
            continue
        return conn, user
    pytest.skip(f"PostgreSQL at {PG_HOST}:{PG_PORT} is not usable: {'; '.join(reasons)}")


async def fresh_postgres() -> tuple[str, str]:
    """CREATE DATABASE keyless_test_<random>; returns (its URL, its name)."""
    conn, user = await _admin_connection()
    name = f"keyless_test_{secrets.token_hex(6)}"
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    finally:
        await conn.close()  # type: ignore[attr-defined]
    return f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}", name


async def drop_postgres(name: str) -> None:
    conn, _ = await _admin_connection()
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
    finally:
        await conn.close()  # type: ignore[attr-defined]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    url, name = await fresh_postgres()
    try:
        yield url
    finally:
        await drop_postgres(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each store-level test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'keyless.db'}"
        return
    url, name = await fresh_postgres()
    try:
        yield url
    finally:
        await drop_postgres(name)
