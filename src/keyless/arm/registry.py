"""Resource types that services register with the management plane."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyless.arm.router import ActionContext, PutContext


PrepareFn = Callable[["PutContext"], Awaitable[dict[str, Any]]]
DeleteFn = Callable[[dict[str, Any]], Awaitable[None]]
ActionFn = Callable[["ActionContext"], Awaitable[Any]]
ViewFn = Callable[[dict[str, Any]], dict[str, Any]]
VersionedViewFn = Callable[[dict[str, Any], str], dict[str, Any]]
QueryViewFn = Callable[[dict[str, Any], dict[str, str]], dict[str, Any]]


@dataclass
class ResourceType:
    """One ARM resource type. `prepare` validates a PUT body and returns what GET will show (the router
    adds `id`, `name`, `type`); it raises ArmError to refuse, and nothing is stored then."""

    type: str
    api_versions: tuple[str, ...]
    prepare: PrepareFn
    on_delete: DeleteFn | None = None
    actions: dict[str, ActionFn] = field(default_factory=dict)
    view: ViewFn | None = None
    # Like `view`, for types whose shape differs by api-version (a property that only newer versions show).
    versioned_view: VersionedViewFn | None = None
    # Applied after the view on GET and list: a shape the caller's query picks (APIM's policy `?format=`).
    query_view: QueryViewFn | None = None
    tracked: bool = True  # tracked (top-level) resources need `location` and carry `tags`
    # How the provider spells the resource group segment in the ids it returns (MSI writes `resourcegroups`).
    group_segment: str = "resourceGroups"
    # DELETE is a long-running operation for this type (the SDK accepts only 202/204): keyless deletes at once
    # and answers 202 with a Location that reports completion.
    delete_async: bool = False

    @property
    def key(self) -> str:
        return self.type.lower()


class Registry:
    def __init__(self) -> None:
        self.types: dict[str, ResourceType] = {}

    def register(self, resource_type: ResourceType) -> None:
        if resource_type.key in self.types:
            raise ValueError(f"resource type {resource_type.type} registered twice")
        self.types[resource_type.key] = resource_type

    def get(self, type_name: str) -> ResourceType | None:
        return self.types.get(type_name.lower())

    def namespaces(self) -> set[str]:
        return {t.split("/")[0] for t in self.types}
