"""`keyless demo`: the identity half of the seed scenario, through the public APIs only, with evidence.

It starts keyless on a fresh data dir, registers an API with an app role, gives a user-assigned managed identity
that role, gets the identity's token from its managed identity endpoint, checks it against the published JWKS
as a gateway's `validate-jwt` would, then shows an identity without the role refused. Exit status 1 when
anything differs from what Azure would do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt

from keyless.platform.settings import Settings

API_URI = "api://keyless-demo-api"
ROLE = "AddRole"


class DemoFailure(Exception):
    pass


@contextlib.contextmanager
def running_keyless(data_dir: Path) -> Iterator[dict[str, Any]]:
    """keyless in this process, on a thread of its own, until the block ends."""
    from keyless.server import serve

    ready, failed = threading.Event(), []
    holder: dict[str, Any] = {}

    def run() -> None:
        async def main() -> None:
            holder["stop"] = stop = asyncio.Event()
            holder["loop"] = asyncio.get_running_loop()
            started = asyncio.Event()
            task = asyncio.create_task(serve(Settings.from_env(data_dir, port=0), ready=started, stop=stop))
            await started.wait()
            ready.set()
            await task

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced to the caller below
            failed.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="keyless", daemon=True)
    thread.start()
    ready.wait(60)
    if failed:
        raise DemoFailure(f"keyless did not start: {failed[0]}")
    try:
        yield json.loads((data_dir / "endpoints.json").read_text())
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(15)


class Client:
    """Thin HTTP client of Graph and ARM with the admin's tokens."""

    def __init__(self, e: dict[str, Any]) -> None:
        self.e = e
        self.http = httpx.Client(verify=e["ca_cert"], timeout=30)
        self._tokens: dict[str, str] = {}

    def close(self) -> None:
        # idle keep-alive connections would hold up the server's graceful shutdown
        self.http.close()

    def token(self, resource: str) -> str:
        if resource not in self._tokens:
            r = self.http.post(
                f"{self.e['authority']}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.e["admin"]["client_id"],
                    "client_secret": self.e["admin"]["client_secret"],
                    "scope": f"{resource}/.default",
                },
            )
            self._tokens[resource] = expect(r, 200)["access_token"]
        return self._tokens[resource]

    def graph(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        r = self.http.request(
            method,
            f"{self.e['graph']}/v1.0{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.token('https://graph.microsoft.com')}"},
        )
        return expect(r, status)

    def arm(self, method: str, path: str, api_version: str, body: Any = None, status: int = 200) -> Any:
        r = self.http.request(
            method,
            f"{self.e['management']}{path}",
            params={"api-version": api_version},
            json=body,
            headers={"Authorization": f"Bearer {self.token('https://management.azure.com')}"},
        )
        return expect(r, status)


def expect(r: httpx.Response, *statuses: int) -> Any:
    if r.status_code not in statuses:
        raise DemoFailure(f"{r.request.method} {r.request.url.path} answered {r.status_code}: {r.text[:400]}")
    return r.json() if r.content else None


def step(n: int | str, text: str) -> None:
    print(f"\n[{n}] {text}", flush=True)


def show(label: str, value: Any) -> None:
    print(f"    {label:<22} {value}", flush=True)


def check_like_validate_jwt(token: str, e: dict[str, Any]) -> dict[str, Any]:
    """What `validate-jwt` with the v1 openid-config, an audience and a required `roles` claim decides."""
    jwks = jwt.PyJWKClient(f"{e['authority']}/discovery/keys", ssl_context=_ssl(e))
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=API_URI, issuer=f"https://sts.windows.net/{e['tenant_id']}/"
    )
    if ROLE not in (claims.get("roles") or []):
        raise PermissionError(f"the token has no `roles` claim value `{ROLE}` (roles: {claims.get('roles', [])})")
    return claims


def _ssl(e: dict[str, Any]) -> Any:
    import ssl

    return ssl.create_default_context(cafile=e["ca_cert"])


