"""Reading Standard project folders and ARM templates into workflow bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyless.workflows.arm_template import Deployment
from keyless.workflows.project import ProjectError, read_project, substitute_appsettings

ROOT = Path(__file__).resolve().parents[3]
PROJECTS = ROOT.parent / "shared" / "corpus" / "logicapps" / "standard-projects"


def deployment() -> Deployment:
    return Deployment("sub", "rg", "westeurope")


def write(path: Path, doc: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def test_standard_project_parameters_and_appsettings(tmp_path: Path) -> None:
    write(tmp_path / "local.settings.json", {"Values": {"ApiBase": "https://api.example", "Key": "k'1"}})
    write(tmp_path / "parameters.json", {"apiBase": {"type": "String", "value": "@appsetting('ApiBase')"}})
    definition = {
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Call": {
                "type": "Http",
                "inputs": {
                    "uri": "@{parameters('apiBase')}/x",
                    "headers": {"k": "@appsetting('Key')", "both": "@concat(appsetting('ApiBase'), '/y')"},
                },
            }
        },
    }
    write(tmp_path / "Orders" / "workflow.json", {"definition": definition, "kind": "Stateless"})
    [wf] = read_project(tmp_path, deployment())
    assert wf.name == "Orders"
    props = wf.body["properties"]
    assert props["parameters"] == {"apiBase": {"value": "https://api.example"}}
    assert props["definition"]["parameters"] == {"apiBase": {"type": "String"}}
    headers = props["definition"]["actions"]["Call"]["inputs"]["headers"]
    assert headers["k"] == "k'1"
    assert headers["both"] == "@concat('https://api.example', '/y')"
    assert wf.body["identity"] == {"type": "SystemAssigned"}
    assert any("Stateless" in note for note in wf.notes)


def test_unknown_appsetting_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"app setting 'Missing' used at w\.json\.a is not defined"):
        substitute_appsettings({"a": "@appsetting('Missing')"}, {}, "w.json")


def test_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="neither a Logic Apps Standard project"):
        read_project(tmp_path, deployment())


def test_arm_template_folder_with_parameters_file(tmp_path: Path) -> None:
    write(
        tmp_path / "azuredeploy.json",
        {
            "parameters": {"name": {"type": "string"}},
            "resources": [
                {
                    "type": "Microsoft.Logic/workflows",
                    "apiVersion": "2019-05-01",
                    "name": "[parameters('name')]",
                    "location": "[resourceGroup().location]",
                    "properties": {"definition": {"triggers": {}, "actions": {}}},
                }
            ],
        },
    )
    write(tmp_path / "azuredeploy.parameters.json", {"parameters": {"name": {"value": "wf1"}}})
    [wf] = read_project(tmp_path, deployment())
    assert wf.name == "wf1"
    assert wf.body["location"] == "westeurope"
    assert "apiVersion" not in wf.body


def test_corpus_standard_project_reads() -> None:
    project = PROJECTS / "logicapps-azure-devops-sample"
    if not project.is_dir():
        pytest.skip(f"corpus not present at {project}")
    with pytest.raises(ProjectError, match="app setting 'azureblob-connectionKey'"):
        read_project(project, deployment())  # the project has no local.settings.json
    settings = {"azureblob-connectionKey": "key", "storage-account-name": "acct"}
    found = read_project(project, deployment(), settings=settings)
    assert {wf.name for wf in found} == {"EventProcessor", "EventTrigger"}
    for wf in found:
        assert "@appsetting" not in json.dumps(wf.body).lower()
