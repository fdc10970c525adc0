"""`keyless identity ...`: run your own program as a managed identity of a keyless resource."""

from __future__ import annotations

import json
import shlex
import ssl
from pathlib import Path
from typing import Any

import httpx
import typer

from keyless.cli.cloud import CliError as CloudError
from keyless.cli.cloud import CloudName, DataDir, Group, Location, Output, Subscription, emit, fail, open_cloud

app = typer.Typer(no_args_is_help=True, help="Managed identities of keyless resources.")

# What `env` exports: App Service's pair (azure-identity prefers it) and the IMDS authority for IMDS-only clients.
EXPORTED = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST")


class CliError(Exception):
    pass


def _endpoints(data_dir: Path) -> dict[str, Any]:
    path = data_dir / "endpoints.json"
    try:
        return dict(json.loads(path.read_text()))
    except OSError as exc:
        raise CliError(f"cannot read {path} ({exc.strerror}); is `keyless up --data-dir {data_dir}` running?") from exc
    except ValueError as exc:
        raise CliError(f"{path} is not valid JSON") from exc


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('code')}: {error.get('message')}"
    if isinstance(body, dict) and "error_description" in body:
        return f"{body.get('error')}: {body['error_description']}"
    return f"HTTP {response.status_code}"


def identity_endpoints(endpoints: dict[str, Any], resource_id: str) -> dict[str, Any]:
    """Ask the management plane, as the local admin, for the host's endpoints."""
    admin = endpoints["admin"]
    with httpx.Client(verify=ssl.create_default_context(cafile=str(endpoints["ca_cert"])), timeout=30) as client:
        token = client.post(
            f"{endpoints['login']}/{endpoints['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": admin["client_id"],
                "client_secret": admin["client_secret"],
                "scope": "https://management.azure.com/.default",
            },
        )
        if token.status_code != 200:
            raise CliError(f"the admin credential was refused: {_error_text(token)}")
        response = client.post(
            f"{endpoints['management']}/keyless/identityEndpoints",
            params={"resourceId": resource_id},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )
    if response.status_code != 200:
        raise CliError(_error_text(response))
    return dict(response.json())


@app.command("env")
def env(
    resource_id: str = typer.Argument(..., help="ARM id of a resource with a managed identity (or of a UAMI)."),
    data_dir: Path = typer.Option(Path(".keyless"), "--data-dir", help="The data dir of the running keyless."),
) -> None:
    """Print `export` lines that make ManagedIdentityCredential get tokens as RESOURCE_ID's managed identity.

    Example:

        ID=/subscriptions/SUB/resourceGroups/keyless/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders

        eval "$(keyless identity env "$ID" --data-dir .keyless)"

        python my_app.py    # ManagedIdentityCredential() now runs as that identity
    """
    try:
        document = identity_endpoints(_endpoints(data_dir), resource_id)
    except (CliError, httpx.HTTPError) as exc:
        typer.echo(f"keyless identity env: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name in EXPORTED:
        typer.echo(f"export {name}={shlex.quote(str(document[name]))}")
    for identity in document.get("identities", []):
        typer.echo(f"# {identity['type']} {identity['resourceId']} clientId={identity['clientId']}")


MSI_API_VERSION = "2023-01-31"


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", "-n", help="The user-assigned identity's name."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    location: str = Location,
    output: str = Output,
) -> None:
    """Create a user-assigned managed identity (PUT Microsoft.ManagedIdentity/userAssignedIdentities).

    Example: keyless identity create --name orders-identity
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription, location)
        path = f"{c.group_path}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
        made = c.arm("PUT", path, {"location": c.location}, api_version=MSI_API_VERSION)
        emit(
            made,
            output,
            [
                ("name", "name"),
                ("clientId", "properties.clientId"),
                ("principalId", "properties.principalId"),
                ("id", "id"),
            ],
        )
    except CloudError as exc:
        raise fail(exc) from exc
