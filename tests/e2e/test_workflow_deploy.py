"""`keyless workflow deploy`: a Standard project folder and an ARM template land as workflows that run."""

from __future__ import annotations

import json
from pathlib import Path

import requests
from typer.testing import CliRunner

from keyless.cli.main import app
from tests.conftest import Keyless

ECHO = {
    "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}},
    "actions": {
        "Reply": {
            "type": "Response",
            "kind": "Http",
            "inputs": {
                "statusCode": 200,
                "body": {
                    "greeting": "@parameters('greeting')",
                    "region": "@{parameters('region')}",
                    "got": "@triggerBody()",
                },
            },
            "runAfter": {},
        }
    },
}


def deploy(keyless: Keyless, *args: str) -> dict:
    result = CliRunner().invoke(
        app, ["workflow", "deploy", *args, "--data-dir", str(keyless.data_dir), "--output", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def call(keyless: Keyless, url: str, body: object) -> dict:
    response = requests.post(url, json=body, verify=keyless.ca, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_standard_project_folder(keyless: Keyless, tmp_path: Path) -> None:
    (tmp_path / "greeter").mkdir()
    (tmp_path / "greeter" / "workflow.json").write_text(json.dumps({"definition": ECHO, "kind": "Stateful"}))
    (tmp_path / "parameters.json").write_text(
        json.dumps(
            {
                "greeting": {"type": "String", "value": "@appsetting('GREETING')"},
                "region": {"type": "String", "value": "eu"},
            }
        )
    )
    (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": False, "Values": {"GREETING": "hello"}}))
    summary = deploy(keyless, str(tmp_path))
    [wf] = summary["deployed"]
    assert wf["name"] == "greeter" and wf["state"] == "Enabled"
    assert call(keyless, wf["callbackUrls"]["manual"], {"n": 1}) == {
        "greeting": "hello",
        "region": "eu",
        "got": {"n": 1},
    }


def test_arm_template_with_parameters_file(keyless: Keyless, tmp_path: Path) -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"name": {"type": "string"}, "greeting": {"type": "string", "defaultValue": "hi"}},
        "variables": {"region": "[concat('w', 'eu')]"},
        "resources": [
            {
                "type": "Microsoft.Logic/workflows",
                "apiVersion": "2019-05-01",
                "name": "[parameters('name')]",
                "location": "[resourceGroup().location]",
                "properties": {
                    "definition": {
                        **ECHO,
                        "parameters": {"greeting": {"type": "string"}, "region": {"type": "string"}},
                    },
                    "parameters": {
                        "greeting": {"value": "[parameters('greeting')]"},
                        "region": {"value": "[variables('region')]"},
                    },
                },
            }
        ],
    }
    (tmp_path / "azuredeploy.json").write_text(json.dumps(template))
    (tmp_path / "azuredeploy.parameters.json").write_text(json.dumps({"parameters": {"name": {"value": "armgreeter"}}}))
    [wf] = deploy(keyless, str(tmp_path))["deployed"]
    assert wf["name"] == "armgreeter"
    assert call(keyless, wf["callbackUrls"]["manual"], []) == {"greeting": "hi", "region": "weu", "got": []}


def test_a_refused_definition_names_its_path(keyless: Keyless, tmp_path: Path) -> None:
    bad = {**ECHO, "actions": {"Reply": {**ECHO["actions"]["Reply"], "runAfter": {"Nope": ["Succeeded"]}}}}
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "workflow.json").write_text(json.dumps({"definition": bad}))
    result = CliRunner().invoke(app, ["workflow", "deploy", str(tmp_path), "--data-dir", str(keyless.data_dir)])
    assert result.exit_code == 1
    assert "refused  broken" in result.stdout
    assert "properties.definition.actions.Reply.runAfter" in result.stdout
