"""ParseJson `{content, schema}`: parses JSON text (or takes a value as it is) and validates it (reference §3.3).

Real runs record inputs `{content, schema}` as evaluated and outputs `{"body": <parsed>}`, code OK. Content that
is not JSON fails with error code `InvalidJSON` ("The 'content' property of actions of type 'ParseJson' must be
valid JSON. The provided value cannot be parsed: '...'"); a schema mismatch fails with `ValidationFailed`
("The schema validation failed.") and outputs `{"errors": [...]}` (seen in real failures, see _schema_errors).
A content envelope (binary body) is parsed as UTF-8 JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator

from keyless.wdl.text import envelope_text
from keyless.wdl.values import is_envelope
from keyless.workflows.actions._results import BAD_REQUEST, OK, failed, inputs_of, required, succeeded
from keyless.workflows.actions._schema_errors import schema_problem, validate
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome

TYPE = "ParseJson"
INVALID_JSON = "InvalidJSON"
VALIDATION_FAILED = "ValidationFailed"


@dataclass(frozen=True)
class Config:
    content: Compiled
    schema: Compiled
    validator: Draft4Validator | None = None  # built once when the schema is a constant (the usual case)


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    inputs = inputs_of(spec, ctx)
    content = ctx.value(required(inputs, "content", ctx, TYPE), "inputs.content")
    schema = ctx.value(required(inputs, "schema", ctx, TYPE), "inputs.schema")
    if not schema.is_constant:
        return Config(content, schema)
    problem = schema_problem(schema.evaluate(None))
    if problem is not None:
        raise ctx.error("inputs.schema", f"The 'schema' of action '{ctx.action_name}' is not valid: {problem}.")
    return Config(content, schema, Draft4Validator(schema.evaluate(None)))


async def run(config: Config, ctx: Any) -> Outcome:
    content = ctx.evaluate(config.content)
    schema = ctx.evaluate(config.schema)
    inputs = {"content": content, "schema": schema}
    problem = None if config.validator is not None else schema_problem(schema)
    if problem is not None:
        return failed(
            BAD_REQUEST, f"The 'schema' property of actions of type '{TYPE}' is not valid: {problem}.", inputs=inputs
        )
    text = envelope_text(content) if is_envelope(content) else content
    if isinstance(text, str):
        try:
            value = json.loads(text)
        except ValueError as error:
            return failed(
                INVALID_JSON,
                f"The 'content' property of actions of type '{TYPE}' must be valid JSON. The provided value cannot "
                f"be parsed: '{_parse_error(text, error)}'.",
                inputs=inputs,
            )
    else:
        value = content
    errors = validate(config.validator or schema, value)
    if errors:
        return failed(
            VALIDATION_FAILED,
            "The schema validation failed.",
            inputs=inputs,
            outputs={"errors": errors},
            has_outputs=True,
        )
    return succeeded(OK, inputs, {"body": value})


def _parse_error(text: str, error: ValueError) -> str:
    """Newtonsoft's reader message where it is known (an unexpected first character), else the parser's."""
    stripped = text.lstrip()
    if not stripped:
        return "Unexpected end when reading JSON. Path '', line 0, position 0."
    if isinstance(error, json.JSONDecodeError) and error.pos == len(text) - len(stripped):
        return f"Unexpected character encountered while parsing value: {stripped[0]}. Path '', line 0, position 0."
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg}. Path '', line {error.lineno}, position {error.colno}."
    return str(error)


SPEC = ActionSpec(TYPE, compile, run)
