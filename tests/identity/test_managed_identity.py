"""Managed identity endpoints with the real clients: azure-identity's ManagedIdentityCredential, sync (msal) and
async, over IMDS (AZURE_POD_IDENTITY_AUTHORITY_HOST) and App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER),
system-assigned and user-assigned; tokens checked with PyJWT against the published JWKS."""

from __future__ import annotations

import asyncio
import os
import shlex
import ssl
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import AsyncioRequestsTransport
from azure.identity import CredentialUnavailableError, ManagedIdentityCredential
from azure.identity.aio import ManagedIdentityCredential as AsyncManagedIdentityCredential

from keyless.arm.registry import ResourceType
from keyless.arm.router import PutContext
from keyless.identity.managed_identity.identity_block import apply_identity, remove_identity
from tests.conftest import ROOT, Keyless
from tests.platform.inprocess import InProcessKeyless, grant, make_api

HOST_TYPE = "Keyless.Test/hosts"
HOST_API = "2024-01-01"
UAMI_API = "2023-01-31"
# Every variable that steers ManagedIdentityCredential's choice of source; each test sets its own.
MI_ENV = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
)


def host_type(svc: Any) -> ResourceType:
    """A stand-in host resource (a web app, a workflow) that takes ARM's `identity` block."""

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        existing = (ctx.existing or {}).get("identity")
        block = await apply_identity(
            svc.directory, ctx.resource_id, ctx.path.name or "", ctx.body.get("identity"), existing
        )
        return {"properties": {}, **({"identity": block} if block else {})}

    async def on_delete(body: dict[str, Any]) -> None:
        await remove_identity(svc.directory, str(body["id"]))

    return ResourceType(HOST_TYPE, (HOST_API,), prepare, on_delete=on_delete)


@dataclass
class Identity:
    resource_id: str
    principal_id: str
    client_id: str


@dataclass
class World:
    kl: InProcessKeyless
    arm: Keyless  # the ARM/Graph helpers of the subprocess harness, pointed at the in-process endpoints.json
    api: str  # the App ID URI of the API the identities call
    api_sp: dict[str, Any]
    strict: str  # an API with appRoleAssignmentRequired
    hosts: dict[str, str]  # name -> host resource id
    system: dict[str, Identity]  # host name -> its system-assigned identity
    uami: dict[str, Identity]
    env: dict[str, dict[str, Any]]  # host name -> identityEndpoints answer

    def put_host(self, name: str, identity: dict[str, Any] | None) -> str:
        body: dict[str, Any] = {"location": "westus2", **({"identity": identity} if identity else {})}
        path = f"{self.arm.rg_path}/providers/{HOST_TYPE}/{name}"
        r = self.arm.arm("PUT", path, HOST_API, json=body)
        assert r.status_code in (200, 201), r.text
        return path

    def endpoints(self, resource_id: str) -> requests.Response:
        token = self.arm.admin_token("https://management.azure.com/")
        return requests.post(
            f"{self.arm.e['management']}/keyless/identityEndpoints",
            params={"resourceId": resource_id},
            headers={"Authorization": f"Bearer {token}"},
            verify=self.arm.ca,
            timeout=10,
        )


def make_world(data_dir: Path) -> World:
    kl = InProcessKeyless(data_dir).start()
    svc = kl.svc
    svc.registry.register(host_type(svc))
    arm = Keyless(data_dir)
    arm.e = kl.e
    tag = uuid.uuid4().hex[:8]
    api = f"orders-{tag}"
    _, api_sp = kl.run(make_api(svc, api, roles={"Orders.Read": True, "Orders.Write": True}))
    kl.run(make_api(svc, f"strict-{tag}", roles={"Strict.Use": True}, assignment_required=True))
    world = World(kl, arm, f"api://{api}", api_sp, f"api://strict-{tag}", {}, {}, {}, {})
    for name in ("u1", "u2"):
        path = f"{arm.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-{name}"
        r = arm.arm("PUT", path, UAMI_API, json={"location": "westus2"})
        assert r.status_code in (200, 201), r.text
        props = r.json()["properties"]
        world.uami[name] = Identity(r.json()["id"], props["principalId"], props["clientId"])
    u1, u2 = world.uami["u1"].resource_id, world.uami["u2"].resource_id
    world.hosts["both"] = world.put_host(
        "both", {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {u1: {}, u2: {}}}
    )
    world.hosts["only-u1"] = world.put_host("only-u1", {"type": "UserAssigned", "userAssignedIdentities": {u1: {}}})
    world.hosts["two-uamis"] = world.put_host(
        "two-uamis", {"type": "UserAssigned", "userAssignedIdentities": {u1: {}, u2: {}}}
    )
    world.hosts["none"] = world.put_host("none", None)
    for name in ("both", "only-u1", "two-uamis"):
        r = world.endpoints(world.hosts[name])
        assert r.status_code == 200, r.text
        world.env[name] = r.json()
    both = next(i for i in world.env["both"]["identities"] if i["type"] == "SystemAssigned")
    world.system["both"] = Identity(both["resourceId"], both["principalId"], both["clientId"])
    system_sp = kl.run(svc.directory.get_service_principal(both["principalId"]))
    kl.run(grant(svc, system_sp, api_sp, "Orders.Read"))
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("mi"))
    try:
        yield w
    finally:
        w.kl.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def use_protocol(monkeypatch: pytest.MonkeyPatch, env: dict[str, Any], protocol: str) -> None:
    if protocol == "imds":
        monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", env["AZURE_POD_IDENTITY_AUTHORITY_HOST"])
    else:
        monkeypatch.setenv("IDENTITY_ENDPOINT", env["IDENTITY_ENDPOINT"])
        monkeypatch.setenv("IDENTITY_HEADER", env["IDENTITY_HEADER"])


