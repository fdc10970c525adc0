"""Real Logic Apps projects as ARM bodies for `Microsoft.Logic/workflows`.

Two shapes users have (reference §1.2, §1.3):
- a Standard project folder: `<name>/workflow.json` (`{definition, kind}`), `parameters.json` (app-level
  parameters, values may use `@appsetting('x')`), `local.settings.json` (`Values`: the app settings);
- an ARM template (`azuredeploy.json` and an optional parameters file) whose `Microsoft.Logic/workflows`
  resources carry the definition, with template expressions resolved as ARM would (arm_template.py).

Standard's app-level parameters become the definition's declared parameters with values in
`properties.parameters`, which is how a Consumption workflow carries them. `@appsetting('x')` calls are replaced
by the setting's value as a string literal when the project is read: keyless has no App Service site to hold
app settings, so a changed setting needs a new deploy (docs/compatibility.md).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.workflows.arm_template import Deployment, TemplateError, parameter_values, resolve_template

_APPSETTING = re.compile(r"appsetting\(\s*'((?:[^']|'')*)'\s*\)", re.IGNORECASE)
_WHOLE_APPSETTING = re.compile(r"^@appsetting\(\s*'((?:[^']|'')*)'\s*\)$", re.IGNORECASE)
TEMPLATE_NAMES = ("azuredeploy.json", "template.json", "main.json")


class ProjectError(KeylessError):
    code = "InvalidProject"


@dataclass
class WorkflowDeploy:
    """One workflow to PUT: its name and the ARM body (location is filled in by the caller when absent)."""

    name: str
    body: dict[str, Any]
    source: str
    notes: list[str] = field(default_factory=list)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ProjectError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from exc


def _is_expression(text: str) -> bool:
    return (text.startswith("@") and not text.startswith("@@")) or "@{" in text


def substitute_appsettings(value: Any, settings: dict[str, str], where: str) -> Any:
    """Every `appsetting('x')` in an expression string replaced by the setting's value (as a WDL literal)."""
    if isinstance(value, dict):
        return {k: substitute_appsettings(v, settings, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [substitute_appsettings(v, settings, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or not _is_expression(value):
        return value
    whole = _WHOLE_APPSETTING.match(value)
    if whole:
        return _setting(settings, whole.group(1).replace("''", "'"), where)

    def literal(match: re.Match[str]) -> str:
        text = _setting(settings, match.group(1).replace("''", "'"), where)
        return "'" + text.replace("'", "''") + "'"

    return _APPSETTING.sub(literal, value)


def _setting(settings: dict[str, str], name: str, where: str) -> str:
    for key, val in settings.items():
        if key.lower() == name.lower():
            return str(val)
    raise ProjectError(
        f"The app setting '{name}' used at {where} is not defined; add it to local.settings.json 'Values' "
        "or pass --setting NAME=VALUE."
    )


def read_standard_project(root: Path, overrides: dict[str, str] | None = None) -> list[WorkflowDeploy]:
    settings: dict[str, str] = {}
    local = root / "local.settings.json"
    if local.is_file():
        settings.update({k: str(v) for k, v in (_read_json(local).get("Values") or {}).items()})
    settings.update(overrides or {})
    app_parameters: dict[str, Any] = {}
    if (root / "parameters.json").is_file():
        raw = _read_json(root / "parameters.json")
        if not isinstance(raw, dict):
            raise ProjectError(f"{root / 'parameters.json'}: expected an object of parameters.")
        app_parameters = substitute_appsettings(raw, settings, "parameters.json")
    found = []
    for folder in sorted(p for p in root.iterdir() if (p / "workflow.json").is_file()):
        doc = _read_json(folder / "workflow.json")
        if not isinstance(doc, dict) or not isinstance(doc.get("definition"), dict):
            raise ProjectError(f"{folder / 'workflow.json'}: expected an object with a 'definition'.")
        definition = substitute_appsettings(doc["definition"], settings, f"{folder.name}/workflow.json")
        declared = dict(definition.get("parameters") or {})
        values: dict[str, Any] = {}
        for name, entry in app_parameters.items():
            if not isinstance(entry, dict) or "value" not in entry:
                raise ProjectError(f"parameters.json: parameter '{name}' needs a 'value'.")
            declared.setdefault(name, {"type": entry.get("type", "Object")})
            values[name] = {"value": entry["value"]}
        if declared:
            definition = {**definition, "parameters": declared}
        notes = []
        kind = str(doc.get("kind", "Stateful"))
        if kind.lower() == "stateless":
            notes.append("kind Stateless: keyless keeps run history for every workflow, as a stateful one")
        body: dict[str, Any] = {
            # Standard apps have their system-assigned identity on by default (reference §7).
            "identity": {"type": "SystemAssigned"},
            "properties": {"state": "Enabled", "definition": definition, "parameters": values},
        }
        found.append(WorkflowDeploy(folder.name, body, str(folder / "workflow.json"), notes))
    if not found:
        raise ProjectError(f"{root}: no '<workflow>/workflow.json' folders found.")
    return found


def read_arm_template(
    template_path: Path, deployment: Deployment, parameters_path: Path | None = None
) -> list[WorkflowDeploy]:
    template = _read_json(template_path)
    if not isinstance(template, dict):
        raise ProjectError(f"{template_path}: expected an ARM template object.")
    if parameters_path is not None:
        deployment.parameters.update(parameter_values(_read_json(parameters_path)))
    try:
        resources = resolve_template(template, deployment)
    except TemplateError as exc:
        raise ProjectError(f"{template_path}: {exc.message}") from exc
    found = []
    for resource in resources:
        name = str(resource.get("name", ""))
        if not name or "/" in name:
            raise ProjectError(f"{template_path}: a Microsoft.Logic/workflows resource has no plain 'name': {name!r}.")
        body = {k: resource[k] for k in ("location", "tags", "identity", "properties") if k in resource}
        found.append(WorkflowDeploy(name, body, str(template_path)))
    if not found:
        raise ProjectError(f"{template_path}: the template has no Microsoft.Logic/workflows resources.")
    return found


def read_project(
    path: Path, deployment: Deployment, *, parameters: Path | None = None, settings: dict[str, str] | None = None
) -> list[WorkflowDeploy]:
    """A Standard project folder, a folder holding an ARM template, or an ARM template file."""
    if path.is_file():
        return read_arm_template(path, deployment, parameters)
    if not path.is_dir():
        raise ProjectError(f"{path}: no such file or folder.")
    if any((p / "workflow.json").is_file() for p in path.iterdir()):
        return read_standard_project(path, settings)
    for name in TEMPLATE_NAMES:
        if (path / name).is_file():
            params = parameters
            if params is None and (path / name.replace(".json", ".parameters.json")).is_file():
                params = path / name.replace(".json", ".parameters.json")
            return read_arm_template(path / name, deployment, params)
    raise ProjectError(
        f"{path}: neither a Logic Apps Standard project (<workflow>/workflow.json) nor an ARM template "
        f"({', '.join(TEMPLATE_NAMES)})."
    )
