"""`keyless workflow ...`: Logic Apps workflows of a running keyless, through its management API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from keyless.cli.cloud import (
    AZURE_MANAGEMENT,
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
from keyless.workflows.arm_template import Deployment
from keyless.workflows.project import ProjectError, WorkflowDeploy, read_project

app = typer.Typer(no_args_is_help=True, help="Logic Apps workflows of a running keyless.")

LOGIC_API_VERSION = "2019-05-01"


def deploy_all(c: Cloud, workflows: list[WorkflowDeploy]) -> dict[str, Any]:
    deployed, refused = [], []
    for wf in workflows:
        body = {"location": c.location, **wf.body}
        response = c.request("PUT", _workflow_id(c, wf.name), body, api_version=LOGIC_API_VERSION)
        if response.status_code not in (200, 201):
            refused.append({"name": wf.name, "source": wf.source, "error": error_text(response)})
            continue
        definition = body["properties"].get("definition") or {}
        deployed.append(
            {
                "name": wf.name,
                "id": response.json().get("id"),
                "state": response.json().get("properties", {}).get("state"),
                "callbackUrls": _callback_urls_of(c, wf.name, definition),
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
        c = open_cloud("keyless", data_dir, resource_group)
        try:
            deployment = Deployment(c.subscription_id, c.resource_group, c.location, c.tenant_id)
            workflows = read_project(path, deployment, parameters=parameters, settings=overrides)
            with progress(f"deploying {len(workflows)} workflow(s)"):
                summary = deploy_all(c, workflows)
        finally:
            c.close()
    except (CliError, ProjectError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(summary, indent=2) if output == "json" else _table(summary))
    if summary["refused"]:
        raise typer.Exit(1)


# ---- the seed scenario's verbs: create, trigger, runs, show (keyless or, with --cloud azure, Azure) ----


def _workflow_id(c: Cloud, name: str) -> str:
    return f"{c.group_path}/providers/Microsoft.Logic/workflows/{name}"


def _identity_block(identities: list[str]) -> dict[str, Any] | None:
    if not identities or identities == ["none"]:
        return None
    user = [i for i in identities if i.lower() != "system"]
    kinds = (["SystemAssigned"] if len(user) < len(identities) else []) + (["UserAssigned"] if user else [])
    block: dict[str, Any] = {"type": ", ".join(kinds)}
    if user:
        block["userAssignedIdentities"] = {i: {} for i in user}
    return block


def _load_json(value: str) -> Any:
    """Inline JSON, or @path to a file of it."""
    try:
        return json.loads(Path(value[1:]).read_text() if value.startswith("@") else value)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read JSON from {value[:60]!r}: {exc}") from exc


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", "-n", help="The workflow's name."),
    definition: Path = typer.Option(..., "--definition", help="workflow.json ({definition}) or a bare definition."),
    identity: list[str] = typer.Option(
        [], "--identity", help="'system' and/or user-assigned identity ids (repeatable); default none."
    ),
    parameters: str = typer.Option(None, "--parameters", help="Parameter values: JSON {name: {value}} or @file."),
    state: str = typer.Option("Enabled", "--state"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    location: str = Location,
    output: str = Output,
) -> None:
    """Create or replace a workflow (PUT Microsoft.Logic/workflows); a bad definition is refused with its path.

    Example: keyless workflow create -n orders-flow --definition workflow.json --identity system
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription, location)
        doc = _load_json(f"@{definition}")
        body: dict[str, Any] = {
            "location": c.location,
            "properties": {
                "state": state,
                "definition": doc.get("definition", doc) if isinstance(doc, dict) else doc,
                "parameters": _load_json(parameters) if parameters else {},
            },
        }
        block = _identity_block(identity)
        if block:
            body["identity"] = block
        made = c.arm("PUT", _workflow_id(c, name), body, api_version=LOGIC_API_VERSION)
        made["callbackUrls"] = _callback_urls_of(c, name, body["properties"]["definition"])
        emit(
            made,
            output,
            [
                ("name", "name"),
                ("state", "properties.state"),
                ("principalId", "identity.principalId"),
                ("callbackUrls", "callbackUrls"),
            ],
        )
    except CliError as exc:
        raise fail(exc) from exc


