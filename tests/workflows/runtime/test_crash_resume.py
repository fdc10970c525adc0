"""A run survives `kill -9` (and a clean stop): keyless ends while action B's HTTP call is in flight (A has
finished); started again on the same data dir, the run resumes from its journal, completes Succeeded, and A is
not called again."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Keyless
from tests.platform.conftest import drop_postgres, fresh_postgres

API = "2019-05-01"


class Backend:
    """Counts calls per path; the first call to /b blocks until released (keyless is killed meanwhile)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.lock = threading.Lock()
        self.b_in_flight = threading.Event()
        self.b_again = threading.Event()
        self.release = threading.Event()
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with backend.lock:
                    n = backend.calls[self.path] = backend.calls.get(self.path, 0) + 1
                if self.path == "/b" and n == 1:
                    backend.b_in_flight.set()
                    backend.release.wait(60)
                elif self.path == "/b":
                    backend.b_again.set()
                body = f'{{"path": "{self.path}", "call": {n}}}'.encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the caller died

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def backend() -> Iterator[Backend]:
    b = Backend()
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_env(request: pytest.FixtureRequest) -> Any:
    """SQLite in the data dir (DBOS beside it in dbos.sqlite), or PostgreSQL for both keyless and DBOS."""
    if request.param == "sqlite":
        yield {}
        return
    url, name = await fresh_postgres()
    try:
        yield {"KEYLESS_DATABASE_URL": url}
    finally:
        await drop_postgres(name)


def http(name: str, url: str, after: str | None) -> dict[str, Any]:
    return {
        "type": "Http",
        "inputs": {"method": "GET", "uri": url},
        "runAfter": {after: ["Succeeded"]} if after else {},
    }


@pytest.mark.parametrize("stop", ["kill -9", "SIGTERM"])
def test_run_resumes_after_keyless_stops(
    tmp_path: Path, backend: Backend, database_env: dict[str, str], stop: str
) -> None:
    kl = Keyless(tmp_path, extra_env=database_env).start()
    try:
        workflow = f"{kl.rg_path}/providers/Microsoft.Logic/workflows/crash{uuid.uuid4().hex[:6]}"
        definition = {
            "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
            "contentVersion": "1.0.0.0",
            "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}},
            "actions": {
                "A": http("A", f"{backend.url}/a", None),
                "B": http("B", f"{backend.url}/b", "A"),
                "C": {
                    "type": "Compose",
                    "inputs": "@concat(body('A')['path'], body('B')['path'])",
                    "runAfter": {"B": ["Succeeded"]},
                },
            },
        }
        r = kl.arm(
            "PUT",
            workflow,
            API,
            json={"location": kl.e["location"], "properties": {"state": "Enabled", "definition": definition}},
        )
        assert r.status_code in (200, 201), r.text
        listed = kl.arm("POST", f"{workflow}/triggers/manual/listCallbackUrl", API)
        assert listed.status_code == 200, listed.text
        import requests

        started = requests.post(listed.json()["value"], json={}, verify=kl.ca, timeout=30)
        assert started.status_code == 202, started.text
        run_name = started.headers["x-ms-workflow-run-id"]
        assert backend.b_in_flight.wait(30), "B never called the backend"
        if stop == "kill -9":  # while B is in flight
            kl.kill()
        else:  # a clean stop leaves the run Running too: it is resumed, not cancelled
            kl.stop()

        kl.start()  # same data dir: DBOS recovers the run
        backend.release.set()
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            run = kl.arm("GET", f"{workflow}/runs/{run_name}", API)
            assert run.status_code == 200, run.text
            status = run.json()["properties"]["status"]
            if status not in ("Running", "Waiting"):
                break
            time.sleep(0.2)
        assert status == "Succeeded", run.text
        actions = kl.arm("GET", f"{workflow}/runs/{run_name}/actions", API).json()["value"]
        by_name = {a["name"]: a["properties"]["status"] for a in actions}
        assert by_name == {"A": "Succeeded", "B": "Succeeded", "C": "Succeeded"}
        assert backend.calls["/a"] == 1  # finished before the crash: read back from the journal, not repeated
        assert backend.calls["/b"] >= 2  # in flight at the crash: executed again (at least once, as Logic Apps)
        # DBOS keeps its system database beside keyless's: dbos.sqlite, or the same PostgreSQL database.
        assert (tmp_path / "dbos.sqlite").exists() == ("KEYLESS_DATABASE_URL" not in database_env)
    finally:
        kl.stop()


async def dbos_status(url: str, run_name: str) -> str | None:
    """The run's status in DBOS's system tables (schema `dbos`) of the shared database."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(
                sa.text("select status from dbos.workflow_status where workflow_uuid = :id"), {"id": run_name}
            )
        return None if found is None else str(found)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_second_keyless_on_the_same_postgres_leaves_a_live_runs_alone(tmp_path: Path, backend: Backend) -> None:
    """Two keyless processes share PostgreSQL (each its own data dir). While A's run waits on B's call, a second
    keyless starts: DBOS recovers only its own executor's runs, so the run is not executed twice; A finishes it."""
    import asyncio

    import requests

    url, name = await fresh_postgres()
    first = second = None
    try:
        env = {"KEYLESS_DATABASE_URL": url}
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = Keyless(tmp_path / "a", extra_env=env).start()
        workflow = f"{first.rg_path}/providers/Microsoft.Logic/workflows/shared{uuid.uuid4().hex[:6]}"
        definition = {
            "contentVersion": "1.0.0.0",
            "triggers": {"manual": {"type": "Request", "kind": "Http"}},
            "actions": {"A": http("A", f"{backend.url}/a", None), "B": http("B", f"{backend.url}/b", "A")},
        }
        body = {"location": first.e["location"], "properties": {"definition": definition}}
        assert first.arm("PUT", workflow, API, json=body).status_code in (200, 201)
        callback = first.arm("POST", f"{workflow}/triggers/manual/listCallbackUrl", API).json()["value"]
        run_name = requests.post(callback, json={}, verify=first.ca, timeout=30).headers["x-ms-workflow-run-id"]
        assert await asyncio.to_thread(backend.b_in_flight.wait, 30)

        second = await asyncio.to_thread(Keyless(tmp_path / "b", extra_env=env).start)
        # The second keyless found the run unfinished and launched DBOS. Had DBOS recovered it there (it recovers
        # its executor's pending workflows from a queue it polls every second), B would be called again within a
        # few seconds: give it that long while B's first call is still held.
        recovered = await asyncio.to_thread(backend.b_again.wait, 4)
        assert not recovered and backend.calls == {"/a": 1, "/b": 1}
        assert await dbos_status(url, run_name) == "PENDING"  # still A's: the second keyless did not take it over
        backend.release.set()
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline and status != "Succeeded":
            status = second.arm("GET", f"{workflow}/runs/{run_name}", API).json()["properties"]["status"]
            await asyncio.sleep(0.1)
        assert status == "Succeeded"  # the history is shared: either process reads it
        assert backend.calls == {"/a": 1, "/b": 1}
    finally:
        for kl in (first, second):
            if kl is not None:
                kl.stop()
        await drop_postgres(name)
