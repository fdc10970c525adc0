"""An in-process keyless with the Logic Apps management plane, a helper to reach it as ARM and through
azure-mgmt-logic, and a recording stand-in for the runtime where a test checks what the management plane asks of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Keyless
from tests.platform.inprocess import InProcessKeyless

API = "2019-05-01"


def simple_definition(action: str = "Compose", trigger: str = "manual") -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {},
        "triggers": {trigger: {"type": "Request", "kind": "Http", "inputs": {"schema": {}}}},
        "actions": {action: {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}}},
        "outputs": {},
    }


@dataclass
class World:
    kl: InProcessKeyless
    arm: Keyless

    @property
    def svc(self) -> Any:
        return self.kl.svc

    @property
    def plane(self) -> Any:
        return self.kl.svc.workflow_plane  # type: ignore[attr-defined]

    def wf_path(self, name: str) -> str:
        return f"{self.arm.rg_path}/providers/Microsoft.Logic/workflows/{name}"

    def put(self, name: str, body: dict[str, Any] | None = None, **props: Any) -> Any:
        body = body or {"location": "westus", "properties": {"definition": simple_definition(), **props}}
        return self.arm.arm("PUT", self.wf_path(name), API, json=body)

    def unique(self, prefix: str = "wf") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class RecordingRuntime:
    """Stands in for services.workflows: records the calls the management plane makes."""

    base_url: str
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def callback_base_url(self) -> str:
        return self.base_url

    async def on_workflow_changed(self, workflow_id: str) -> None:
        self.calls.append(("changed", workflow_id))

    async def start(self, workflow_id: str, trigger_name: str, outputs: Any) -> None:
        self.calls.append(("start", workflow_id, trigger_name, outputs))

    async def cancel(self, workflow_id: str, run_name: str) -> bool:
        self.calls.append(("cancel", workflow_id, run_name))
        return True

    async def resubmit(self, workflow_id: str, run_name: str) -> None:
        self.calls.append(("resubmit", workflow_id, run_name))


def make_world(data_dir: Path) -> World:
    kl = InProcessKeyless(data_dir).start()
    if getattr(kl.svc, "workflow_plane", None) is None:  # services.py may not register the plane yet
        from keyless.workflows.management import register

        register(kl.svc)
    arm = Keyless(data_dir)
    arm.e = kl.e
    return World(kl, arm)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("logic"))
    old = w.kl.trust_env()
    try:
        yield w
    finally:
        w.kl.untrust_env(old)
        w.kl.stop()


@pytest.fixture
def recording(world: World) -> Iterator[RecordingRuntime]:
    svc = world.svc
    previous = getattr(svc, "workflows", None)
    runtime = RecordingRuntime("https://logic.keyless.test")
    svc.workflows = runtime
    try:
        yield runtime
    finally:
        svc.workflows = previous
