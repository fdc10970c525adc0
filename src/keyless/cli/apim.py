"""`keyless apim ...`: load APIOps extractor folders into a running keyless through its management API."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import typer

from keyless.cli.cloud import (
    CliError,
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
    progress,
)
from keyless.gateway.management.apiops import Plan, read

app = typer.Typer(no_args_is_help=True, help="API Management services of a running keyless.")


APIM_API_VERSION = "2022-08-01"  # the api-version APIOps publishes with


def _ensure_service(c: Cloud, name: str) -> dict[str, Any]:
    found = c.request("GET", _service_path(c, name), api_version=APIM_API_VERSION)
    if found.status_code == 200:
        return dict(found.json())
    body = {
        "location": c.location,
        "sku": {"name": "Developer", "capacity": 1},
        "properties": {"publisherEmail": "admin@keyless.local", "publisherName": "keyless"},
    }
    return dict(c.arm("PUT", _service_path(c, name), body, api_version=APIM_API_VERSION))


def run_import(c: Cloud, plan: Plan, service: str) -> dict[str, Any]:
    """PUT everything in order; a refusal is recorded with ARM's reason and the import goes on."""
    svc = _ensure_service(c, service)
    base = _service_path(c, service)
    imported: dict[str, int] = {}
    failed: list[dict[str, str]] = []
    for put in plan.puts:
        response = c.request("PUT", base + put.path, put.body, api_version=APIM_API_VERSION)
        if response.status_code in (200, 201):
            imported[put.kind] = imported.get(put.kind, 0) + 1
        else:
            failed.append({"kind": put.kind, "path": put.path, "error": error_text(response)})
    subscriptions = []
    for put in plan.puts:
        if put.kind == "subscription" and not any(f["path"] == put.path for f in failed):
            keys = c.arm("POST", f"{base}{put.path}/listSecrets", api_version=APIM_API_VERSION, ok=(200,))
            props = c.arm("GET", base + put.path, api_version=APIM_API_VERSION, ok=(200,))["properties"]
            subscriptions.append(
                {
                    "name": put.path.rsplit("/", 1)[1],
                    "scope": props["scope"][len(base) :] or "/",
                    "state": props["state"],
                    "primaryKey": keys["primaryKey"],
                    "secondaryKey": keys["secondaryKey"],
                }
            )
    return {
        "service": service,
        "gatewayUrl": svc["properties"]["gatewayUrl"],
        "imported": imported,
        "failed": failed,
        "skipped": plan.skipped,
        "subscriptions": subscriptions,
    }


def _table(summary: dict[str, Any]) -> str:
    lines = [f"service {summary['service']}  gateway {summary['gatewayUrl']}", "imported:"]
    lines += [f"  {kind:<18} {count}" for kind, count in summary["imported"].items()]
    if summary["failed"]:
        lines.append("refused:")
        lines += [f"  {f['path']}: {f['error']}" for f in summary["failed"]]
    if summary["skipped"]:
        lines.append("skipped:")
        lines += [f"  {note}" for note in summary["skipped"]]
    if summary["subscriptions"]:
        lines.append("subscriptions:")
        lines.append(f"  {'name':<20} {'scope':<28} {'state':<10} {'primary key':<34} secondary key")
        lines += [
            f"  {s['name']:<20} {s['scope']:<28} {s['state']:<10} {s['primaryKey']:<34} {s['secondaryKey']}"
            for s in summary["subscriptions"]
        ]
    return "\n".join(lines)


@app.command("import")
def import_(
    folder: Path = typer.Argument(..., help="An APIOps extractor folder (policy.xml, apis/, products/, ...)."),
    service: str = typer.Option(..., "--service", help="The APIM service to load it into (created if missing)."),
    data_dir: Path = typer.Option(Path(".keyless"), "--data-dir", help="The data dir of the running keyless."),
    resource_group: str = typer.Option(None, "--resource-group", help="Default: keyless's resource group."),
    location: str = typer.Option(None, "--location", help="Location of a service created here."),
    output: str = typer.Option("table", "--output", help="table or json."),
) -> None:
    """Recreate an APIOps extractor folder in SERVICE through the management API; print the subscription keys.

    Example: keyless apim import ./SampleArtifacts --service contoso --data-dir /tmp/kl
    """
    if output not in ("table", "json"):
        raise typer.BadParameter("--output is table or json")
    try:
        plan = read(folder)
        c = open_cloud("keyless", data_dir, resource_group, location=location)
        try:
            summary = run_import(c, plan, service)
        finally:
            c.close()
    except (CliError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, indent=2) if output == "json" else _table(summary))
    if summary["failed"]:
        raise typer.Exit(1)


