"""ARM template expressions resolved before a workflow is deployed (reference §1.2)."""

from __future__ import annotations

import pytest

from keyless.workflows.arm_template import Deployment, TemplateError, parameter_values, resolve_template

SUB, RG = "00000000-0000-0000-0000-000000000001", "rg1"


def deployment(**params: object) -> Deployment:
    return Deployment(SUB, RG, "westeurope", "tid", dict(params))


def template(resource: dict, **extra: object) -> dict:
    return {"resources": [{"type": "Microsoft.Logic/workflows", **resource}], **extra}


def test_parameters_variables_concat_and_resource_id() -> None:
    tpl = template(
        {
            "name": "[parameters('name')]",
            "location": "[resourceGroup().location]",
            "properties": {
                "definition": {
                    "actions": {
                        "Call": {
                            "type": "Http",
                            "inputs": {
                                "uri": "[concat(variables('base'), '/items')]",
                                "body": "@triggerBody()",
                                "headers": {"x-conn": "[resourceId('Microsoft.Web/connections', 'office365')]"},
                            },
                        }
                    }
                },
                "parameters": {"quoted": {"value": "[concat('it''s ', parameters('who'))]"}},
            },
        },
        parameters={"name": {"type": "string"}, "who": {"type": "string", "defaultValue": "me"}},
        variables={"base": "[concat('https://', parameters('name'), '.example')]"},
    )
    [wf] = resolve_template(tpl, deployment(name="orders"))
    assert wf["name"] == "orders"
    assert wf["location"] == "westeurope"
    inputs = wf["properties"]["definition"]["actions"]["Call"]["inputs"]
    assert inputs["uri"] == "https://orders.example/items"
    assert inputs["body"] == "@triggerBody()"  # WDL is left for the workflow engine
    assert (
        inputs["headers"]["x-conn"]
        == f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Web/connections/office365"
    )
    assert wf["properties"]["parameters"]["quoted"]["value"] == "it's me"


def test_escaped_bracket_and_other_resource_types_left_out() -> None:
    tpl = {
        "resources": [
            {"type": "Microsoft.Web/connections", "name": "c"},
            {"type": "microsoft.logic/workflows", "name": "w", "properties": {"x": "[[not an expression]"}},
        ]
    }
    [wf] = resolve_template(tpl, deployment())
    assert wf["properties"]["x"] == "[not an expression]"


def test_missing_parameter_value_is_refused_with_arms_message() -> None:
    tpl = template({"name": "[parameters('name')]"}, parameters={"name": {"type": "string"}})
    with pytest.raises(TemplateError, match="The value for the template parameter 'name' is not provided"):
        resolve_template(tpl, deployment())


def test_unsupported_function_is_named() -> None:
    tpl = template({"name": "[uniqueString(resourceGroup().id)]"})
    with pytest.raises(TemplateError, match="'uniqueString' is not supported"):
        resolve_template(tpl, deployment())


def test_parameters_file_shapes() -> None:
    assert parameter_values({"$schema": "x", "parameters": {"a": {"value": 1}}}) == {"a": 1}
    assert parameter_values({"a": {"value": [1]}}) == {"a": [1]}
    with pytest.raises(TemplateError, match="'a' has no 'value'"):
        parameter_values({"parameters": {"a": {"reference": {}}}})
