"""The running product: every service's domain objects, built once and shared on one event loop."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyless.arm.app import ManagementApp
from keyless.arm.registry import Registry
from keyless.arm.resource_groups import ResourceGroups
from keyless.arm.router import ArmRouter, ResourceStore
from keyless.gateway.management.types import register as register_apim
from keyless.identity.bearer import BearerValidator
from keyless.identity.directory import Directory, Instance
from keyless.identity.first_party import ARM_AUDIENCES, GRAPH_AUDIENCES
from keyless.identity.key_management import register as register_key_management
from keyless.identity.keys import KeyRing
from keyless.identity.managed_identity import user_assigned
from keyless.identity.tokens import TokenService
from keyless.platform.hosts import HostAliases
from keyless.platform.settings import Settings
from keyless.platform.store import Store
from keyless.platform.tls import TlsFiles, ensure_tls


@dataclass
class Endpoints:
    """Base URLs of the listeners, known once their sockets are bound."""

    login: str = ""
    graph: str = ""
    management: str = ""
    identity: str = ""
    logic: str = ""  # Logic Apps callback URLs (Request triggers)


@dataclass
class Services:
    settings: Settings
    store: Store
    tls: TlsFiles
    directory: Directory
    keys: KeyRing
    tokens: TokenService
    instance: Instance
    registry: Registry
    resources: ResourceStore
    arm: ArmRouter
    management: ManagementApp
    graph_bearer: BearerValidator
    endpoints: Endpoints = field(default_factory=Endpoints)
    aliases: HostAliases = field(default_factory=HostAliases)
    new_admin_secret: str | None = None
    gateways: Any = None  # keyless.gateway.app.Gateways: one listener per APIM service
    workflows: Any = None  # keyless.workflows.runtime.WorkflowRuntime: Logic Apps runs

    @classmethod
    async def open(cls, settings: Settings) -> Services:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        tls = ensure_tls(settings.data_dir / "tls", settings.host)
        store = Store(settings.effective_database_url)
        await store.migrate()
        directory = Directory(store)
        instance, admin_secret = await directory.bootstrap(settings.admin_client_id, settings.admin_client_secret)
        keys = KeyRing(store)
        await keys.load()
        tokens = TokenService(directory, keys)
        registry = Registry()
        registry.register(user_assigned.resource_type(directory))
        resources = ResourceStore(store)
        arm = ArmRouter(registry, resources, instance.subscription_id, instance.location)
        groups = ResourceGroups(arm, instance.tenant_id)
        await _ensure_default_group(groups, instance)
        admin_sp = await directory.find_service_principal_by_app_id(instance.admin_app_id)
        assert admin_sp is not None
        management = ManagementApp(
            arm, groups, BearerValidator(keys, instance.tenant_id, ARM_AUDIENCES), {admin_sp["id"]}, instance.tenant_id
        )
        services = cls(
            settings=settings,
            store=store,
            tls=tls,
            directory=directory,
            keys=keys,
            tokens=tokens,
            instance=instance,
            registry=registry,
            resources=resources,
            arm=arm,
            management=management,
            graph_bearer=BearerValidator(keys, instance.tenant_id, GRAPH_AUDIENCES),
            new_admin_secret=admin_secret,
        )
        from keyless.gateway.app import Gateways

        services.gateways = Gateways.for_services(services)
        register_key_management(management, keys)
        register_apim(services)
        _register_workflows(services)
        return services

    async def close(self) -> None:
        await self.store.close()

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir


def _register_workflows(services: Services) -> None:
    """The workflow runtime (it starts nothing until `start_up`) and the Microsoft.Logic ARM types."""
    from keyless.workflows.runtime import WorkflowRuntime

    services.workflows = WorkflowRuntime(services)
    try:
        from keyless.workflows.management import register
    except ImportError:  # the ARM face lands separately; the runtime works without it
        return
    register(services)


async def _ensure_default_group(groups: ResourceGroups, instance: Instance) -> None:
    from keyless.arm.resource_id import resource_group_id

    if await groups.resources.get(resource_group_id(instance.subscription_id, instance.resource_group)) is None:
        await groups.put(
            instance.subscription_id, instance.resource_group, json.dumps({"location": instance.location}).encode()
        )