def _callback_urls_of(c: Cloud, name: str, definition: dict[str, Any]) -> dict[str, str]:
    urls = {}
    for trigger, spec in (definition.get("triggers") or {}).items():
        if isinstance(spec, dict) and str(spec.get("type", "")).lower() == "request":
            found = c.arm(
                "POST",
                f"{_workflow_id(c, name)}/triggers/{trigger}/listCallbackUrl",
                {},
                api_version=LOGIC_API_VERSION,
                ok=(200,),
            )
            urls[trigger] = found["value"]
    return urls


@app.command("trigger")
def trigger(
    name: str = typer.Option(..., "--name", "-n"),
    trigger_name: str = typer.Option("manual", "--trigger"),
    body: str = typer.Option(None, "--body", help="JSON body (or @file)."),
    method: str = typer.Option("POST", "--method"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Call a Request trigger through its callback URL; print the response and the run it started.

    Example: keyless workflow trigger -n orders-flow --body '{"item": "book"}'
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        url = c.arm(
            "POST",
            f"{_workflow_id(c, name)}/triggers/{trigger_name}/listCallbackUrl",
            {},
            api_version=LOGIC_API_VERSION,
            ok=(200,),
        )["value"]
        with progress(f"waiting for {name}'s response (a Response action may take up to 120 s)"):
            response = c.client.request(method, url, json=_load_json(body) if body else None)
        try:
            content: Any = response.json()
        except ValueError:
            content = response.text
        result = {
            "status": response.status_code,
            "run": response.headers.get("x-ms-workflow-run-id"),
            "correlationId": response.headers.get("x-ms-correlation-id"),
            "body": content,
        }
        emit(result, output, [("status", "status"), ("run", "run"), ("body", "body")])
        if response.status_code >= 400:
            raise typer.Exit(1)
    except CliError as exc:
        raise fail(exc) from exc


RUN_COLUMNS = [
    ("run", "name"),
    ("status", "properties.status"),
    ("start", "properties.startTime"),
    ("end", "properties.endTime"),
    ("error", "properties.error.message"),
]


@app.command("runs")
def runs(
    name: str = typer.Option(..., "--name", "-n"),
    top: int = typer.Option(10, "--top"),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """List a workflow's runs, newest first.

    Example: keyless workflow runs -n orders-flow --top 5
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        found = c.arm("GET", f"{_workflow_id(c, name)}/runs?$top={top}", api_version=LOGIC_API_VERSION, ok=(200,))
        emit(found.get("value", []), output, RUN_COLUMNS)
    except CliError as exc:
        raise fail(exc) from exc


@app.command("show")
def show(
    run: str = typer.Argument(..., help="The run's name (x-ms-workflow-run-id)."),
    name: str = typer.Option(..., "--name", "-n", help="The workflow's name."),
    cloud: str = CloudName,
    data_dir: Path = DataDir,
    resource_group: str = Group,
    subscription: str = Subscription,
    output: str = Output,
) -> None:
    """Show a run and each action's status, code and, for a failure, why — in one line.

    Example: keyless workflow show 08584...CU00 -n orders-flow
    """
    try:
        c = open_cloud(cloud, data_dir, resource_group, subscription)
        base = f"{_workflow_id(c, name)}/runs/{run}"
        found = c.arm("GET", base, api_version=LOGIC_API_VERSION, ok=(200,))
        actions: list[dict[str, Any]] = []
        page = c.arm("GET", f"{base}/actions", api_version=LOGIC_API_VERSION, ok=(200,))
        while True:
            actions += page.get("value", [])
            if not page.get("nextLink"):
                break
            page = _result_of(c, page["nextLink"])
        if output == "json":
            emit({**found, "actions": actions}, output)
            return
        props = found.get("properties", {})
        typer.echo(f"run {run}: {props.get('status')}  ({props.get('startTime')} .. {props.get('endTime')})")
        if props.get("error"):
            typer.echo(f"  error: {props['error'].get('code')}: {props['error'].get('message')}")
        emit(
            actions,
            "table",
            [
                ("action", "name"),
                ("status", "properties.status"),
                ("code", "properties.code"),
                ("why", "properties.error.message"),
            ],
        )
    except CliError as exc:
        raise fail(exc) from exc


def _result_of(c: Cloud, url: str) -> dict[str, Any]:
    response = c.client.get(url, headers={"Authorization": "Bearer " + c.token(f"{AZURE_MANAGEMENT}/.default")})
    if response.status_code != 200:
        raise CliError(f"GET {url} was refused: HTTP {response.status_code}")
    return dict(response.json())
