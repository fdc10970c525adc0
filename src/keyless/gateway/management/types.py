"""Registers every Microsoft.ApiManagement type with the ARM router, sharing one catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from keyless.gateway.management import (
    apis,
    backends,
    certificates,
    named_values,
    operations,
    policies,
    products,
    schemas,
    service,
    subscriptions,
)
from keyless.gateway.management.publish import Catalog

if TYPE_CHECKING:
    from keyless.services import Services


def register(services: Services) -> Catalog:
    """The catalog is what the gateway core reads snapshots through (`Catalog.publish_all` at start-up)."""
    catalog = Catalog(services)
    registry = services.registry
    registry.register(service.resource_type(catalog))
    registry.register(apis.resource_type(catalog))
    registry.register(operations.resource_type(catalog))
    for type_name in policies.POLICY_TYPES:
        registry.register(policies.policy_type(catalog, type_name))
    registry.register(policies.fragment_type(catalog))
    registry.register(products.product_type(catalog))
    registry.register(products.link_type(catalog))
    registry.register(subscriptions.resource_type(catalog))
    registry.register(named_values.resource_type(catalog))
    registry.register(backends.backend_type(catalog))
    registry.register(backends.version_set_type(catalog))
    registry.register(schemas.global_type(catalog))
    registry.register(schemas.api_type(catalog))
    certificates.register(services, catalog)
    # Until Services declares a field for it, the gateway core finds the catalog here.
    services.apim = catalog  # type: ignore[attr-defined]
    return catalog
