"""Runtime test helpers: a workflow stored as the ARM face stores one, and waiting for a run to finish."""

from __future__ import annotations

import time
import uuid
from typing import Any

from keyless.arm.resource_id import resource_group_id
from keyless.workflows import ids
from tests.platform.inprocess import InProcessKeyless


def deploy(kl: InProcessKeyless, definition: dict[str, Any], *, state: str = "Enabled") -> str:
    """A workflow as the ARM face stores one (body, version), then the runtime told it changed."""
    svc = kl.svc
    inst = svc.instance
    name = f"wf{uuid.uuid4().hex[:8]}"
    group = resource_group_id(inst.subscription_id, inst.resource_group)
    workflow_id = f"{group}/providers/Microsoft.Logic/workflows/{name}"
    version = ids.version_name()
    body = {
        "id": workflow_id,
        "name": name,
        "type": "Microsoft.Logic/workflows",
        "location": inst.location,
        "properties": {"state": state, "version": version, "definition": definition, "parameters": {}},
    }

    async def put() -> None:
        await svc.resources.put(workflow_id, group, "Microsoft.Logic/workflows", body, group)
        await svc.workflows.history.save_version(workflow_id, version, definition, {})
        await svc.workflows.on_workflow_changed(workflow_id)

    kl.run(put())
    return workflow_id


def wait_run(kl: InProcessKeyless, workflow_id: str, run_name: str) -> Any:
    """The run once it has finished (the history is what the management API reads)."""
    history = kl.svc.workflows.history
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = kl.run(history.run(workflow_id, run_name))
        if run is not None and run.status not in ("Running", "Waiting"):
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_name} did not finish")
