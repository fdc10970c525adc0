"""JSON Schema validation for ParseJson, with errors in the shape Logic Apps writes them.

Logic Apps validates with Newtonsoft.Json.Schema; a failed ParseJson's outputs are `{"errors": [...]}`, each
`{message, lineNumber: 0, linePosition: 0, path, value?, schemaId, errorType, childErrors}` (seen in real
failures: "Invalid type. Expected Integer but got String.", path `[177].RecordType`, schemaId
`#/items/properties/RecordType`, errorType `type`, no `value` when it is null). Validation here is jsonschema's
draft 4; messages and error types follow Newtonsoft's wording. `format` is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import SchemaError, ValidationError

from keyless.wdl.text import format_float, to_json_text

_TYPE_NAMES = {
    "string": "String",
    "number": "Number",
    "integer": "Integer",
    "boolean": "Boolean",
    "object": "Object",
    "array": "Array",
    "null": "Null",
}
_TYPE_ORDER = ["String", "Number", "Integer", "Boolean", "Object", "Array", "Null"]  # JSchemaType flag order

_ERROR_TYPES = {
    "minLength": "minimumLength",
    "maxLength": "maximumLength",
    "minItems": "minimumItems",
    "maxItems": "maximumItems",
    "minProperties": "minimumProperties",
    "maxProperties": "maximumProperties",
}
# Errors Newtonsoft raises when it has read the whole object or array (after the errors inside it).
_AT_END = frozenset(
    {
        "required",
        "minProperties",
        "maxProperties",
        "minItems",
        "maxItems",
        "uniqueItems",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
        "dependencies",
    }
)
_SIMPLE_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def schema_problem(schema: Any) -> str | None:
    """Why `schema` is not a draft 4 JSON schema, or None."""
    if not isinstance(schema, dict):
        return "the schema must be a JSON object"
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as error:
        return error.message
    return None


def validate(schema: dict[str, Any] | Draft4Validator, instance: Any) -> list[dict[str, Any]]:
    """Newtonsoft-shaped errors for `instance` against `schema` (or a validator built from it once), in document
    order; [] when valid."""
    validator = schema if isinstance(schema, Draft4Validator) else Draft4Validator(schema)
    errors = list(validator.iter_errors(_plain(instance)))
    order = _document_order(_plain(instance))
    converted = _convert(errors)
    converted.sort(key=lambda pair: order.get(pair[0], (len(order), 0))[1 if pair[1] else 0])
    return [error for _, _, error in converted]


def _plain(value: Any) -> Any:
    # jsonschema has no type for Decimal; a WDL decimal is a number.
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _document_order(instance: Any) -> dict[tuple[Any, ...], tuple[int, int]]:
    """For each path: the position where its value starts and where it ends in a depth-first reading."""
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    counter = 0

    def visit(value: Any, path: tuple[Any, ...]) -> None:
        nonlocal counter
        start = counter
        counter += 1
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            visit(child, (*path, key))
        positions[path] = (start, counter)
        counter += 1

    visit(instance, ())
    return positions


def _convert(errors: Iterable[ValidationError]) -> list[tuple[tuple[Any, ...], bool, dict[str, Any]]]:
    """(instance path, raised at the end of its value, error) for each Newtonsoft-style error."""
    out: list[tuple[tuple[Any, ...], bool, dict[str, Any]]] = []
    required_seen: set[tuple[Any, ...]] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        keyword = str(error.validator)
        schema_id = "#" + "".join(f"/{part}" for part in list(error.absolute_schema_path)[:-1])
        if keyword == "required":
            if (path, schema_id) in required_seen:  # jsonschema reports each missing name; Newtonsoft lists them
                continue
            required_seen.add((path, schema_id))
            missing = [name for name in error.validator_value if name not in error.instance]
            message = f"Required properties are missing from object: {', '.join(missing)}."
            out.append((path, True, _error(message, path, missing, schema_id, "required", [])))
            continue
        if keyword == "additionalProperties":
            for name in _additional(error.schema, error.instance):
                message = f"Property '{name}' has not been defined and the schema does not allow additional properties."
                out.append((path, False, _error(message, (*path, name), name, schema_id, keyword, [])))
            continue
        children = [error for _, _, error in _convert(error.context or [])]
        message, value = _message(error, keyword)
        out.append((path, keyword in _AT_END, _error(message, path, value, schema_id, keyword, children)))
    return out


def _error(message: str, path: tuple[Any, ...], value: Any, schema_id: str, keyword: str, children: list) -> dict:
    error: dict[str, Any] = {"message": message, "lineNumber": 0, "linePosition": 0, "path": _json_path(path)}
    if value is not None:
        error["value"] = value
    error.update({"schemaId": schema_id, "errorType": _ERROR_TYPES.get(keyword, keyword), "childErrors": children})
    return error


def _additional(schema: dict[str, Any], instance: dict[str, Any]) -> list[str]:
    declared = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [name for name in instance if name not in declared and not any(re.search(p, name) for p in patterns)]


def _json_path(path: tuple[Any, ...]) -> str:
    """Newtonsoft's JToken.Path: `a.b[0]`, `['odd name']`, '' for the root."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _SIMPLE_NAME.match(part):
            text += f".{part}" if text else part
        else:
            text += "['" + part.replace("'", "\\'") + "']"
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "Null"
    if value is True or value is False:
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    return "Array" if isinstance(value, list) else "Object"


