"""keyless.gateway.openapi: OpenAPI 3 / Swagger 2 documents -> APIM operations."""

from __future__ import annotations

import json

import pytest

from keyless.gateway.openapi import OpenApiError, operations

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Legacy", "description": "old"},
    "host": "legacy.example",
    "basePath": "/api",
    "schemes": ["http"],
    "parameters": {"Id": {"name": "id", "in": "path", "required": True, "type": "integer"}},
    "paths": {
        "/items/{id}": {
            "parameters": [{"$ref": "#/parameters/Id"}],
            "get": {"operationId": "get item", "summary": "Get", "responses": {"200": {"description": "ok"}}},
            "delete": {"operationId": "get item", "responses": {"204": {"description": "gone"}}},
        },
        "/search": {
            "get": {"parameters": [{"name": "q", "in": "query", "required": True, "type": "string"}]},
        },
    },
}


def test_swagger_2() -> None:
    api = operations(json.dumps(SWAGGER), "swagger-json")
    assert (api.title, api.description, api.server_url) == ("Legacy", "old", "http://legacy.example/api")
    by_name = {o["name"]: o["properties"] for o in api.operations}
    # operation ids become names with invalid characters replaced, made unique
    assert set(by_name) == {"get-item", "get-item-2", "get-search"}
    assert by_name["get-item"]["templateParameters"] == [
        {"name": "id", "type": "integer", "required": True, "values": []}
    ]
    assert by_name["get-item-2"]["method"] == "DELETE"
    assert by_name["get-item"]["responses"] == [{"statusCode": 200, "description": "ok", "representations": []}]
    assert by_name["get-search"]["request"]["queryParameters"][0]["name"] == "q"


def test_undeclared_path_parameters_are_strings() -> None:
    text = "openapi: 3.0.0\ninfo: {title: t}\npaths:\n  /a/{x}:\n    get: {operationId: a}\n"
    (op,) = operations(text, "openapi").operations
    assert op["properties"]["templateParameters"] == [{"name": "x", "type": "string", "required": True, "values": []}]


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("{", "openapi+json", "could not be parsed"),
        ("- a\n- b\n", "openapi", "not an OpenAPI"),
        ('{"openapi": "2.5", "paths": {}}', "openapi+json", "Only OpenAPI 3.x"),
        ('{"info": {}, "paths": {}}', "openapi+json", "Only OpenAPI 3.x"),
    ],
)
def test_bad_documents_are_refused(text: str, fmt: str, message: str) -> None:
    with pytest.raises(OpenApiError, match=message):
        operations(text, fmt)
