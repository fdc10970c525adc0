"""`keyless identity ...`: run your own program as a managed identity of a keyless resource."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer

from keyless.cli.cloud import CliError as CloudError
from keyless.cli.cloud import (
    Cloud,
    CloudName,
    DataDir,
    Group,
    Location,
    Output,
    Subscription,
    emit,
    error_text,
    fail,
    open_cloud,
)

app = typer.Typer(no_args_is_help=True, help="Managed identities of keyless resources.")

# What `env` exports: App Service's pair (azure-identity prefers it) and the IMDS authority for IMDS-only clients.
EXPORTED = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST")


def identity_endpoints(data_dir: Path, resource_id: str) -> dict[str, Any]:
    """Ask the management plane, as the local admin, for the host's endpoints."""
    c = Cloud.keyless(data_dir)
    try:
        response = c.request("POST", "/keyless/identityEndpoints", params={"resourceId": resource_id})
    finally:
        c.close()
    if response.status_code != 200:
        raise CloudError(error_text(response))
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
        document = identity_endpoints(data_dir, resource_id)
    except CloudError as exc:
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