# ---- the seed scenario's verbs: thin ARM calls that work on keyless and, with --cloud azure, on Azure ----

api_app = typer.Typer(no_args_is_help=True, help="APIs of an API Management service.")
policy_app = typer.Typer(no_args_is_help=True, help="Policies at service, API or operation scope.")
subscription_app = typer.Typer(no_args_is_help=True, help="Subscriptions and their keys.")
service_app = typer.Typer(no_args_is_help=True, help="API Management services.")
app.add_typer(api_app, name="api")
app.add_typer(policy_app, name="policy")
app.add_typer(subscription_app, name="subscription")
app.add_typer(service_app, name="service")

SERVICE = typer.Option(..., "--service", "-s", help="The API Management service's name.")


def _service_path(c: Cloud, service: str) -> str:
    return f"{c.group_path}/providers/Microsoft.ApiManagement/service/{service}"


def _wait_provisioned(c: Cloud, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Azure provisions a service for many minutes; say so and poll, as `az` does."""
    state = (body.get("properties") or {}).get("provisioningState", "Succeeded")
    with progress(f"waiting for {path.rsplit('/', 1)[1]} to be provisioned (Azure takes many minutes)"):
        while state not in ("Succeeded", "Failed", "Canceled"):
            time.sleep(10 if c.name == "azure" else 0.2)
            body = c.arm("GET", path, api_version=APIM_API_VERSION)
            state = (body.get("properties") or {}).get("provisioningState", "Succeeded")
    if state != "Succeeded":
        raise CliError(f"{path} ended in provisioningState {state}")
    return body


@service_app.command("create")
def service_create(
    name: str = typer.Option(..., "--name", "-n"),
    publisher_email: str = typer.Option("admin@contoso.com", "--publisher-email"),
    publisher_name: str = typer.Option("keyless", "--publisher-name"),
    sku: str = typer.Option("Developer", "--sku"),
    system_identity: bool = typer.Option(False, "--system-identity", help="Give it a system-assigned identity."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    location: str = Location,
    output: str = Output,
) -> None:
    """Create an API Management service; on keyless its gateway listens at once (see gatewayUrl).

    Example: keyless apim service create --name contoso
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription, location)
        path = _service_path(c, name)
        body: dict[str, Any] = {
            "location": c.location,
            "sku": {"name": sku, "capacity": 1},
            "properties": {"publisherEmail": publisher_email, "publisherName": publisher_name},
        }
        if system_identity:
            body["identity"] = {"type": "SystemAssigned"}
        made = _wait_provisioned(c, path, c.arm("PUT", path, body, api_version=APIM_API_VERSION, ok=(200, 201, 202)))
        emit(
            made,
            output,
            [("name", "name"), ("gatewayUrl", "properties.gatewayUrl"), ("state", "properties.provisioningState")],
        )
    except CliError as exc:
        raise fail(exc) from exc


