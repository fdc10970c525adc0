"""RunHistory and its journal on SQLite and PostgreSQL: runs, checkpoints, finish, cancel, recovery, deletion."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from keyless.platform.store import Store
from keyless.workflows import ids
from keyless.workflows.access_keys import AccessKeys
from keyless.workflows.history import RunFinished, RunHistory
from keyless.workflows.records import ActionRecord, RunOutcome, repetition_key
from tests.platform.conftest import database_url  # noqa: F401 - the fixture, parametrised over both stores

WF = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Logic/workflows/Orders"


@pytest.fixture
async def history(database_url: str) -> AsyncIterator[RunHistory]:  # noqa: F811
    store = Store(database_url)
    await store.migrate()
    try:
        yield RunHistory(store)
    finally:
        await store.close()


def trigger(status: str = "Succeeded") -> ActionRecord:
    now = ids.timestamp()
    return ActionRecord(
        key="manual",
        name="manual",
        status=status,
        code="OK",
        start_time=now,
        end_time=now,
        inputs={"method": "POST"},
        outputs={"body": {"n": 1}},
        has_inputs=True,
        has_outputs=True,
        tracking_id=ids.tracking_id(),
    )


async def new_run(history: RunHistory, workflow_id: str = WF) -> str:
    name = ids.run_name()
    await history.create_run(
        workflow_id,
        name,
        version="08584640926645886908",
        trigger_name="manual",
        trigger=trigger(),
        client_tracking_id=name,
    )
    return name


async def test_versions_round_trip_case_insensitively(history: RunHistory) -> None:
    v1, v2 = ids.version_name(), ids.version_name()
    await history.save_version(WF, v1, {"actions": {}}, {})
    await history.save_version(WF, v2, {"actions": {"A": {}}}, {"p": {"value": 1}})
    got = await history.version(WF.upper(), v2)
    assert got is not None
    assert got["definition"] == {"actions": {"A": {}}} and got["parameters"] == {"p": {"value": 1}}
    assert await history.versions(WF) == [v2, v1]  # newest first
    assert await history.version(WF, "00000000000000000000") is None


async def test_checkpoints_upsert_by_key_and_keep_variables(history: RunHistory) -> None:
    run = await new_run(history)
    journal = history.journal(WF, run)
    empty = await journal.load()
    assert empty.records == {} and empty.variables == {} and not empty.response_sent

    http = ActionRecord("HTTP", "HTTP", "Running", "NotSpecified", start_time=ids.timestamp())
    compose = ActionRecord(
        "Compose", "Compose", "Succeeded", "OK", ids.timestamp(), ids.timestamp(), "x", "x", True, True
    )
    await journal.write([compose, http], {"Counter": 1})
    http_done = ActionRecord(
        "HTTP",
        "HTTP",
        "Succeeded",
        "OK",
        http.start_time,
        ids.timestamp(),
        {"uri": "u"},
        {"statusCode": 200},
        True,
        True,
    )
    inner = [
        ActionRecord(repetition_key("Inner", [i]), "Inner", "Succeeded", "OK", repetition={"Loop": i}) for i in range(3)
    ]
    await journal.write([http_done, *inner], {"Counter": 2, "List": [1, 2]})

    resumed = await history.journal(WF.lower(), run).load()  # a new journal, as after a restart
    assert set(resumed.records) == {"HTTP", "Compose", "Inner#000000", "Inner#000001", "Inner#000002"}
    assert resumed.records["HTTP"].status == "Succeeded"
    assert resumed.records["HTTP"].outputs == {"statusCode": 200}
    assert resumed.records["Inner#000002"].repetition == {"Loop": 2}
    assert resumed.variables == {"Counter": 2, "List": [1, 2]}
    assert await history.run_status(WF, run) == "Running"


async def test_one_batch_with_a_key_twice_keeps_the_last(history: RunHistory) -> None:
    run = await new_run(history)
    journal = history.journal(WF, run)
    await journal.write(
        [ActionRecord("A", "A", "Running", "NotSpecified"), ActionRecord("A", "A", "Failed", "BadRequest")], {}
    )
    assert (await journal.load()).records["A"].status == "Failed"


async def test_finish_stores_the_outcome_and_refuses_later_writes(history: RunHistory) -> None:
    run = await new_run(history)
    journal = history.journal(WF, run)
    await journal.finish(
        RunOutcome("Failed", "Terminated", {"code": "Terminated", "message": "stop"}, {"out": {"value": 1}})
    )
    view = await history.run(WF, run)
    assert view is not None
    assert (view.status, view.code, view.error) == ("Failed", "Terminated", {"code": "Terminated", "message": "stop"})
    assert view.outputs == {"out": {"value": 1}} and view.end_time is not None
    with pytest.raises(RunFinished):
        await journal.write([ActionRecord("B", "B", "Succeeded", "OK")], {})
    assert "B" not in (await journal.load()).records
    assert await history.unfinished_runs() == []


async def test_cancel_marks_running_records_and_wins_over_finish(history: RunHistory) -> None:
    run = await new_run(history)
    journal = history.journal(WF, run)
    await journal.write(
        [ActionRecord("Wait", "Wait", "Running", "NotSpecified"), ActionRecord("C", "C", "Succeeded", "OK")], {}
    )
    assert await history.cancel(WF, run) is True
    assert await history.cancel(WF, run) is False  # already over
    records = (await journal.load()).records
    assert records["Wait"].status == "Cancelled" and records["C"].status == "Succeeded"
    await journal.finish(RunOutcome("Succeeded"))
    assert await history.run_status(WF, run) == "Cancelled"
    with pytest.raises(RunFinished):
        await journal.write([], {})


async def test_response_sent_once_and_trigger_record(history: RunHistory) -> None:
    run = await new_run(history)
    assert await history.mark_response_sent(WF, run) is True
    assert await history.mark_response_sent(WF, run) is False
    assert (await history.journal(WF, run).load()).response_sent
    record = await history.trigger_record(WF, run)
    assert record is not None and record.name == "manual" and record.outputs == {"body": {"n": 1}}
    assert await history.trigger_record(WF, "08584640926573727105946217888CU00") is None


async def test_unfinished_runs_list_and_paging(history: RunHistory) -> None:
    names = [await new_run(history) for _ in range(5)]
    other = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Logic/workflows/Other"
    await new_run(history, other)
    await history.journal(WF, names[0]).finish(RunOutcome("Succeeded"))
    unfinished = await history.unfinished_runs()
    assert (WF, names[0]) not in unfinished
    assert {n for w, n in unfinished if w == WF} == set(names[1:])  # the id as created, not lower-cased

    newest_first = list(reversed(names))
    page1 = await history.list_runs(WF.lower(), limit=2)
    page2 = await history.list_runs(WF, limit=2, after=page1[-1].name)
    page3 = await history.list_runs(WF, limit=2, after=page2[-1].name)
    assert [r.name for r in page1 + page2 + page3] == newest_first
    succeeded = await history.list_runs(WF, limit=10, status="Succeeded")
    assert [r.name for r in succeeded] == [names[0]]


async def test_delete_workflow_removes_its_history_only(history: RunHistory) -> None:
    other = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Logic/workflows/Other"
    run = await new_run(history)
    kept = await new_run(history, other)
    await history.journal(WF, run).write([ActionRecord("A", "A", "Succeeded", "OK")], {})
    await history.save_version(WF, ids.version_name(), {}, {})
    await history.delete_workflow(WF)
    assert await history.run(WF, run) is None
    assert await history.records(WF, run) == []
    assert await history.versions(WF) == []
    assert await history.run(other, kept) is not None


async def test_access_keys_survive_and_regenerate(history: RunHistory) -> None:
    keys = AccessKeys(history.store)
    primary, secondary = await keys.keys(WF)
    assert len(primary) == 32 and primary != secondary
    assert await keys.keys(WF.upper()) == (primary, secondary)
    endpoint = await keys.endpoint_id(WF)
    assert len(endpoint) == 32 and await keys.workflow_for(endpoint) == WF
    await keys.regenerate(WF, "Secondary")
    p2, s2 = await keys.keys(WF)
    assert p2 == primary and s2 != secondary
    await keys.delete(WF)
    assert await keys.workflow_for(endpoint) is None


async def test_cancel_racing_checkpoints_leaves_nothing_running(history: RunHistory) -> None:
    """Whatever order the store serialises them in, a checkpoint lands before the cancel (and its Running records
    become Cancelled) or is refused after it: no Running record outlives a cancelled run."""
    import asyncio

    run = await new_run(history)
    journal = history.journal(WF, run)

    async def checkpoint(i: int) -> str:
        try:
            await journal.write([ActionRecord(f"A{i}", f"A{i}", "Running", "NotSpecified")], {"i": i})
        except RunFinished:
            return "refused"
        return "written"

    outcomes = await asyncio.gather(*(checkpoint(i) for i in range(10)), history.cancel(WF, run))
    assert outcomes[-1] is True
    records = (await journal.load()).records
    written = {f"A{i}" for i, o in enumerate(outcomes[:-1]) if o == "written"}
    assert set(records) == written
    assert all(r.status == "Cancelled" for r in records.values())
    assert await history.run_status(WF, run) == "Cancelled"


async def test_unknown_runs_are_refused(history: RunHistory) -> None:
    journal = history.journal(WF, "08584640926573727105946217888CU00")
    with pytest.raises(KeyError):
        await journal.write([], {})
    with pytest.raises(KeyError):
        await journal.finish(RunOutcome("Succeeded"))
    with pytest.raises(KeyError):
        await journal.load()
    assert await history.cancel(WF, "08584640926573727105946217888CU00") is False


async def test_a_recurrence_occurrence_is_claimed_once(history: RunHistory) -> None:
    """keyless processes sharing a store each schedule a workflow; only the first claim of an occurrence fires."""
    at = "2026-11-27T10:00:00.0000000Z"
    assert await history.claim_occurrence(WF, "Every_minute", at) is True
    assert await history.claim_occurrence(WF.upper(), "every_minute", at) is False  # ids and names fold case
    assert await history.claim_occurrence(WF, "Every_minute", "2026-11-27T10:01:00.0000000Z") is True
    await history.delete_workflow(WF)
    assert await history.claim_occurrence(WF, "Every_minute", at) is True  # a re-created workflow starts afresh
