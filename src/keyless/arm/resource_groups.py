"""Subscriptions and resource groups, the scopes every provider path lives under."""

from __future__ import annotations

import json
from typing import Any

from keyless.arm.errors import ArmError, bad_body
from keyless.arm.resource_id import resource_group_id
from keyless.arm.router import DELETE_REQUEST, ArmRouter, check_tracked, page, parse_json_body

GROUP_TYPE = "Microsoft.Resources/resourceGroups"


class ResourceGroups:
    def __init__(self, router: ArmRouter, tenant_id: str) -> None:
        self.router = router
        self.resources = router.resources
        self.tenant_id = tenant_id

    def _check_subscription(self, subscription: str) -> None:
        if subscription.lower() != self.router.subscription_id.lower():
            raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")

    def subscription(self, subscription: str) -> dict[str, Any]:
        self._check_subscription(subscription)
        return {
            "id": f"/subscriptions/{self.router.subscription_id}",
            "authorizationSource": "RoleBased",
            "managedByTenants": [],
            "subscriptionId": self.router.subscription_id,
            "tenantId": self.tenant_id,
            "displayName": "keyless",
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }

    async def get(self, subscription: str, name: str) -> dict[str, Any]:
        self._check_subscription(subscription)
        body = await self.resources.get(resource_group_id(subscription, name))
        if body is None:
            raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
        return body

    async def put(self, subscription: str, name: str, raw: bytes) -> tuple[dict[str, Any], bool]:
        self._check_subscription(subscription)
        body = parse_json_body(raw)
        if not isinstance(body, dict):
            raise bad_body(
                "The request content was invalid and could not be deserialized: 'the body must be a JSON object.'"
            )
        check_tracked(body)
        rid = resource_group_id(self.router.subscription_id, name)
        existing = await self.resources.get(rid)
        if existing is not None and _region(existing["location"]) != _region(body["location"]):
            raise ArmError(
                409,
                "InvalidResourceGroupLocation",
                f"Invalid resource group location '{body['location']}'. The Resource group already exists in "
                f"location '{existing['location']}'.",
            )
        stored = {
            "id": existing["id"] if existing else rid,
            "name": existing["name"] if existing else name,
            "type": GROUP_TYPE,
            "location": body["location"],
            "tags": body.get("tags") or {},
            "properties": {"provisioningState": "Succeeded"},
        }
        if body.get("managedBy"):
            stored["managedBy"] = body["managedBy"]
        created = await self.resources.put(
            rid, f"/subscriptions/{self.router.subscription_id}", GROUP_TYPE, stored, None
        )
        return stored, created

    async def patch(self, subscription: str, name: str, raw: bytes) -> dict[str, Any]:
        """ARM's resource group update: tags (the whole set) and managedBy."""
        existing = await self.get(subscription, name)
        patch = parse_json_body(raw)
        if not isinstance(patch, dict):
            raise bad_body(
                "The request content was invalid and could not be deserialized: 'the body must be a JSON object.'"
            )
        merged = {**existing, **{k: v for k, v in patch.items() if k in ("tags", "managedBy")}}
        body = {"location": existing["location"], "tags": merged.get("tags") or {}}
        if merged.get("managedBy"):
            body["managedBy"] = merged["managedBy"]
        stored, _ = await self.put(subscription, existing["name"], json.dumps(body).encode())
        return stored

    async def list(self, subscription: str, base_url: str, query: dict[str, str]) -> dict[str, Any]:
        self._check_subscription(subscription)
        items = await self.resources.children(f"/subscriptions/{self.router.subscription_id}", GROUP_TYPE)
        return page(items, base_url, query)

    async def delete(self, subscription: str, name: str) -> bool:
        self._check_subscription(subscription)
        rid = resource_group_id(subscription, name)
        if await self.resources.get(rid) is None:
            return False
        # Every resource in the group goes too, each through its type's own delete (identities leave Entra).
        rows = await self.resources.descendants(rid)
        token = DELETE_REQUEST.set(rid)
        try:
            for row in sorted(rows, key=lambda r: -len(r.key)):
                rtype = self.router.registry.get(row.type)
                if rtype and rtype.on_delete:
                    await rtype.on_delete(dict(row.body))
        finally:
            DELETE_REQUEST.reset(token)
        await self.resources.delete_tree(rid)
        return True


def _region(location: str) -> str:
    """ARM's location comparison: 'West Europe' and 'westeurope' are one region."""
    return location.replace(" ", "").lower()