@api_app.command("create")
def api_create(
    service: str = SERVICE,
    name: str = typer.Option(..., "--name", "-n", help="The API's id."),
    path: str = typer.Option(..., "--path", help="The API's URL suffix on the gateway."),
    backend: str = typer.Option(..., "--backend", help="The backend's base URL (serviceUrl)."),
    operation: list[str] = typer.Option(
        [], "--operation", help="'METHOD /template' (repeatable); default: GET /* and POST /*."
    ),
    subscription_required: bool = typer.Option(True, "--subscription-required/--no-subscription-required"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Create an API and its operations in a service.

    Example: keyless apim api create -s contoso -n orders --path orders --backend http://127.0.0.1:9000
             --operation "POST /orders"
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        api_path = f"{_service_path(c, service)}/apis/{name}"
        made = c.arm(
            "PUT",
            api_path,
            {
                "properties": {
                    "displayName": name,
                    "path": path,
                    "serviceUrl": backend,
                    "protocols": ["https"],
                    "subscriptionRequired": subscription_required,
                }
            },
            api_version=APIM_API_VERSION,
        )
        for spec in operation or ["GET /*", "POST /*"]:
            method, _, template = spec.strip().partition(" ")
            if not template.startswith("/"):
                raise CliError(f"--operation is 'METHOD /template', not {spec!r}")
            op_id = re.sub(r"[^A-Za-z0-9]+", "-", f"{method.lower()}{template}").strip("-") or method.lower()
            c.arm(
                "PUT",
                f"{api_path}/operations/{op_id}",
                {"properties": {"displayName": spec, "method": method.upper(), "urlTemplate": template}},
                api_version=APIM_API_VERSION,
            )
        emit(made, output, [("name", "name"), ("path", "properties.path"), ("serviceUrl", "properties.serviceUrl")])
    except CliError as exc:
        raise fail(exc) from exc


@policy_app.command("set")
def policy_set(
    service: str = SERVICE,
    api: str = typer.Option(None, "--api", help="Default: the service-wide (global) policy."),
    operation: str = typer.Option(None, "--operation", help="An operation id of --api."),
    file: Path = typer.Option(None, "--file", "-f", help="The policy document (XML)."),
    xml: str = typer.Option(None, "--xml", help="The policy document inline."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Set a policy document; a bad one is refused with the element, line and column.

    Example: keyless apim policy set -s contoso --api orders --file validate-jwt.xml
    """
    try:
        if (file is None) == (xml is None):
            raise CliError("give the policy with exactly one of --file or --xml")
        document = file.read_text() if file is not None else xml
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        scope = _service_path(c, service)
        if api:
            scope += f"/apis/{api}"
            if operation:
                scope += f"/operations/{operation}"
        elif operation:
            raise CliError("--operation needs --api")
        made = c.arm(
            "PUT",
            f"{scope}/policies/policy",
            {"properties": {"format": "rawxml", "value": document}},
            api_version=APIM_API_VERSION,
        )
        emit(made, output, [("id", "id"), ("format", "properties.format")])
    except (CliError, OSError) as exc:
        raise fail(exc) from exc


def _keys(c: Cloud, path: str) -> dict[str, Any]:
    return dict(c.arm("POST", f"{path}/listSecrets", api_version=APIM_API_VERSION, ok=(200,)))


@subscription_app.command("create")
def subscription_create(
    service: str = SERVICE,
    name: str = typer.Option(..., "--name", "-n", help="The subscription's id."),
    scope: str = typer.Option(..., "--scope", help="/apis/{api}, /products/{product} or / (all APIs)."),
    display_name: str = typer.Option(None, "--display-name"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Create an active subscription and print its keys (the Ocp-Apim-Subscription-Key values).

    Example: keyless apim subscription create -s contoso -n orders-client --scope /apis/orders
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        base = _service_path(c, service)
        path = f"{base}/subscriptions/{name}"
        c.arm(
            "PUT",
            path,
            {
                "properties": {
                    "scope": base + ("" if scope == "/" else scope),
                    "displayName": display_name or name,
                    "state": "active",
                }
            },
            api_version=APIM_API_VERSION,
        )
        emit(
            {"name": name, "scope": scope, **_keys(c, path)},
            output,
            [("name", "name"), ("scope", "scope"), ("primaryKey", "primaryKey"), ("secondaryKey", "secondaryKey")],
        )
    except CliError as exc:
        raise fail(exc) from exc


@subscription_app.command("keys")
def subscription_keys(
    service: str = SERVICE,
    name: str = typer.Option(..., "--name", "-n"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Print a subscription's primary and secondary keys (POST .../listSecrets).

    Example: keyless apim subscription keys -s contoso -n orders-client -o json
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        keys = _keys(c, f"{_service_path(c, service)}/subscriptions/{name}")
        emit(
            {"name": name, **keys},
            output,
            [("name", "name"), ("primaryKey", "primaryKey"), ("secondaryKey", "secondaryKey")],
        )
    except CliError as exc:
        raise fail(exc) from exc


named_value_app = typer.Typer(no_args_is_help=True, help="Named values ({{name}} in policies).")
app.add_typer(named_value_app, name="named-value")


@named_value_app.command("set")
def named_value_set(
    service: str = SERVICE,
    name: str = typer.Option(..., "--name", "-n", help="The name policies use as {{name}}."),
    value: str = typer.Option(..., "--value"),
    secret: bool = typer.Option(False, "--secret", help="Hide the value in GET responses."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Create or replace a named value.

    Example: keyless apim named-value set -s contoso -n tenant-id --value 72f988bf-...
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        made = c.arm(
            "PUT",
            f"{_service_path(c, service)}/namedValues/{name}",
            {"properties": {"displayName": name, "value": value, "secret": secret}},
            api_version=APIM_API_VERSION,
        )
        emit(made, output, [("name", "name"), ("secret", "properties.secret")])
    except CliError as exc:
        raise fail(exc) from exc
