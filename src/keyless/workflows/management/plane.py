"""What the Logic Apps management handlers share: the services, the run history, the access keys, and the
optional runtime (`services.workflows`, provided by the runtime engineer; absent, management still works)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keyless.arm.errors import ArmError
from keyless.workflows.access_keys import AccessKeys
from keyless.workflows.history import RunHistory

if TYPE_CHECKING:
    from keyless.services import Services

WORKFLOWS = "Microsoft.Logic/workflows"
API_VERSIONS = ("2019-05-01", "2016-06-01")
# The api-version written into callback URLs and content links, as Consumption writes them (§2.1).
RUNTIME_API_VERSION = "2016-10-01"


@dataclass
class Plane:
    services: Services
    history: RunHistory
    keys: AccessKeys

    @property
    def runtime(self) -> Any | None:
        return getattr(self.services, "workflows", None)

    def runtime_base_url(self) -> str:
        """Where callback URLs and content links point: the runtime's listener; until one is there, the management
        listener (those links are then not served)."""
        runtime = self.runtime
        base = str(runtime.callback_base_url() or "") if hasattr(runtime, "callback_base_url") else ""
        return (base or self.services.endpoints.management).rstrip("/")

    async def access_endpoint(self, workflow_id: str) -> str:
        return f"{self.runtime_base_url()}/workflows/{await self.keys.endpoint_id(workflow_id)}"

    async def changed(self, workflow_id: str) -> None:
        """Tell the runtime a workflow was created, changed or deleted (it re-reads it from the ARM store)."""
        runtime = self.runtime
        if runtime is not None and hasattr(runtime, "on_workflow_changed"):
            await runtime.on_workflow_changed(workflow_id)

    def require_runtime(self, operation: str) -> Any:
        runtime = self.runtime
        if runtime is None or not hasattr(runtime, operation):
            raise ArmError(
                503,
                "ServiceUnavailable",
                f"The workflow runtime is not running in this keyless; '{operation}' needs it.",
            )
        return runtime
