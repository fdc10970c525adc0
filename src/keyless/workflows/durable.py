"""Runs on DBOS Transact (decision 0004): each run is a DBOS workflow whose id is the run name.

DBOS gives the durable start (a run accepted is a run executed) and recovery of pending runs at `launch()`.
The DBOS function only names the run; what the run does is keyless's (`execute`: the run's trigger record and
definition version from keyless's tables, the interpreter, the store's journal).

DBOS is a process-wide singleton. Importing this module does nothing (not even import DBOS, a tenth of a second
that CLI commands and most test processes never need); the workflow function is registered at the first launch.
Only one `DurableRuns` per process can own DBOS; another one (a second in-process keyless in a test process) is
refused by `launch()` and its runtime runs without DBOS.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from keyless.platform.settings import Settings

log = logging.getLogger("keyless.workflows")

WORKFLOW_NAME = "keyless_workflow_run"
# Fixed, not DBOS's default hash of the code: a run started by one build of keyless is recovered by the next
# (keyless's journal, not DBOS's step log, is what a resumed run reads).
APP_VERSION = "keyless-runs-1"

Execute = Callable[[str, str], Awaitable[None]]  # (workflow id, run name)

_owner: DurableRuns | None = None
_registered: Any = None  # the DBOS workflow function, once registered (registration is process-wide)


async def _run(workflow_id: str, run_name: str) -> None:
    owner = _owner
    if owner is None:  # DBOS only calls this between launch and shutdown, when there is an owner
        raise RuntimeError("No keyless runtime owns DBOS in this process.")
    await owner.execute(workflow_id, run_name)


def _workflow() -> Any:
    global _registered
    if _registered is None:
        from dbos import DBOS

        _registered = DBOS.workflow(name=WORKFLOW_NAME)(_run)
    return _registered


def system_database_url(settings: Settings) -> str:
    """`dbos.sqlite` beside keyless.db, or keyless's own PostgreSQL database (DBOS keeps to its `dbos` schema)."""
    url = settings.database_url or ""
    for prefix in ("postgres://", "postgresql://", "postgresql+asyncpg://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return f"sqlite:///{settings.data_dir / 'dbos.sqlite'}"


def executor_id(settings: Settings) -> str:
    """This keyless's DBOS executor id over a shared PostgreSQL: DBOS recovers at launch the pending workflows of
    its own executor id only, so each process (each data dir) has one, kept in the data dir so that a restart
    resumes its own runs and never another live process's. (On SQLite every data dir has its own DBOS database.)"""
    path = settings.data_dir / "dbos-executor-id"
    try:
        found = path.read_text().strip()
    except OSError:
        found = ""
    if not found:
        found = f"keyless-{uuid.uuid4()}"
        path.write_text(found + "\n")
    return found


def _wal(url: str) -> None:
    """WAL on the SQLite file (persistent once set): DBOS's writers then do not block keyless's readers."""
    path = url[len("sqlite:///") :]
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")


def _sqlite_engine(url: str) -> Any:
    """DBOS's SQLite engine as DBOS makes it (IMMEDIATE writers, a long busy timeout, foreign keys), plus
    `synchronous=NORMAL`: in WAL mode a commit then survives a killed process — what resuming a run needs — without
    an fsync per commit (measured: ~1 ms of each DBOS write on this machine). keyless's own store does the same."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")
        dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


class DurableRuns:
    """The DBOS side of the runtime: launch (with recovery), start a run, shut down."""

    def __init__(self, settings: Settings, execute: Execute) -> None:
        self.settings = settings
        self.execute = execute
        self.url = system_database_url(settings)
        self.active = False
        self.engine: Any = None  # ours on SQLite (DBOS does not dispose of an engine it was given)

    def prepare(self) -> None:
        """The slow, loop-free part of a first launch (importing DBOS, creating and migrating its system
        database); run it in a thread so `launch` on the loop takes milliseconds."""
        from dbos import DBOS

        if self.url.startswith("sqlite:///"):
            _wal(self.url)
        DBOS.migrate(self.url)

    def launch(self) -> bool:
        """Create and launch DBOS; pending runs are recovered (re-executed) soon after. Call it on the event
        loop that serves keyless: DBOS then runs recovered workflows on that loop. False when another runtime of
        this process owns DBOS."""
        global _owner
        if _owner is not None and _owner is not self:
            log.warning("DBOS is owned by another keyless in this process; runs here are not durable")
            return False
        if self.url.startswith("sqlite:///"):
            _wal(self.url)
        config: Any = {
            "name": "keyless",
            "system_database_url": self.url,
            "application_version": APP_VERSION,
            "log_level": "WARNING",
        }
        if self.url.startswith("sqlite:///"):
            self.engine = config["system_database_engine"] = _sqlite_engine(self.url)
        else:
            config["executor_id"] = executor_id(self.settings)
        from dbos import DBOS

        _workflow()  # registered before launch, so recovery finds it
        _owner = self
        try:
            DBOS(config=config)
            DBOS.launch()
        except BaseException:
            _owner = None
            with contextlib.suppress(Exception):
                DBOS.destroy()
            raise
        self.active = True
        return True

    async def start(self, workflow_id: str, run_name: str) -> None:
        """Start the run's DBOS workflow (the id is the run name, so starting twice is one workflow)."""
        from dbos import DBOS, SetWorkflowID

        with SetWorkflowID(run_name):
            await DBOS.start_workflow_async(_workflow(), workflow_id, run_name)

    async def status(self, run_name: str) -> str | None:
        """DBOS's status of the run (PENDING, ENQUEUED, SUCCESS, ERROR, ...), None if DBOS never got it."""
        from dbos import DBOS

        found = await DBOS.get_workflow_status_async(run_name)
        return None if found is None else str(found.status)

    async def known(self, run_name: str) -> bool:
        """Whether DBOS has the run (pending or finished): a run without one was accepted but never started."""
        return await self.status(run_name) is not None

    def shutdown(self) -> None:
        global _owner
        if not self.active:
            return
        self.active = False
        from dbos import DBOS

        try:
            DBOS.destroy()
        finally:
            _owner = None
            if self.engine is not None:
                self.engine.dispose()
                self.engine = None
