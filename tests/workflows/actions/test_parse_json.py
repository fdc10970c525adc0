"""ParseJson: parsing, schema validation with Newtonsoft-shaped errors, records and failure codes."""

from __future__ import annotations

import base64
import json

import pytest

from keyless.workflows.actions.parse_json import SPEC
from keyless.workflows.errors import DefinitionError

from ._fakes import compile_action, run_action

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


def parse(content: object, schema: object):
    return run_action(
        SPEC, compile_action(SPEC, {"type": "ParseJson", "inputs": {"content": content, "schema": schema}})
    )


def test_parses_json_text() -> None:
    outcome = parse('{"name": "Ann", "age": 7}', PERSON)
    assert (outcome.status, outcome.code, outcome.error) == ("Succeeded", "OK", None)
    assert outcome.outputs == {"body": {"name": "Ann", "age": 7}}
    assert outcome.inputs == {"content": '{"name": "Ann", "age": 7}', "schema": PERSON}


def test_takes_a_value_as_it_is() -> None:
    content = {"category-actions": {"name": "Navigate To URL", "foreground": True}}
    outcome = parse(content, {"type": "object"})
    assert outcome.outputs == {"body": content}
    assert parse([1, 2.5], {}).outputs == {"body": [1, 2.5]}
    assert parse("5", {"type": "integer"}).outputs == {"body": 5}


def test_parses_a_content_envelope() -> None:
    envelope = {"$content-type": "application/json", "$content": base64.b64encode(b'{"a":[1]}').decode()}
    assert parse(envelope, {}).outputs == {"body": {"a": [1]}}


def test_invalid_json_fails() -> None:
    outcome = parse("Failed", {})
    assert (outcome.status, outcome.code) == ("Failed", "InvalidJSON")
    assert outcome.error == {
        "code": "InvalidJSON",
        "message": "The 'content' property of actions of type 'ParseJson' must be valid JSON. The provided value "
        "cannot be parsed: 'Unexpected character encountered while parsing value: F. Path '', line 0, "
        "position 0.'.",
    }
    assert not outcome.has_outputs


def test_type_mismatch_reports_newtonsoft_errors() -> None:
    schema = {"type": "array", "items": PERSON}
    outcome = parse([{"name": "a", "age": 1}, {"name": None, "age": "83"}], schema)
    assert (outcome.status, outcome.code) == ("Failed", "ValidationFailed")
    assert outcome.error == {"code": "ValidationFailed", "message": "The schema validation failed."}
    assert outcome.has_outputs
    assert outcome.outputs == {
        "errors": [
            {
                "message": "Invalid type. Expected String but got Null.",
                "lineNumber": 0,
                "linePosition": 0,
                "path": "[1].name",
                "schemaId": "#/items/properties/name",
                "errorType": "type",
                "childErrors": [],
            },
            {
                "message": "Invalid type. Expected Integer but got String.",
                "lineNumber": 0,
                "linePosition": 0,
                "path": "[1].age",
                "value": "83",
                "schemaId": "#/items/properties/age",
                "errorType": "type",
                "childErrors": [],
            },
        ]
    }


def test_missing_required_properties_are_one_error() -> None:
    errors = parse({}, PERSON).outputs["errors"]
    assert errors == [
        {
            "message": "Required properties are missing from object: name, age.",
            "lineNumber": 0,
            "linePosition": 0,
            "path": "",
            "value": ["name", "age"],
            "schemaId": "#",
            "errorType": "required",
            "childErrors": [],
        }
    ]


@pytest.mark.parametrize(
    ("schema", "value", "message", "error_type"),
    [
        ({"type": ["string", "null"]}, 1, "Invalid type. Expected String, Null but got Integer.", "type"),
        ({"type": "integer"}, 1.5, "Invalid type. Expected Integer but got Number.", "type"),
        ({"enum": ["a", "b"]}, "c", 'Value "c" is not defined in enum.', "enum"),
        ({"minLength": 5}, "pie", "String 'pie' is less than minimum length of 5.", "minimumLength"),
        ({"maxLength": 2}, "pie", "String 'pie' exceeds maximum length of 2.", "maximumLength"),
        ({"pattern": "^a"}, "b", "String 'b' does not match regex pattern '^a'.", "pattern"),
        ({"minimum": 10}, 5, "Integer 5 is less than minimum value of 10.", "minimum"),
        ({"maximum": 1.5}, 2.5, "Float 2.5 exceeds maximum value of 1.5.", "maximum"),
        ({"minItems": 2}, [1], "Array item count 1 is less than minimum count of 2.", "minimumItems"),
        ({"uniqueItems": True}, [1, 2, 1], "Non-unique array item at index 2.", "uniqueItems"),
        (
            {"anyOf": [{"type": "string"}, {"type": "array"}]},
            1,
            "JSON does not match any schemas from 'anyOf'.",
            "anyOf",
        ),
    ],
)
def test_keyword_messages(schema: dict, value: object, message: str, error_type: str) -> None:
    content = json.dumps(value) if isinstance(value, str) else value  # a string content is JSON text
    (error,) = parse(content, schema).outputs["errors"]
    assert (error["message"], error["errorType"]) == (message, error_type)


def test_additional_properties_error_per_property() -> None:
    schema = {"type": "object", "properties": {"a": {}}, "additionalProperties": False}
    errors = parse({"a": 1, "b": 2, "odd name": 3}, schema).outputs["errors"]
    assert [(e["message"], e["path"], e["value"]) for e in errors] == [
        ("Property 'b' has not been defined and the schema does not allow additional properties.", "b", "b"),
        (
            "Property 'odd name' has not been defined and the schema does not allow additional properties.",
            "['odd name']",
            "odd name",
        ),
    ]


def test_any_of_lists_child_errors() -> None:
    (error,) = parse(1, {"anyOf": [{"type": "string"}, {"minimum": 5}]}).outputs["errors"]
    assert [child["message"] for child in error["childErrors"]] == [
        "Invalid type. Expected String but got Integer.",
        "Integer 1 is less than minimum value of 5.",
    ]
    assert [child["schemaId"] for child in error["childErrors"]] == ["#/anyOf/0", "#/anyOf/1"]


def test_errors_in_document_order() -> None:
    schema = {
        "type": "object",
        "required": ["z"],
        "properties": {"b": {"type": "string"}, "a": {"type": "string"}},
    }
    errors = parse('{"a": 1, "b": 2}', schema).outputs["errors"]
    assert [e["path"] for e in errors] == ["a", "b", ""]


@pytest.mark.parametrize("schema", [{"type": "nope"}, [1], {"required": "x"}])
def test_invalid_constant_schema_refused_at_save(schema: object) -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(SPEC, {"type": "ParseJson", "inputs": {"content": "{}", "schema": schema}}, action_name="P")
    assert err.value.path == "properties.definition.actions.P.inputs.schema"


def test_schema_is_required() -> None:
    with pytest.raises(DefinitionError) as err:
        compile_action(SPEC, {"type": "ParseJson", "inputs": {"content": "{}"}}, action_name="P")
    assert err.value.path == "properties.definition.actions.P.inputs.schema"
