"""A workflow definition compiled once, when it is saved: `compile_definition(definition) -> CompiledWorkflow`.

Everything that can be refused before a run is refused here with a DefinitionError at the JSON path of the
problem (reference §1.1, §2, §3, §7): top-level keys, parameters and their supplied values, triggers, every
action (type, fields, runAfter, names, limits, expressions), action references, outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keyless.wdl.values import is_integer, is_number
from keyless.workflows.actions._variables import declared_variables
from keyless.workflows.actions.base import ActionSpec, Compiled
from keyless.workflows.actions.registry import ACTION_TYPES
from keyless.workflows.casefold import CaseInsensitiveDict
from keyless.workflows.compiler import Compiler
from keyless.workflows.errors import DefinitionError
from keyless.workflows.graph import ActionGraph, CompiledAction
from keyless.workflows.paths import child
from keyless.workflows.trigger_schema import CompiledTrigger, compile_trigger

TOP_LEVEL = {
    "$schema",
    "contentversion",
    "parameters",
    "triggers",
    "actions",
    "outputs",
    "staticresults",
    "description",
    "metadata",
}
PARAMETER_TYPES = {
    "int": "Int",
    "float": "Float",
    "string": "String",
    "securestring": "SecureString",
    "bool": "Bool",
    "array": "Array",
    "object": "Object",
    "secureobject": "SecureObject",
}
OUTPUT_TYPES = {key: value for key, value in PARAMETER_TYPES.items() if key != "secureobject"}
MAX_TRIGGERS = 10
MAX_OUTPUTS = 10


@dataclass
class CompiledOutput:
    name: str
    type: str
    value: Compiled


@dataclass
class CompiledWorkflow:
    definition: dict[str, Any]
    triggers: dict[str, CompiledTrigger]
    actions: ActionGraph
    parameters: CaseInsensitiveDict  # name -> resolved value
    parameter_types: dict[str, str]  # name -> canonical type (`SecureString`, ...)
    outputs: dict[str, CompiledOutput]
    all_actions: dict[str, CompiledAction]  # lower-case name -> action, at any depth
    static_results: dict[str, Any] = field(default_factory=dict)
    variable_types: dict[str, str] = field(default_factory=dict)  # lower-case name -> declared type (`Integer`)

    @property
    def action_names(self) -> list[str]:
        return [action.name for action in self.all_actions.values()]

    def action(self, name: str) -> CompiledAction | None:
        return self.all_actions.get(name.lower())

    def is_durable(self, name: str) -> bool:
        action = self.action(name)
        return bool(action and action.durable)


def compile_definition(
    definition: dict[str, Any],
    *,
    path: str = "properties.definition",
    parameters: dict[str, Any] | None = None,
    registry: Mapping[str, ActionSpec] | None = None,
) -> CompiledWorkflow:
    """`parameters` are the resource's `properties.parameters` (`{name: {"value": ...}}`); `registry` replaces the
    action types (tests)."""
    if not isinstance(definition, dict):
        raise DefinitionError(path, "The workflow definition must be a JSON object.")
    for key in definition:
        if key.lower() not in TOP_LEVEL:
            raise DefinitionError(child(path, key), f"The workflow definition property '{key}' is not allowed.")
    keys = {key.lower(): key for key in definition}
    section = {name: definition.get(keys.get(name.lower(), ""), None) for name in TOP_LEVEL}

    version = section["contentversion"]
    if version is not None and not isinstance(version, str):
        raise DefinitionError(child(path, keys["contentversion"]), "'contentVersion' must be a string.")
    static_results = section["staticresults"] or {}
    if not isinstance(static_results, dict):
        raise DefinitionError(child(path, keys["staticresults"]), "'staticResults' must be an object.")

    resolved, types = _parameters(section["parameters"], parameters, path, keys)
    compiler = Compiler(ACTION_TYPES if registry is None else registry, static_results, path)
    raw_actions = section["actions"]
    if isinstance(raw_actions, dict):
        compiler.declared_variables = declared_variables(raw_actions, path)
    triggers = _triggers(section["triggers"], compiler, child(path, keys.get("triggers", "triggers")))
    graph = compiler.compile_map(
        section["actions"], child(path, keys.get("actions", "actions")), containers=(), loops=(), parent=None
    )
    outputs = _outputs(section["outputs"], compiler, child(path, keys.get("outputs", "outputs")))
    compiler.check_references()
    return CompiledWorkflow(
        definition=definition,
        triggers=triggers,
        actions=graph,
        parameters=resolved,
        parameter_types=types,
        outputs=outputs,
        all_actions=compiler.all_actions,
        static_results=static_results,
        variable_types={name.lower(): type_name for name, type_name in (compiler.declared_variables or {}).items()},
    )


def _parameters(
    declared: Any, supplied: dict[str, Any] | None, path: str, keys: dict[str, str]
) -> tuple[CaseInsensitiveDict, dict[str, str]]:
    here = child(path, keys.get("parameters", "parameters"))
    # The values live beside the definition: `properties.parameters` for `properties.definition`.
    values_path = path[: -len("definition")] + "parameters" if path.endswith("definition") else f"{path}.parameters"
    declared = declared or {}
    if not isinstance(declared, dict):
        raise DefinitionError(here, "'parameters' must be an object.")
    supplied_ci = CaseInsensitiveDict(supplied or {})
    for name in supplied_ci:
        if not any(name.lower() == key.lower() for key in declared):
            raise DefinitionError(
                child(values_path, name),
                f"The workflow parameters '{name}' are not valid; they are not declared in the definition and "
                "therefore cannot be provided a value.",
            )
    resolved = CaseInsensitiveDict()
    types: dict[str, str] = {}
    for name, spec in declared.items():
        at = child(here, name)
        if not isinstance(spec, dict):
            raise DefinitionError(at, f"The workflow parameter '{name}' must be an object.")
        for key in spec:
            # `value` in the definition itself: Standard workflow.json files carry it (the designer writes it).
            if key.lower() not in ("type", "defaultvalue", "value", "allowedvalues", "metadata", "description"):
                raise DefinitionError(child(at, key), f"The workflow parameter property '{key}' is not allowed.")
        fields = {key.lower(): value for key, value in spec.items()}
        type_name = fields.get("type")
        canonical = PARAMETER_TYPES.get(type_name.lower()) if isinstance(type_name, str) else None
        if canonical is None:
            raise DefinitionError(
                child(at, "type"),
                f"The type '{type_name}' of workflow parameter '{name}' is not one of "
                f"{', '.join(PARAMETER_TYPES.values())}.",
            )
        types[name] = canonical
        if name in supplied_ci:
            entry = supplied_ci[name]
            if not isinstance(entry, dict) or "value" not in entry:
                raise DefinitionError(
                    child(values_path, name), f"The value of workflow parameter '{name}' must be {{\"value\": ...}}."
                )
            value, value_path = entry["value"], child(child(values_path, supplied_ci.original(name)), "value")
        elif "value" in fields:
            value, value_path = fields["value"], child(at, "value")
        elif "defaultvalue" in fields:
            value, value_path = fields["defaultvalue"], child(at, "defaultValue")
        else:
            raise DefinitionError(
                child(values_path, name), f"The value for the workflow parameter '{name}' is not provided."
            )
        if not _fits(value, canonical):
            raise DefinitionError(
                value_path,
                f"The provided value for the workflow parameter '{name}' is not valid. Expected a value of type "
                f"'{canonical}'.",
            )
        allowed = fields.get("allowedvalues")
        if isinstance(allowed, list) and value not in allowed:
            raise DefinitionError(
                value_path, f"The value of workflow parameter '{name}' is not one of its allowed values."
            )
        resolved[name] = value
    return resolved, types


def _fits(value: Any, canonical: str) -> bool:
    if canonical == "Int":
        return is_integer(value)
    if canonical == "Float":
        return is_number(value)
    if canonical in ("String", "SecureString"):
        return isinstance(value, str)
    if canonical == "Bool":
        return value is True or value is False
    if canonical == "Array":
        return isinstance(value, list)
    return isinstance(value, dict)


def _triggers(raw: Any, compiler: Compiler, here: str) -> dict[str, CompiledTrigger]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise DefinitionError(here, "'triggers' must be an object.")
    if len(raw) > MAX_TRIGGERS:
        raise DefinitionError(here, f"A workflow can have at most {MAX_TRIGGERS} triggers.")
    triggers: dict[str, CompiledTrigger] = {}
    for name, body in raw.items():
        at = child(here, name)

        def value(item: Any, item_path: str, field: str, name: str = name) -> Compiled:
            return compiler.value(item, item_path, field, f"trigger '{name}'")

        triggers[name] = compile_trigger(name, body, at, value)
    return triggers


def _outputs(raw: Any, compiler: Compiler, here: str) -> dict[str, CompiledOutput]:
    raw = raw or {}
    if not isinstance(raw, dict):
        raise DefinitionError(here, "'outputs' must be an object.")
    if len(raw) > MAX_OUTPUTS:
        raise DefinitionError(here, f"A workflow can have at most {MAX_OUTPUTS} outputs.")
    outputs: dict[str, CompiledOutput] = {}
    for name, spec in raw.items():
        at = child(here, name)
        if not isinstance(spec, dict) or "value" not in spec:
            raise DefinitionError(at, f"The workflow output '{name}' must be an object with 'type' and 'value'.")
        type_name = spec.get("type")
        canonical = OUTPUT_TYPES.get(type_name.lower()) if isinstance(type_name, str) else None
        if canonical is None:
            raise DefinitionError(
                child(at, "type"), f"The type '{type_name}' of workflow output '{name}' is not valid."
            )
        compiled = compiler.value(spec["value"], child(at, "value"), "outputs", "the workflow outputs")
        outputs[name] = CompiledOutput(name, canonical, compiled)
    return outputs
