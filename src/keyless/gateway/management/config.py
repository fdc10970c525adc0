"""One APIM service's configuration as stored, grouped by kind: what the compile step and the snapshot read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from keyless.gateway.management._common import SERVICE

T = SERVICE.lower()
APIS = f"{T}/apis"
OPERATIONS = f"{T}/apis/operations"
PRODUCTS = f"{T}/products"
PRODUCT_APIS = f"{T}/products/apis"
SUBSCRIPTIONS = f"{T}/subscriptions"
NAMED_VALUES = f"{T}/namedvalues"
BACKENDS = f"{T}/backends"
FRAGMENTS = f"{T}/policyfragments"
VERSION_SETS = f"{T}/apiversionsets"
SCHEMAS = f"{T}/schemas"
API_SCHEMAS = f"{T}/apis/schemas"
GLOBAL_POLICY = f"{T}/policies"
PRODUCT_POLICY = f"{T}/products/policies"
API_POLICY = f"{T}/apis/policies"
OPERATION_POLICY = f"{T}/apis/operations/policies"

# Policy resource type -> the compiler's scope name.
POLICY_SCOPES = {GLOBAL_POLICY: "global", PRODUCT_POLICY: "product", API_POLICY: "api", OPERATION_POLICY: "operation"}


@dataclass
class ServiceConfig:
    """Stored ARM bodies of one service (ids as written, bodies as stored, secrets included: never serve this)."""

    service: dict[str, Any]
    by_type: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def from_model(cls, service_id: str, model: dict[str, dict[str, Any]]) -> ServiceConfig:
        config = cls(model[service_id.lower()])
        for key, body in model.items():
            if key != service_id.lower():
                config.by_type.setdefault(str(body["type"]).lower(), []).append(body)
        return config

    def of(self, type_key: str) -> list[dict[str, Any]]:
        return self.by_type.get(type_key, [])

    def named_values(self) -> dict[str, str]:
        """Display name -> value, as `{{name}}` substitution reads them."""
        out: dict[str, str] = {}
        for nv in self.of(NAMED_VALUES):
            props = nv["properties"]
            out[str(props["displayName"])] = str(props.get("value") or "")
        return out

    def policies(self) -> list[tuple[dict[str, Any], str]]:
        """Every policy document with its scope name, service scope first."""
        found = [(body, scope) for type_key, scope in POLICY_SCOPES.items() for body in self.of(type_key)]
        return found
