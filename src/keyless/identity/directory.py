"""The directory: a tenant's applications, service principals, credentials and app role assignments.

Objects keep Graph's JSON shape in `data`, so Graph reads are a copy and token minting reads the same
fields Entra does (`appRoles`, `appRoleAssignmentRequired`, `api.requestedAccessTokenVersion`).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from keyless.identity.first_party import FIRST_PARTY, GRAPH_APP_ID
from keyless.identity.objects import (
    DirectoryError,
    application_defaults,
    check_app_role_changes,
    graph_timestamp,
    normalize_app_roles,
    service_principal_defaults,
    service_principal_names,
    sp_app_roles,
)
from keyless.platform import clock
from keyless.platform.ids import b64url, new_guid, new_secret
from keyless.platform.models import (
    Application,
    AppRoleAssignment,
    InstanceSetting,
    PasswordCredential,
    ServicePrincipal,
)
from keyless.platform.store import Store

DEFAULT_ACCESS_ROLE = "00000000-0000-0000-0000-000000000000"


def not_found(object_id: str) -> DirectoryError:
    return DirectoryError(
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects are not present.",
        status=404,
        code="Request_ResourceNotFound",
    )


def secret_digest(secret: str) -> bytes:
    # Secrets keyless issues carry 240 bits of randomness, so a fast hash is enough (no dictionary to fear).
    return hashlib.sha256(secret.encode("utf-8")).digest()


@dataclass
class Instance:
    tenant_id: str
    subscription_id: str
    resource_group: str
    admin_app_id: str
    location: str = "westus2"
    master_key: bytes = field(default=b"", repr=False)


class Directory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.instance: Instance | None = None
        # Bumped on every change that can alter a token's claims; token caches compare it.
        self.generation = 0

    def changed(self) -> None:
        self.generation += 1

    @property
    def tenant_id(self) -> str:
        assert self.instance is not None
        return self.instance.tenant_id

    # --- instance --------------------------------------------------------------------------------

    async def bootstrap(
        self, admin_client_id: str | None = None, admin_client_secret: str | None = None
    ) -> tuple[Instance, str | None]:
        """Make the tenant once; returns the instance and the admin secret when it was just made."""
        async with self.store.session() as session:
            rows = {r.key: r.value for r in (await session.scalars(select(InstanceSetting))).all()}
        new_secret_text: str | None = None
        if "tenant_id" not in rows:
            rows = {
                "tenant_id": new_guid(),
                "subscription_id": new_guid(),
                "resource_group": "keyless",
                "location": "westus2",
                "master_key": b64url(hashlib.sha256(new_secret(32).encode()).digest()),
            }
            async with self.store.transaction() as session:
                for key, value in rows.items():
                    session.add(InstanceSetting(key=key, value=value))
            for fp in FIRST_PARTY:
                await self._ensure_first_party(
                    fp.app_id,
                    fp.display_name,
                    list(fp.service_principal_names),
                    [
                        {
                            "id": rid,
                            "value": value,
                            "displayName": value,
                            "description": value,
                            "allowedMemberTypes": ["Application"],
                            "isEnabled": True,
                            "origin": "Application",
                        }
                        for value, rid in fp.app_roles
                    ],
                )
        self.instance = Instance(
            tenant_id=rows["tenant_id"],
            subscription_id=rows["subscription_id"],
            resource_group=rows["resource_group"],
            admin_app_id=rows.get("admin_app_id", ""),
            location=rows.get("location", "westus2"),
            master_key=rows["master_key"].encode(),
        )
        if (
            not self.instance.admin_app_id
            or (admin_client_id and admin_client_id != self.instance.admin_app_id)
            or admin_client_secret
        ):
            new_secret_text = await self.make_admin(admin_client_id, admin_client_secret)
        return self.instance, new_secret_text

    async def _ensure_first_party(self, app_id: str, name: str, spns: list[str], roles: list[dict[str, Any]]) -> None:
        async with self.store.transaction() as session:
            data = service_principal_defaults(new_guid(), app_id, name, "Application")
            data.update(
                servicePrincipalNames=spns,
                appRoles=roles,
                appOwnerOrganizationId="f8cdef31-a31e-4b4a-93e4-5f571e91255a",
            )
            session.add(
                ServicePrincipal(
                    id=data["id"],
                    app_id=app_id,
                    display_name=name,
                    sp_type="Application",
                    data=data,
                    created=clock.now(),
                )
            )

    async def make_admin(self, client_id: str | None, client_secret: str | None, *, replace: bool = True) -> str:
        """The local admin: an application with Graph permissions and ownership of the subscription.

        `replace=False` adds a secret and keeps the others: another node (or data dir) sharing this store
        keeps working with the secret it already has.
        """
        assert self.instance is not None
        existing = await self.get_application_by_app_id(client_id) if client_id else None
        if existing is None:
            app = await self.create_application(
                {"displayName": "keyless admin", "appId": client_id} if client_id else {"displayName": "keyless admin"}
            )
            sp = await self.create_service_principal({"appId": app["appId"]})
            graph = await self.find_service_principal_by_app_id(GRAPH_APP_ID)
            assert graph is not None
            for role in graph["appRoles"]:
                if role["value"].endswith("ReadWrite.All"):
                    await self.assign_app_role(sp["id"], graph["id"], role["id"])
        else:
            app = existing
            for cred in app["passwordCredentials"] if replace else ():
                await self.remove_password(app["id"], cred["keyId"])
        created = await self.add_password(app["id"], {"displayName": "keyless admin"}, secret=client_secret)
        async with self.store.transaction() as session:
            await session.merge(InstanceSetting(key="admin_app_id", value=app["appId"]))
        self.instance.admin_app_id = app["appId"]
        return str(created["secretText"])

    # --- applications ----------------------------------------------------------------------------

    async def create_application(self, fields: dict[str, Any]) -> dict[str, Any]:
        object_id = new_guid()
        app_id = fields.get("appId") or new_guid()
        data = application_defaults(app_id, object_id)
        data.update({k: v for k, v in fields.items() if k not in ("id", "appId", "passwordCredentials")})
        if isinstance(fields.get("api"), dict):
            data["api"] = {**application_defaults(app_id, object_id)["api"], **fields["api"]}
        data["displayName"] = data.get("displayName") or ""
        data["appRoles"] = normalize_app_roles(data.get("appRoles") or [])
        try:
            async with self.store.transaction() as session:
                await _check_identifier_uris(session, data.get("identifierUris") or [], app_id)
                session.add(
                    Application(
                        id=object_id, app_id=app_id, display_name=data["displayName"], data=data, created=clock.now()
                    )
                )
        except IntegrityError as exc:
            raise DirectoryError(
                "Another object with the same value for property appId already exists.", code="Request_BadRequest"
            ) from exc
        self.changed()
        return data

    async def _get(self, model: type[Application] | type[ServicePrincipal], object_id: str) -> dict[str, Any]:
        async with self.store.session() as session:
            row = await session.get(model, object_id)
        if row is None:
            raise not_found(object_id)
        return dict(row.data)

    async def _find(self, model: type[Application] | type[ServicePrincipal], condition: Any) -> dict[str, Any] | None:
        async with self.store.session() as session:
            row = await session.scalar(select(model).where(condition))
        return dict(row.data) if row else None

    async def _all(self, model: type[Application] | type[ServicePrincipal]) -> list[dict[str, Any]]:
        async with self.store.session() as session:
            rows = (await session.scalars(select(model).order_by(model.created))).all()
        return [dict(r.data) for r in rows]

    async def get_application(self, object_id: str) -> dict[str, Any]:
        return await self._get(Application, object_id)

    async def get_application_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return await self._find(Application, Application.app_id == app_id)

    async def list_applications(self) -> list[dict[str, Any]]:
        return await self._all(Application)

    async def update_application(self, object_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        async with self.store.transaction() as session:
            row = await session.get(Application, object_id)
            if row is None:
                raise not_found(object_id)
            data = dict(row.data)
            for key, value in fields.items():
                if key in ("id", "appId", "createdDateTime", "passwordCredentials"):
                    continue
                if key == "api" and isinstance(value, dict):
                    data["api"] = {**(data.get("api") or {}), **value}
                else:
                    data[key] = value
            if "appRoles" in fields:
                data["appRoles"] = normalize_app_roles(data.get("appRoles") or [])
                check_app_role_changes(row.data.get("appRoles") or [], data["appRoles"])
            if isinstance(fields.get("api"), dict) and "oauth2PermissionScopes" in fields["api"]:
                old_scopes = (row.data.get("api") or {}).get("oauth2PermissionScopes") or []
                check_app_role_changes(old_scopes, data["api"].get("oauth2PermissionScopes") or [])
            if "identifierUris" in fields:
                await _check_identifier_uris(session, data.get("identifierUris") or [], row.app_id)
            row.data = data
            row.display_name = data.get("displayName") or ""
            sp = await session.scalar(select(ServicePrincipal).where(ServicePrincipal.app_id == row.app_id))
            if sp is not None:
                sp_data = dict(sp.data)
                sp_data["appRoles"] = sp_app_roles(data.get("appRoles") or [])
                sp_data["servicePrincipalNames"] = service_principal_names(data)
                sp_data["appDisplayName"] = data.get("displayName")
                sp.data = sp_data
        self.changed()
        return data

    async def delete_application(self, object_id: str) -> None:
        async with self.store.transaction() as session:
            row = await session.get(Application, object_id)
            if row is None:
                raise not_found(object_id)
            sp = await session.scalar(select(ServicePrincipal).where(ServicePrincipal.app_id == row.app_id))
            if sp is not None:
                await self._delete_sp_rows(session, sp.id)
            await session.execute(delete(PasswordCredential).where(PasswordCredential.application_id == object_id))
            await session.delete(row)
        self.changed()

    async def add_password(self, object_id: str, fields: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
        """Graph `addPassword`: the service makes the secret and shows it once, in `secretText`."""
        secret = secret or new_secret()
        now = datetime.now(UTC)
        end = fields.get("endDateTime") or graph_timestamp(now + timedelta(days=730))
        cred = {
            "customKeyIdentifier": None,
            "displayName": fields.get("displayName"),
            "endDateTime": end,
            "hint": secret[:3],
            "keyId": new_guid(),
            "secretText": None,
            "startDateTime": fields.get("startDateTime") or graph_timestamp(now),
        }
        async with self.store.transaction() as session:
            row = await session.get(Application, object_id)
            if row is None:
                raise not_found(object_id)
            data = dict(row.data)
            data["passwordCredentials"] = [*data.get("passwordCredentials", []), cred]
            row.data = data
            session.add(
                PasswordCredential(
                    key_id=cred["keyId"], application_id=object_id, secret_sha256=secret_digest(secret), data=cred
                )
            )
        self.changed()
        return {**cred, "secretText": secret}

    async def remove_password(self, object_id: str, key_id: str) -> None:
        async with self.store.transaction() as session:
            row = await session.get(Application, object_id)
            if row is None:
                raise not_found(object_id)
            creds = row.data.get("passwordCredentials", [])
            if not any(c["keyId"] == key_id for c in creds):
                raise DirectoryError(
                    f"No password credential found with keyId {key_id}.", status=404, code="Request_ResourceNotFound"
                )
            row.data = {**row.data, "passwordCredentials": [c for c in creds if c["keyId"] != key_id]}
            await session.execute(delete(PasswordCredential).where(PasswordCredential.key_id == key_id))
        # a removed secret must stop working at once, also for verdicts cached on the token path
        self.changed()

    async def check_secret(self, app_id: str, secret: str) -> str:
        """`ok`, `expired` or `invalid`; the comparison is constant-time over every stored secret."""
        digest = secret_digest(secret)
        async with self.store.session() as session:
            app = await session.scalar(select(Application).where(Application.app_id == app_id))
            if app is None:
                return "invalid"
            rows = (
                await session.scalars(select(PasswordCredential).where(PasswordCredential.application_id == app.id))
            ).all()
        result = "invalid"
        now = graph_timestamp(datetime.now(UTC))
        for row in rows:
            if hmac.compare_digest(row.secret_sha256, digest):
                result = "expired" if (row.data.get("endDateTime") or "9999") < now else "ok"
        return result

    # --- service principals ----------------------------------------------------------------------

    async def create_service_principal(self, fields: dict[str, Any]) -> dict[str, Any]:
        app_id = fields.get("appId")
        app = await self.get_application_by_app_id(app_id) if isinstance(app_id, str) else None
        if app is None:
            raise DirectoryError(
                f"The appId '{app_id}' of the service principal does not reference a valid application object.",
                code="Request_BadRequest",
            )
        data = service_principal_defaults(new_guid(), app["appId"], app["displayName"], "Application")
        data.update({k: v for k, v in fields.items() if k not in ("id", "appId", "servicePrincipalType")})
        data["appRoles"] = sp_app_roles(app.get("appRoles") or [])
        data["servicePrincipalNames"] = service_principal_names(app)
        data["appDisplayName"] = app["displayName"]
        data["appOwnerOrganizationId"] = self.tenant_id if self.instance else None
        try:
            async with self.store.transaction() as session:
                session.add(
                    ServicePrincipal(
                        id=data["id"],
                        app_id=app["appId"],
                        display_name=data["displayName"],
                        sp_type="Application",
                        data=data,
                        created=clock.now(),
                    )
                )
        except IntegrityError as exc:
            raise DirectoryError(
                "The service principal cannot be created, updated, or restored because the service principal "
                f"name {app['appId']} is already in use.",
                status=409,
                code="Request_MultipleObjectsWithSameKeyValue",
            ) from exc
        self.changed()
        return data

    async def create_managed_identity(self, resource_id: str, display_name: str, explicit: bool) -> dict[str, Any]:
        """The service principal behind a managed identity (ARM principalId = its id, clientId = appId)."""
        key = resource_id.lower()
        async with self.store.session() as session:
            row = await session.scalar(select(ServicePrincipal).where(ServicePrincipal.mi_resource_key == key))
        if row is not None:
            return dict(row.data)
        app_id = new_guid()
        data = service_principal_defaults(new_guid(), app_id, display_name, "ManagedIdentity")
        data["alternativeNames"] = [f"isExplicit={explicit}", resource_id]
        data["servicePrincipalNames"] = [app_id, f"https://identity.azure.net/{b64url(key.encode())[:43]}="]
        async with self.store.transaction() as session:
            session.add(
                ServicePrincipal(
                    id=data["id"],
                    app_id=app_id,
                    display_name=display_name,
                    sp_type="ManagedIdentity",
                    mi_resource_key=key,
                    data=data,
                    created=clock.now(),
                )
            )
        self.changed()
        return data

    async def delete_managed_identity(self, resource_id: str) -> None:
        async with self.store.transaction() as session:
            row = await session.scalar(
                select(ServicePrincipal).where(ServicePrincipal.mi_resource_key == resource_id.lower())
            )
            if row is not None:
                await self._delete_sp_rows(session, row.id)
        self.changed()

    async def managed_identity(self, resource_id: str) -> dict[str, Any] | None:
        return await self._find(ServicePrincipal, ServicePrincipal.mi_resource_key == resource_id.lower())

    async def get_service_principal(self, object_id: str) -> dict[str, Any]:
        return await self._get(ServicePrincipal, object_id)

    async def find_service_principal_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return await self._find(ServicePrincipal, ServicePrincipal.app_id == app_id)

    async def list_service_principals(self) -> list[dict[str, Any]]:
        return await self._all(ServicePrincipal)

    async def update_service_principal(self, object_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        async with self.store.transaction() as session:
            row = await session.get(ServicePrincipal, object_id)
            if row is None:
                raise not_found(object_id)
            data = dict(row.data)
            for key, value in fields.items():
                if key not in ("id", "appId", "servicePrincipalType", "createdDateTime", "appRoles"):
                    data[key] = value
            row.data = data
            row.display_name = data.get("displayName") or ""
        self.changed()
        return data

    async def delete_service_principal(self, object_id: str) -> None:
        async with self.store.transaction() as session:
            if await session.get(ServicePrincipal, object_id) is None:
                raise not_found(object_id)
            await self._delete_sp_rows(session, object_id)
        self.changed()

    async def _delete_sp_rows(self, session: Any, sp_id: str) -> None:
        await session.execute(
            delete(AppRoleAssignment).where(
                or_(AppRoleAssignment.principal_id == sp_id, AppRoleAssignment.resource_id == sp_id)
            )
        )
        await session.execute(delete(ServicePrincipal).where(ServicePrincipal.id == sp_id))

    async def resolve_resource(self, resource: str) -> dict[str, Any] | None:
        """The resource service principal named by an App ID URI, a service principal name or an appId."""
        wanted = {resource, resource.rstrip("/"), resource.rstrip("/") + "/"}
        async with self.store.session() as session:
            row = await session.scalar(select(ServicePrincipal).where(ServicePrincipal.app_id.in_(wanted)))
            if row is not None:
                return dict(row.data)
            # servicePrincipalNames live in JSON; the directory is small enough to scan once per miss.
            rows = (await session.scalars(select(ServicePrincipal))).all()
        lowered = {w.lower() for w in wanted}
        for sp in rows:
            if any(isinstance(n, str) and n.lower() in lowered for n in sp.data.get("servicePrincipalNames", [])):
                return dict(sp.data)
        return None

    # --- app role assignments --------------------------------------------------------------------

    async def assign_app_role(self, principal_id: str, resource_id: str, app_role_id: str) -> dict[str, Any]:
        principal = await self.get_service_principal(principal_id)
        resource = await self.get_service_principal(resource_id)
        roles = {r["id"]: r for r in resource.get("appRoles", [])}
        if app_role_id != DEFAULT_ACCESS_ROLE and app_role_id not in roles:
            raise DirectoryError("Permission being assigned was not found on application", code="Request_BadRequest")
        role = roles.get(app_role_id)
        if role is not None and role.get("isEnabled") is False:
            raise DirectoryError(
                f"Permission being assigned was not found on application (keyless: app role {app_role_id} is "
                "disabled; disabled roles cannot be assigned).",
                code="Request_BadRequest",
            )
        if role is not None and "Application" not in (role.get("allowedMemberTypes") or ["Application"]):
            raise DirectoryError(
                f"Permission being assigned is not valid for the principal type (keyless: app role {app_role_id} "
                f"allows {role.get('allowedMemberTypes')}, and a service principal needs 'Application').",
                code="Request_BadRequest",
            )
        assignment_id = b64url(
            bytes.fromhex(principal_id.replace("-", ""))
            + hashlib.sha256(f"{resource_id}:{app_role_id}".encode()).digest()[:16]
        )
        data = {
            "id": assignment_id,
            "deletedDateTime": None,
            "appRoleId": app_role_id,
            "createdDateTime": clock.iso(),
            "principalDisplayName": principal["displayName"],
            "principalId": principal_id,
            "principalType": "ServicePrincipal",
            "resourceDisplayName": resource["displayName"],
            "resourceId": resource_id,
        }
        try:
            async with self.store.transaction() as session:
                session.add(
                    AppRoleAssignment(
                        id=assignment_id,
                        principal_id=principal_id,
                        resource_id=resource_id,
                        app_role_id=app_role_id,
                        data=data,
                        created=clock.now(),
                    )
                )
        except IntegrityError as exc:
            raise DirectoryError(
                "Permission being assigned already exists on the object", code="Request_BadRequest"
            ) from exc
        self.changed()
        return data

    async def list_assignments(
        self, *, principal_id: str | None = None, resource_id: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(AppRoleAssignment).order_by(AppRoleAssignment.created)
        if principal_id is not None:
            query = query.where(AppRoleAssignment.principal_id == principal_id)
        if resource_id is not None:
            query = query.where(AppRoleAssignment.resource_id == resource_id)
        async with self.store.session() as session:
            rows = (await session.scalars(query)).all()
        return [dict(r.data) for r in rows]

    async def delete_assignment(self, assignment_id: str, *, sp_id: str) -> None:
        async with self.store.transaction() as session:
            row = await session.get(AppRoleAssignment, assignment_id)
            if row is None or sp_id not in (row.principal_id, row.resource_id):
                raise not_found(assignment_id)
            await session.delete(row)
        self.changed()

    async def granted_roles(self, principal_id: str, resource: dict[str, Any]) -> tuple[bool, list[str]]:
        """(has any assignment, values of the enabled app roles assigned) for a token's `roles` claim."""
        assignments = await self.list_assignments(principal_id=principal_id, resource_id=resource["id"])
        roles = {r["id"]: r for r in resource.get("appRoles", [])}
        values = []
        for assignment in assignments:
            role = roles.get(assignment["appRoleId"])
            if role and role.get("isEnabled", True) and role.get("value"):
                values.append(role["value"])
        return bool(assignments), sorted(set(values))


async def _check_identifier_uris(session: Any, uris: list[str], own_app_id: str) -> None:
    """An App ID URI names one resource in the tenant: no other application or service principal may hold it."""
    if not uris:
        return
    wanted = {u.lower().rstrip("/") for u in uris}
    apps = (await session.scalars(select(Application).where(Application.app_id != own_app_id))).all()
    sps = (await session.scalars(select(ServicePrincipal).where(ServicePrincipal.app_id != own_app_id))).all()
    taken = [u for a in apps for u in a.data.get("identifierUris") or []]
    taken += [n for sp in sps for n in sp.data.get("servicePrincipalNames") or []]
    taken += [sp.app_id for sp in sps]
    clash = next((t for t in taken if isinstance(t, str) and t.lower().rstrip("/") in wanted), None)
    if clash is not None:
        raise DirectoryError(
            f"Another object with the same value for property identifierUris already exists. (keyless: '{clash}' "
            "is taken.)",
            code="Request_BadRequest",
        )
