"""Variable types and the checks the variable actions share (reference §3.4).

Types are Boolean, Integer, Float, String, Object, Array, written in any case. A Float variable takes an
Integer (stored as a double); otherwise a value must have the variable's type. Missing or null initial values
become the type's default (ILL `coerce`; a real run records `"value": 0` for an Integer declared without one).
Runtime type errors fail the action with code BadRequest (real runs show `BadRequest` on AppendToArrayVariable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from keyless.wdl.values import is_bool, is_integer
from keyless.workflows.actions._results import BAD_REQUEST, failed, inputs_of, required
from keyless.workflows.actions.base import Compiled, Outcome
from keyless.workflows.errors import DefinitionError

TYPES = {name.lower(): name for name in ("Boolean", "Integer", "Float", "String", "Object", "Array")}

MAX_VARIABLES = 250  # per workflow (reference §3.4, DOC-LIM)

DEFAULTS: dict[str, Any] = {"Boolean": False, "Integer": 0, "Float": 0.0, "String": "", "Object": None, "Array": []}


class VariableError(Exception):
    """A variable action cannot apply its value; the action fails with code BadRequest and this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def value_type(value: Any) -> str:
    """The variable type a value has, as Logic Apps names it in messages."""
    if value is None:
        return "Null"
    if is_bool(value):
        return "Boolean"
    if is_integer(value):
        return "Integer"
    if isinstance(value, (float, Decimal)):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    if isinstance(value, dict):
        return "Object"
    return type(value).__name__


def mismatch(name: str, declared: str, value: Any) -> VariableError:
    # Wording seen in real failures: "The variable 'v' of type 'Integer' cannot be initialized or updated with
    # value of type 'Float'".
    return VariableError(
        f"The variable '{name}' of type '{declared}' cannot be initialized or updated with value of type "
        f"'{value_type(value)}'."
    )


def coerce(name: str, declared: str, value: Any, *, initializing: bool) -> Any:
    """The value to store in a `declared` variable, or VariableError. Null becomes the type's default when
    initializing; when updating only String, Array (to their defaults) and Object take null (ILL typecheck)."""
    if value is None:
        if initializing or declared in ("String", "Array", "Object"):
            default = DEFAULTS[declared]
            return list(default) if isinstance(default, list) else default
        raise mismatch(name, declared, value)
    actual = value_type(value)
    if actual == declared:
        return value
    if declared == "Float" and actual == "Integer":
        return float(value)
    raise mismatch(name, declared, value)


def declared_type(ctx: Any, name: str) -> str:
    """The declared type of a run variable, or VariableError when no InitializeVariable declared it."""
    if name not in ctx.variables:
        raise VariableError(f"The variable '{name}' is not initialized: no InitializeVariable action declared it.")
    return str(ctx.variable_types[name])


def variable_name(ctx: Any, compiled: Compiled) -> str:
    name = ctx.evaluate(compiled)
    if not isinstance(name, str) or not name:
        raise VariableError(f"The variable name must be a non-empty string; the value is of type '{value_type(name)}'.")
    return name


def failure(error: VariableError, inputs: Any) -> Outcome:
    return failed(BAD_REQUEST, error.message, inputs=inputs)


@dataclass(frozen=True)
class Update:
    """A Set/Increment/Decrement/Append action: the variable's name and the value (None: not given)."""

    name: Compiled
    value: Compiled | None


def compile_update(spec: dict[str, Any], ctx: Any, *, value_required: bool) -> Update:
    """Checks `inputs {name, value}`; refuses at save time a constant name that no InitializeVariable declares
    when the definition compiler supplies `declared_variables` (lower-case name -> type)."""
    type_name = str(spec.get("type"))
    inputs = inputs_of(spec, ctx)
    raw_name = required(inputs, "name", ctx, type_name)
    name = ctx.value(raw_name, "inputs.name")
    if name.is_constant:
        constant = name.evaluate(None)
        if not isinstance(constant, str) or not constant:
            raise ctx.error("inputs.name", f"The 'name' of action '{ctx.action_name}' must be a non-empty string.")
        declared = getattr(ctx, "declared_variables", None)
        if declared is not None and constant.lower() not in {key.lower() for key in declared}:
            raise ctx.error(
                "inputs.name",
                f"The action '{ctx.action_name}' of type '{type_name}' refers to the variable '{constant}', which "
                "no InitializeVariable action of the workflow declares.",
            )
    if value_required:
        raw_value = required(inputs, "value", ctx, type_name)
        return Update(name, ctx.value(raw_value, "inputs.value"))
    return Update(name, ctx.value(inputs["value"], "inputs.value") if "value" in inputs else None)


def declared_variables(actions: Mapping[str, Any], base_path: str = "properties.definition") -> dict[str, str]:
    """The variables a definition's top-level InitializeVariable actions declare: {name: Type}. For the
    definition compiler (to hand CompileContext.declared_variables to the variable actions); a name declared
    twice, ignoring case, is refused with the path of the second declaration."""
    found: dict[str, tuple[str, str]] = {}
    for action_name, action in actions.items():
        if not isinstance(action, dict) or str(action.get("type", "")).lower() != "initializevariable":
            continue
        inputs = action.get("inputs")
        entries = inputs.get("variables") if isinstance(inputs, dict) else None
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            name = entry["name"]
            type_name = TYPES.get(str(entry.get("type", "")).lower(), str(entry.get("type")))
            if name.lower() in found:
                raise DefinitionError(
                    f"{base_path}.actions.{action_name}.inputs.variables[{index}].name",
                    f"The variable '{name}' is initialized by more than one action: '{found[name.lower()][0]}' and "
                    f"'{action_name}'. A variable can be initialized only once.",
                )
            found[name.lower()] = (action_name, type_name)
            if len(found) > MAX_VARIABLES:
                raise DefinitionError(
                    f"{base_path}.actions.{action_name}.inputs.variables[{index}].name",
                    f"The workflow initializes more than {MAX_VARIABLES} variables, the most Logic Apps allows.",
                )
    return {name: type_name for name, (_, type_name) in found.items()}