_jwks: dict[str, jwt.PyJWKClient] = {}


def verify(world: World, token: str, audience: str) -> dict[str, Any]:
    """Signature against the published JWKS, then Entra's v1 issuer and the requested audience."""
    url = f"{world.kl.login}/{world.kl.tenant}/discovery/v2.0/keys"
    client = _jwks.setdefault(url, jwt.PyJWKClient(url, ssl_context=ssl.create_default_context(cafile=world.kl.ca)))
    key = client.get_signing_key_from_jwt(token)
    return dict(
        jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            audience=audience,
            issuer=f"https://sts.windows.net/{world.kl.tenant}/",
        )
    )


def expect_identity(claims: dict[str, Any], identity: Identity) -> None:
    assert claims["oid"] == identity.principal_id
    assert claims["sub"] == identity.principal_id
    assert claims["appid"] == identity.client_id
    assert claims["xms_mirid"].lower() == identity.resource_id.lower()
    assert claims["idtyp"] == "app"


# (case name, credential kwargs as a function of the world, which identity answers)
SYNC_CASES = [
    ("system", lambda w: {}, lambda w: w.system["both"]),
    ("client_id", lambda w: {"client_id": w.uami["u1"].client_id}, lambda w: w.uami["u1"]),
    ("resource_id", lambda w: {"identity_config": {"resource_id": w.uami["u2"].resource_id}}, lambda w: w.uami["u2"]),
    ("object_id", lambda w: {"identity_config": {"object_id": w.uami["u1"].principal_id}}, lambda w: w.uami["u1"]),
]
# Async azure-identity sends identity_config keys verbatim, so the IMDS and App Service spellings reach the wire.
ASYNC_CASES = [
    *SYNC_CASES,
    ("msi_res_id", lambda w: {"identity_config": {"msi_res_id": w.uami["u2"].resource_id}}, lambda w: w.uami["u2"]),
    ("mi_res_id", lambda w: {"identity_config": {"mi_res_id": w.uami["u1"].resource_id}}, lambda w: w.uami["u1"]),
    (
        "principal_id",
        lambda w: {"identity_config": {"principal_id": w.uami["u2"].principal_id}},
        lambda w: w.uami["u2"],
    ),
]
PROTOCOLS = ("imds", "app_service")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(("case", "kwargs", "expected"), SYNC_CASES, ids=[c[0] for c in SYNC_CASES])
def test_sync_credential_gets_the_chosen_identity(
    world: World, clean_env: pytest.MonkeyPatch, protocol: str, case: str, kwargs: Any, expected: Any
) -> None:
    use_protocol(clean_env, world.env["both"], protocol)
    credential = ManagedIdentityCredential(**kwargs(world))
    token = credential.get_token(f"{world.api}/.default")
    claims = verify(world, token.token, world.api)
    expect_identity(claims, expected(world))
    assert token.expires_on == claims["exp"]
    # Only the system-assigned identity holds Orders.Read; an unassigned identity's token has no roles claim.
    if case == "system":
        assert claims["roles"] == ["Orders.Read"]
    else:
        assert "roles" not in claims


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(("case", "kwargs", "expected"), ASYNC_CASES, ids=[c[0] for c in ASYNC_CASES])
async def test_async_credential_gets_the_chosen_identity(
    world: World, clean_env: pytest.MonkeyPatch, protocol: str, case: str, kwargs: Any, expected: Any
) -> None:
    use_protocol(clean_env, world.env["both"], protocol)
    # aiohttp is not installed here; azure-core's asyncio transport runs the same async credential code.
    async with AsyncManagedIdentityCredential(transport=AsyncioRequestsTransport(), **kwargs(world)) as credential:
        token = await credential.get_token(f"{world.api}/.default")
    claims = verify(world, token.token, world.api)
    expect_identity(claims, expected(world))
    assert ("roles" in claims) == (case == "system")


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_a_sole_user_assigned_identity_is_the_imds_default(
    world: World, clean_env: pytest.MonkeyPatch, flavour: str
) -> None:
    use_protocol(clean_env, world.env["only-u1"], "imds")
    if flavour == "sync":
        token = ManagedIdentityCredential().get_token(f"{world.api}/.default").token
    else:

        async def get() -> str:
            async with AsyncManagedIdentityCredential(transport=AsyncioRequestsTransport()) as credential:
                return (await credential.get_token(f"{world.api}/.default")).token

        token = asyncio.run(get())
    expect_identity(verify(world, token, world.api), world.uami["u1"])


