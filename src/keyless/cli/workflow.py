"""`keyless workflow ...`: Logic Apps workflows of a running keyless, through its management API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from keyless.cli.arm_client import Arm, CliError, error_text
from keyless.workflows.arm_template import Deployment
from keyless.workflows.project import ProjectError, WorkflowDeploy, read_project

app = typer.Typer(no_args_is_help=True, help="Logic Apps workflows of a running keyless.")

LOGIC_API_VERSION = "2019-05-01"


def workflow_path(arm: Arm, name: str) -> str:
    return f"{arm.group_path()}/providers/Microsoft.Logic/workflows/{name}"


def _callback_urls(arm: Arm, path: str, definition: dict[str, Any]) -> dict[str, str]:
    urls = {}
    for trigger, spec in (definition.get("triggers") or {}).items():
        if str(spec.get("type", "")).lower() != "request":
            continue
        found = arm.call("POST", f"{path}/triggers/{trigger}/listCallbackUrl", {}, api_version=LOGIC_API_VERSION)
        if found.status_code == 200:
            urls[trigger] = found.json()["value"]
    return urls


def deploy_all(arm: Arm, workflows: list[WorkflowDeploy]) -> dict[str, Any]:
    deployed, refused = [], []
    for wf in workflows:
        body = {"location": arm.e.get("location") or "westeurope", **wf.body}
        path = workflow_path(arm, wf.name)
        response = arm.call("PUT", path, body, api_version=LOGIC_API_VERSION)
        if response.status_code not in (200, 201):
            refused.append({"name": wf.name, "source": wf.source, "error": error_text(response)})
            continue
        definition = body["properties"].get("definition") or {}
        deployed.append(
            {
                "name": wf.name,
                "id": response.json().get("id"),
                "state": response.json().get("properties", {}).get("state"),
                "callbackUrls": _callback_urls(arm, path, definition),
                "notes": wf.notes,
            }
        )
    return {"deployed": deployed, "refused": refused}


def _table(summary: dict[str, Any]) -> str:
    lines = []
    for wf in summary["deployed"]:
        lines.append(f"deployed {wf['name']} ({wf['state']})")
        lines += [f"  trigger {name}: {url}" for name, url in wf["callbackUrls"].items()]
        lines += [f"  note: {note}" for note in wf["notes"]]
    for wf in summary["refused"]:
        lines.append(f"refused  {wf['name']} ({wf['source']}): {wf['error']}")
    return "\n".join(lines)


@app.command("deploy")
def deploy(
    path: Path = typer.Argument(..., help="A Logic Apps Standard project folder, or an ARM template (file or folder)."),
    data_dir: Path = typer.Option(Path(".keyless"), "--data-dir", help="The data dir of the running keyless."),
    resource_group: str = typer.Option(None, "--resource-group", help="Default: keyless's resource group."),
    parameters: Path = typer.Option(None, "--parameters", help="ARM deployment parameters file."),
    setting: list[str] = typer.Option([], "--setting", help="NAME=VALUE app setting (over local.settings.json)."),
    output: str = typer.Option("table", "--output", help="table or json."),
) -> None:
    """Deploy every workflow of a project: PUT Microsoft.Logic/workflows/<name>; print the trigger callback URLs.

    Examples:
      keyless workflow deploy ./my-logic-app --data-dir /tmp/kl
      keyless workflow deploy ./azuredeploy.json --parameters ./azuredeploy.parameters.json
    """
    if output not in ("table", "json"):
        raise typer.BadParameter("--output is table or json")
    overrides = {}
    for item in setting:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--setting takes NAME=VALUE, not {item!r}")
        overrides[name] = value
    try:
        arm = Arm(data_dir, resource_group)
        try:
            deployment = Deployment(
                arm.e["subscription_id"], arm.group, arm.e.get("location") or "westeurope", arm.e.get("tenant_id", "")
            )
            workflows = read_project(path, deployment, parameters=parameters, settings=overrides)
            summary = deploy_all(arm, workflows)
        finally:
            arm.close()
    except (CliError, ProjectError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, indent=2) if output == "json" else _table(summary))
    if summary["refused"]:
        raise typer.Exit(1)
