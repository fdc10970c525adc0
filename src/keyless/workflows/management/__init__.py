"""The Logic Apps management plane: `Microsoft.Logic/workflows` and its runs, actions, triggers and histories."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keyless.workflows.access_keys import AccessKeys
from keyless.workflows.history import RunHistory
from keyless.workflows.management import subresources, workflows
from keyless.workflows.management.plane import Plane

if TYPE_CHECKING:
    from keyless.services import Services


def register(services: Services) -> None:
    """Register the workflow type and its sub-resources. The plane is left on `services.workflow_plane` (its
    `history`, `keys`, and `contents.routes(plane)` for the runtime's listener)."""
    plane = Plane(services, RunHistory(services.store), AccessKeys(services.store))
    services.registry.register(workflows.resource_type(plane))
    subresources.install(services.management, plane)
    services.workflow_plane = plane  # type: ignore[attr-defined]