def test_app_service_needs_a_selector_without_a_system_assigned_identity(
    world: World, clean_env: pytest.MonkeyPatch
) -> None:
    """App Service has no sole-user-assigned default (seen in the wild); the client fails fast and says why."""
    use_protocol(clean_env, world.env["only-u1"], "app_service")
    started = time.monotonic()
    with pytest.raises(CredentialUnavailableError, match="No user assigned identity"):
        ManagedIdentityCredential().get_token(f"{world.api}/.default")
    assert time.monotonic() - started < 5
    token = ManagedIdentityCredential(client_id=world.uami["u1"].client_id).get_token(f"{world.api}/.default")
    expect_identity(verify(world, token.token, world.api), world.uami["u1"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_client_id_fails_fast_sync(world: World, clean_env: pytest.MonkeyPatch, protocol: str) -> None:
    use_protocol(clean_env, world.env["both"], protocol)
    started = time.monotonic()
    with pytest.raises(CredentialUnavailableError) as raised:
        ManagedIdentityCredential(client_id=str(uuid.uuid4())).get_token(f"{world.api}/.default")
    assert time.monotonic() - started < 5  # a 400, not a retried 404/5xx
    expected = "Identity not found" if protocol == "imds" else "Unable to load the proper Managed Identity"
    assert expected in str(raised.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_unknown_client_id_fails_fast_async(world: World, clean_env: pytest.MonkeyPatch, protocol: str) -> None:
    use_protocol(clean_env, world.env["both"], protocol)
    started = time.monotonic()
    with pytest.raises(ClientAuthenticationError) as raised:  # CredentialUnavailableError is one too
        async with AsyncManagedIdentityCredential(
            transport=AsyncioRequestsTransport(), client_id=str(uuid.uuid4())
        ) as credential:
            await credential.get_token(f"{world.api}/.default")
    assert time.monotonic() - started < 5
    if protocol == "imds":
        assert isinstance(raised.value, CredentialUnavailableError)
        assert "has not been assigned" in str(raised.value)
    else:
        assert "Unable to load the proper Managed Identity" in str(raised.value)


def test_unknown_resource_fails_fast_with_aadsts500011(world: World, clean_env: pytest.MonkeyPatch) -> None:
    use_protocol(clean_env, world.env["both"], "imds")
    started = time.monotonic()
    with pytest.raises(CredentialUnavailableError, match="AADSTS500011"):
        ManagedIdentityCredential().get_token("api://nobody-registered-this/.default")
    assert time.monotonic() - started < 5


def test_same_identity_and_resource_get_the_cached_token_until_assignments_change(world: World) -> None:
    env = world.env["two-uamis"]
    url = env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] + "/metadata/identity/oauth2/token"
    query = {"api-version": "2018-02-01", "resource": world.api, "client_id": world.uami["u2"].client_id}

    def fetch(**extra: str) -> dict[str, Any]:
        r = requests.get(url, params={**query, **extra}, headers={"Metadata": "true"}, timeout=10)
        assert r.status_code == 200, r.text
        return dict(r.json())

    first, second = fetch(), fetch()
    assert first["access_token"] == second["access_token"]
    # The App Service endpoint of the same host shares the identity's cache.
    r = requests.get(
        env["IDENTITY_ENDPOINT"],
        params={"api-version": "2019-08-01", "resource": world.api, "client_id": world.uami["u2"].client_id},
        headers={"X-IDENTITY-HEADER": env["IDENTITY_HEADER"]},
        timeout=10,
    )
    assert r.json()["access_token"] == first["access_token"]
    assert "roles" not in verify(world, first["access_token"], world.api)

    u2 = world.kl.run(world.kl.svc.directory.get_service_principal(world.uami["u2"].principal_id))
    world.kl.run(grant(world.kl.svc, u2, world.api_sp, "Orders.Write"))
    third = fetch()
    assert third["access_token"] != first["access_token"]
    assert verify(world, third["access_token"], world.api)["roles"] == ["Orders.Write"]
    assert fetch(bypass_cache="true")["access_token"] != third["access_token"]


def test_a_user_assigned_identity_can_be_its_own_host(world: World, clean_env: pytest.MonkeyPatch) -> None:
    r = world.endpoints(world.uami["u2"].resource_id)
    assert r.status_code == 200, r.text
    env = r.json()
    assert [i["clientId"] for i in env["identities"]] == [world.uami["u2"].client_id]
    use_protocol(clean_env, env, "app_service")
    token = ManagedIdentityCredential().get_token(f"{world.api}/.default")
    expect_identity(verify(world, token.token, world.api), world.uami["u2"])


CHILD = textwrap.dedent(
    """
    import sys
    from azure.identity import ManagedIdentityCredential
    print(ManagedIdentityCredential().get_token(sys.argv[1] + "/.default").token)
    """
)


def test_keyless_identity_env_makes_a_program_run_as_the_identity(world: World, tmp_path: Path) -> None:
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k not in MI_ENV}
    env["PYTHONPATH"] = str(ROOT / "src")
    data_dir = shlex.quote(str(world.kl.settings.data_dir))
    cli = f"{sys.executable} -m keyless.cli.main identity env {shlex.quote(world.hosts['both'])} --data-dir {data_dir}"
    exported = subprocess.run(cli, shell=True, env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "export IDENTITY_ENDPOINT=" in exported and "export AZURE_POD_IDENTITY_AUTHORITY_HOST=" in exported
    assert world.env["both"]["IDENTITY_HEADER"] in exported
    script = f'eval "$({cli})" && {sys.executable} {child} {world.api}'
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    claims = verify(world, done.stdout.strip(), world.api)
    expect_identity(claims, world.system["both"])
    assert claims["roles"] == ["Orders.Read"]


def test_keyless_identity_env_reports_a_missing_resource(world: World) -> None:
    missing = f"{world.arm.rg_path}/providers/{HOST_TYPE}/never-made"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "keyless.cli.main",
            "identity",
            "env",
            missing,
            "--data-dir",
            str(world.kl.settings.data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert "ResourceNotFound" in done.stderr


def test_keyless_up_serves_a_user_assigned_identity_to_a_child_program(keyless: Keyless, tmp_path: Path) -> None:
    """End to end on the `keyless up` process: a UAMI made over ARM, `keyless identity env`, an unchanged program."""
    path = f"{keyless.rg_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-e2e-{uuid.uuid4().hex[:6]}"
    r = keyless.arm("PUT", path, UAMI_API, json={"location": "westus2"})
    assert r.status_code in (200, 201), r.text
    uami = Identity(r.json()["id"], r.json()["properties"]["principalId"], r.json()["properties"]["clientId"])
    child = tmp_path / "child.py"
    child.write_text(CHILD)
    env = {k: v for k, v in os.environ.items() if k not in MI_ENV}
    data_dir = shlex.quote(str(keyless.data_dir))
    cli = f"{sys.executable} -m keyless.cli.main identity env {shlex.quote(path)} --data-dir {data_dir}"
    graph = "https://graph.microsoft.com"
    done = subprocess.run(
        ["bash", "-c", f'eval "$({cli})" && {sys.executable} {child} {graph}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    url = f"{keyless.e['login']}/{keyless.tenant}/discovery/v2.0/keys"
    key = jwt.PyJWKClient(url, ssl_context=ssl.create_default_context(cafile=keyless.ca)).get_signing_key_from_jwt(
        token
    )
    claims = jwt.decode(
        token, key.key, algorithms=["RS256"], audience=graph, issuer=f"https://sts.windows.net/{keyless.tenant}/"
    )
    expect_identity(claims, uami)