def _number(value: Any) -> str:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else format_float(float(value))


def _message(error: ValidationError, keyword: str) -> tuple[str, Any]:
    """Newtonsoft's message for one error and the `value` it reports (None: no value)."""
    instance, limit = error.instance, error.validator_value
    scalar = None if isinstance(instance, (dict, list)) else instance
    kind = _kind(instance)
    number_kind = "Float" if kind == "Number" else kind  # range messages name the token type (JTokenType.Float)
    if keyword == "type":
        wanted = [limit] if isinstance(limit, str) else list(limit)
        names = sorted(
            (_TYPE_NAMES.get(name, name) for name in wanted),
            key=lambda n: _TYPE_ORDER.index(n) if n in _TYPE_ORDER else len(_TYPE_ORDER),
        )
        return f"Invalid type. Expected {', '.join(names)} but got {kind}.", scalar
    if keyword == "enum":
        return f"Value {to_json_text(instance)} is not defined in enum.", scalar
    if keyword == "minLength":
        return f"String '{instance}' is less than minimum length of {limit}.", scalar
    if keyword == "maxLength":
        return f"String '{instance}' exceeds maximum length of {limit}.", scalar
    if keyword == "pattern":
        return f"String '{instance}' does not match regex pattern '{limit}'.", scalar
    if keyword in ("minimum", "maximum"):
        exclusive = error.schema.get("exclusiveMinimum" if keyword == "minimum" else "exclusiveMaximum") is True
        if exclusive and instance == limit:
            return (
                f"{number_kind} {_number(instance)} equals {keyword} value of {_number(limit)} and exclusive "
                f"{keyword} is true.",
                scalar,
            )
        verb = "is less than minimum" if keyword == "minimum" else "exceeds maximum"
        return f"{number_kind} {_number(instance)} {verb} value of {_number(limit)}.", scalar
    if keyword == "multipleOf":
        return f"{number_kind} {_number(instance)} is not a multiple of {_number(limit)}.", scalar
    if keyword in ("minItems", "maxItems"):
        verb = "is less than minimum" if keyword == "minItems" else "exceeds maximum"
        return f"Array item count {len(instance)} {verb} count of {limit}.", len(instance)
    if keyword in ("minProperties", "maxProperties"):
        verb = "is less than minimum" if keyword == "minProperties" else "exceeds maximum"
        return f"Object property count {len(instance)} {verb} count of {limit}.", len(instance)
    if keyword == "uniqueItems":
        seen: list[Any] = []
        for index, item in enumerate(instance):
            if item in seen:
                return f"Non-unique array item at index {index}.", index
            seen.append(item)
    if keyword == "anyOf":
        return "JSON does not match any schemas from 'anyOf'.", None
    if keyword == "oneOf":
        valid = [i for i, sub in enumerate(limit) if Draft4Validator(sub).is_valid(instance)]
        if valid:
            indexes = ", ".join(map(str, valid))
            return f"JSON is valid against more than one schema from 'oneOf'. Valid schema indexes: {indexes}.", None
        return "JSON is valid against no schemas from 'oneOf'.", None
    if keyword == "allOf":
        invalid = [i for i, sub in enumerate(limit) if not Draft4Validator(sub).is_valid(instance)]
        return (
            f"JSON does not match all schemas from 'allOf'. Invalid schema indexes: {', '.join(map(str, invalid))}.",
            None,
        )
    if keyword == "not":
        return "JSON is valid against schema from 'not'.", None
    return error.message, scalar