def managed_identity_token(client: Client, identity_id: str) -> str:
    env = client.http.post(
        f"{client.e['management']}/keyless/identityEndpoints",
        params={"resourceId": identity_id},
        headers={"Authorization": f"Bearer {client.token('https://management.azure.com')}"},
    )
    env = expect(env, 200)
    r = client.http.get(
        f"{env['AZURE_POD_IDENTITY_AUTHORITY_HOST']}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": API_URI},
        headers={"Metadata": "true"},
    )
    if r.status_code != 200:
        raise PermissionError(r.json().get("error_description", r.text))
    return str(r.json()["access_token"])


def run(data_dir: Path) -> None:
    with running_keyless(data_dir) as e, contextlib.closing(Client(e)) as c:
        rg = f"/subscriptions/{e['subscription_id']}/resourceGroups/{e['resource_group']}"
        print(f"keyless is up: tenant {e['tenant_id']}, data in {data_dir}")

        step(1, f"Register the API's application with Application ID URI {API_URI} and app role {ROLE}")
        role_id = "5c6d2b5e-3f0a-4c59-9a0e-4f5f0d7a9a11"
        app = c.graph(
            "POST",
            "/applications",
            {
                "displayName": "keyless-demo-api",
                "identifierUris": [API_URI],
                "appRoles": [
                    {
                        "id": role_id,
                        "allowedMemberTypes": ["Application"],
                        "displayName": ROLE,
                        "description": "Callers that may add",
                        "value": ROLE,
                        "isEnabled": True,
                    }
                ],
            },
            status=201,
        )
        api_sp = c.graph("POST", "/servicePrincipals", {"appId": app["appId"]}, status=201)
        show("appId", app["appId"])
        show("service principal", api_sp["id"])

        step(2, "Give the caller a user-assigned managed identity (ARM)")
        ids = {}
        for name in ("demo-caller", "demo-norole"):
            uami = c.arm(
                "PUT",
                f"{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}",
                "2023-01-31",
                {"location": e["location"]},
                status=201,
            )
            ids[name] = uami
            show(name, f"principalId {uami['properties']['principalId']}, clientId {uami['properties']['clientId']}")

        step(3, f"Assign demo-caller to the app role {ROLE} (Graph appRoleAssignedTo)")
        assignment = c.graph(
            "POST",
            f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
            {
                "principalId": ids["demo-caller"]["properties"]["principalId"],
                "resourceId": api_sp["id"],
                "appRoleId": role_id,
            },
            status=201,
        )
        show("assignment", assignment["id"])

        step(4, "demo-caller gets a token from its managed identity endpoint (IMDS protocol)")
        token = managed_identity_token(c, ids["demo-caller"]["id"])
        claims = check_like_validate_jwt(token, e)
        for claim in ("aud", "iss", "appid", "oid", "roles", "ver", "xms_mirid"):
            show(claim, claims.get(claim))
        show("decision", "accepted: signature, issuer, audience and roles all match")

        step(5, "demo-norole, an identity without the role, is refused")
        token = managed_identity_token(c, ids["demo-norole"]["id"])
        try:
            check_like_validate_jwt(token, e)
        except PermissionError as exc:
            show("decision", f"refused: {exc}")
        else:
            raise DemoFailure("a token without the role was accepted")

        step(6, "With appRoleAssignmentRequired, Entra does not even issue it a token")
        c.graph("PATCH", f"/servicePrincipals/{api_sp['id']}", {"appRoleAssignmentRequired": True}, status=204)
        try:
            managed_identity_token(c, ids["demo-norole"]["id"])
        except PermissionError as exc:
            if "AADSTS501051" not in str(exc):
                raise DemoFailure(f"expected AADSTS501051, got: {exc}") from exc
            show("decision", str(exc).splitlines()[0])
        else:
            raise DemoFailure("a token was issued although the identity holds no role and assignment is required")
    print("\nThe identity chain behaves as Azure's does.")


def main(data_dir: Path | None = None) -> int:
    try:
        if data_dir is None:
            with tempfile.TemporaryDirectory(prefix="keyless-demo-") as tmp:
                run(Path(tmp))
        else:
            run(data_dir)
    except (DemoFailure, PermissionError, jwt.PyJWTError) as exc:
        print(f"\nDEMO FAILED: {exc}", flush=True)
        return 1
    return 0
