"""`keyless apim ...`: load APIOps extractor folders into a running keyless through its management API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from keyless.cli.arm_client import Arm, CliError, error_text
from keyless.gateway.management.apiops import Plan, read

app = typer.Typer(no_args_is_help=True, help="API Management services of a running keyless.")


def _ensure_service(arm: Arm, name: str, location: str | None) -> dict[str, Any]:
    found = arm.call("GET", arm.service_path(name))
    if found.status_code == 200:
        return dict(found.json())
    body = {
        "location": location or arm.e.get("location") or "westeurope",
        "sku": {"name": "Developer", "capacity": 1},
        "properties": {"publisherEmail": "admin@keyless.local", "publisherName": "keyless"},
    }
    made = arm.call("PUT", arm.service_path(name), body)
    if made.status_code not in (200, 201):
        raise CliError(f"cannot create service {name}: {error_text(made)}")
    return dict(made.json())


def run_import(arm: Arm, plan: Plan, service: str, location: str | None) -> dict[str, Any]:
    """PUT everything in order; a refusal is recorded with ARM's reason and the import goes on."""
    svc = _ensure_service(arm, service, location)
    base = arm.service_path(service)
    imported: dict[str, int] = {}
    failed: list[dict[str, str]] = []
    for put in plan.puts:
        response = arm.call("PUT", base + put.path, put.body)
        if response.status_code in (200, 201):
            imported[put.kind] = imported.get(put.kind, 0) + 1
        else:
            failed.append({"kind": put.kind, "path": put.path, "error": error_text(response)})
    subscriptions = []
    for put in plan.puts:
        if put.kind == "subscription" and not any(f["path"] == put.path for f in failed):
            keys = arm.call("POST", f"{base}{put.path}/listSecrets").json()
            props = arm.call("GET", base + put.path).json()["properties"]
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
        arm = Arm(data_dir, resource_group)
        try:
            summary = run_import(arm, plan, service, location)
        finally:
            arm.close()
    except (CliError, FileNotFoundError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, indent=2) if output == "json" else _table(summary))
    if summary["failed"]:
        raise typer.Exit(1)
