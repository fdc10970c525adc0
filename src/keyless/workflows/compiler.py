"""Compiling a definition's action maps: types from the registry, fields, runAfter, limits, expressions.

One `Compiler` per definition holds what spans the whole definition (names unique ignoring case, the action
count, references to check once every action is known); each action gets an `ActionCompileContext`, the
`CompileContext` its type's `compile` function sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from keyless.wdl.api import ExpressionSyntaxError, compile_value, references
from keyless.workflows.actions.base import ActionSpec, Compiled
from keyless.workflows.actions.registry import supported_names
from keyless.workflows.casefold import CaseInsensitiveDict
from keyless.workflows.durations import parse_duration
from keyless.workflows.errors import DefinitionError
from keyless.workflows.graph import ActionGraph, CompiledAction, build_graph, parse_run_after
from keyless.workflows.paths import child, join

COMMON_FIELDS = frozenset(
    {
        "type",
        "kind",
        "inputs",
        "runafter",
        "runtimeconfiguration",
        "operationoptions",
        "limit",
        "trackedproperties",
        "description",
        "metadata",
    }
)
LOOP_TYPES = frozenset({"foreach", "until"})
OWN_LIMIT_TYPES = frozenset({"until"})  # Until's limit is its loop's count/timeout, not an action timeout
MAX_ACTIONS = 500
MAX_DEPTH = 8
MAX_NAME = 80
# paginationPolicy (following nextLink pages) and requestOptions are refused by name: keyless does not run them.
# contentTransfer Chunked is accepted and the body moves whole (docs/compatibility.md): the receiver gets the same
# content, as LogicAppUnit's rewrite does for local runs, without the chunking protocol a mock seldom speaks.
RUNTIME_CONFIGURATION_KEYS = frozenset({"concurrency", "securedata", "staticresult", "contenttransfer"})


@dataclass
class Reference:
    owner: str  # `action 'X'`, `trigger 'manual'`, `the workflow outputs`
    field: str  # the first segment of the path (`inputs`, `expression`, ...)
    names: set[str]  # lower-case
    path: str


class Compiler:
    def __init__(self, registry: Mapping[str, ActionSpec], static_results: Mapping[str, Any], root: str) -> None:
        self.registry = registry
        self.static_results = CaseInsensitiveDict(static_results)
        self.root = root
        self.names: dict[str, str] = {}  # lower-case name -> path
        self.all_actions: dict[str, CompiledAction] = {}  # lower-case name -> action
        self.references: list[Reference] = []
        self.count = 0
        # What the top-level InitializeVariable actions declare (name -> type): variable actions refuse others.
        self.declared_variables: dict[str, str] | None = None

    # -- expressions ---------------------------------------------------------------------------------------------

    def value(self, raw: Any, path: str, field: str, owner: str) -> Compiled:
        """Compile `raw` found at `path`; `field` is its first path segment within `owner` (`action 'X'`)."""
        try:
            compiled = compile_value(raw)
        except ExpressionSyntaxError as error:
            relative = getattr(error, "path", "") or ""
            message = error.message
            if relative and message.startswith(relative + ": "):
                message = message[len(relative) + 2 :]
            raise DefinitionError(
                join(path, relative),
                f"The template validation failed: the expression in {owner} is not valid: {message}",
            ) from None
        names = references(compiled)
        if names:
            self.references.append(Reference(owner, field, names, path))
        return compiled

    def check_references(self) -> None:
        for ref in self.references:
            missing = sorted(name for name in ref.names if name not in self.all_actions)
            if missing:
                shown = ", ".join(missing)
                raise DefinitionError(
                    ref.path,
                    f"The template validation failed: 'The action(s) '{shown}' referenced by '{ref.field}' in "
                    f"{ref.owner} are not defined in the template.'",
                )

    # -- actions -------------------------------------------------------------------------------------------------

    def compile_map(
        self, raw: Any, path: str, *, containers: tuple[str, ...], loops: tuple[str, ...], parent: str | None
    ) -> ActionGraph:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise DefinitionError(path, "The 'actions' property must be an object.")
        siblings = {name.lower(): name for name in raw}
        compiled: dict[str, CompiledAction] = {}
        for name, body in raw.items():
            compiled[name] = self.compile_action(name, body, child(path, name), containers, loops, parent, siblings)
        return build_graph(compiled, lambda name: child(child(path, name), "runAfter"))

    def compile_action(
        self,
        name: str,
        raw: Any,
        path: str,
        containers: tuple[str, ...],
        loops: tuple[str, ...],
        parent: str | None,
        siblings: Mapping[str, str],
    ) -> CompiledAction:
        self._register_name(name, path, containers)
        if not isinstance(raw, dict):
            raise DefinitionError(path, f"The template action '{name}' must be an object.")
        type_name = raw.get("type")
        if not isinstance(type_name, str) or not type_name:
            raise DefinitionError(child(path, "type"), f"The template action '{name}' has no 'type'.")
        spec = self.registry.get(type_name.lower())
        if spec is None:
            raise DefinitionError(
                child(path, "type"),
                f"The action type '{type_name}' of action '{name}' is not supported by keyless; keyless runs the "
                f"built-in types: {', '.join(supported_names(self.registry))}.",
            )
        allowed = COMMON_FIELDS | {extra.lower() for extra in spec.extra_fields}
        for key in raw:
            if key.lower() not in allowed:
                raise DefinitionError(
                    child(path, key),
                    f"The template action '{name}' of type '{spec.type_name}' has the property '{key}', which "
                    "that type does not allow.",
                )
        run_after = parse_run_after(raw.get("runAfter"), child(path, "runAfter"), name, siblings)
        own_loops = (*loops, name.lower()) if spec.type_name.lower() in LOOP_TYPES else loops
        ctx = ActionCompileContext(self, name, path, containers, (*containers, spec.type_name), own_loops)
        config = spec.compile(raw, ctx)
        action = CompiledAction(
            name=name,
            type_name=spec.type_name,
            spec=spec,
            config=config,
            path=path,
            run_after=run_after,
            durable=spec.durable,
            loops=loops,
            children=ctx.children,
            parent=parent,
        )
        self._common(action, raw, ctx)
        self.all_actions[name.lower()] = action
        return action

    def _register_name(self, name: str, path: str, containers: tuple[str, ...]) -> None:
        if len(name) > MAX_NAME:
            raise DefinitionError(path, f"The action name '{name}' is longer than {MAX_NAME} characters.")
        previous = self.names.get(name.lower())
        if previous is not None:
            raise DefinitionError(
                path, f"The action name '{name}' is used more than once (names are unique ignoring case): {previous}."
            )
        self.names[name.lower()] = path
        self.count += 1
        if self.count > MAX_ACTIONS:
            raise DefinitionError(path, f"The workflow has more than {MAX_ACTIONS} actions.")
        if len(containers) > MAX_DEPTH:
            raise DefinitionError(path, f"The action '{name}' is nested more than {MAX_DEPTH} levels deep.")

    def _common(self, action: CompiledAction, raw: dict[str, Any], ctx: ActionCompileContext) -> None:
        fields = {key.lower(): key for key in raw}
        if "trackedproperties" in fields:
            tracked = raw[fields["trackedproperties"]]
            if not isinstance(tracked, dict):
                raise ctx.error(fields["trackedproperties"], "The 'trackedProperties' property must be an object.")
            action.tracked_properties = ctx.value(tracked, fields["trackedproperties"])
        if "limit" in fields and action.type_name.lower() not in OWN_LIMIT_TYPES:
            limit = raw[fields["limit"]]
            if not isinstance(limit, dict):
                raise ctx.error(fields["limit"], "The 'limit' property must be an object.")
            for key, value in limit.items():
                if key.lower() != "timeout":
                    raise ctx.error(
                        f"{fields['limit']}.{key}", f"The 'limit.{key}' property is not allowed on this action type."
                    )
                seconds = parse_duration(value)
                if seconds is None:
                    raise ctx.error(
                        f"{fields['limit']}.{key}", f"The 'limit.timeout' value '{value}' is not an ISO 8601 duration."
                    )
                action.timeout = seconds
        if "operationoptions" in fields and not isinstance(raw[fields["operationoptions"]], str):
            raise ctx.error(fields["operationoptions"], "The 'operationOptions' property must be a string.")
        if "runtimeconfiguration" in fields:
            self._runtime_configuration(
                action, raw[fields["runtimeconfiguration"]], fields["runtimeconfiguration"], ctx
            )

    def _runtime_configuration(self, action: CompiledAction, raw: Any, key: str, ctx: ActionCompileContext) -> None:
        if not isinstance(raw, dict):
            raise ctx.error(key, "The 'runtimeConfiguration' property must be an object.")
        for name, value in raw.items():
            here = f"{key}.{name}"
            folded = name.lower()
            if folded not in RUNTIME_CONFIGURATION_KEYS:
                raise ctx.error(here, f"The runtime configuration '{name}' is not supported by keyless.")
            if folded == "securedata":
                props = value.get("properties") if isinstance(value, dict) else None
                if not isinstance(props, list) or any(p not in ("inputs", "outputs") for p in props):
                    raise ctx.error(here, "'secureData.properties' must list 'inputs' and/or 'outputs'.")
                action.secure_inputs = "inputs" in props
                action.secure_outputs = "outputs" in props
            elif folded == "staticresult":
                self._static_result(action, value, here, ctx)
            elif folded == "contenttransfer":
                mode = value.get("transferMode") if isinstance(value, dict) else None
                if not isinstance(mode, str) or mode.lower() != "chunked" or len(value) != 1:
                    raise ctx.error(here, '\'contentTransfer\' must be {"transferMode": "Chunked"}.')

    def _static_result(self, action: CompiledAction, value: Any, here: str, ctx: ActionCompileContext) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            raise ctx.error(here, "'staticResult' must be an object with a 'name'.")
        option = value.get("staticResultOptions", "Enabled")
        if not isinstance(option, str) or option.lower() not in ("enabled", "disabled"):
            raise ctx.error(f"{here}.staticResultOptions", "'staticResultOptions' must be 'Enabled' or 'Disabled'.")
        if value["name"] not in self.static_results:
            raise ctx.error(
                f"{here}.name", f"The static result '{value['name']}' is not defined in the 'staticResults' section."
            )
        result = self.static_results[value["name"]]
        if not isinstance(result, dict) or not isinstance(result.get("status"), str):
            raise ctx.error(f"{here}.name", f"The static result '{value['name']}' must be an object with a 'status'.")
        if option.lower() == "enabled":
            action.static_result = result


class ActionCompileContext:
    """The CompileContext (actions/base.py) of one action."""

    def __init__(
        self,
        compiler: Compiler,
        action_name: str,
        path: str,
        inside: tuple[str, ...],
        containers_for_children: tuple[str, ...],
        loops_for_children: tuple[str, ...],
    ) -> None:
        self._compiler = compiler
        self.action_name = action_name
        self.path = path
        self._inside = inside
        self._child_containers = containers_for_children
        self._child_loops = loops_for_children
        self.children: list[ActionGraph] = []

    @property
    def inside(self) -> tuple[str, ...]:
        return self._inside

    @property
    def declared_variables(self) -> dict[str, str] | None:
        return self._compiler.declared_variables

    def value(self, raw: Any, path: str) -> Compiled:
        field = path.split(".")[0].split("[")[0]
        return self._compiler.value(raw, join(self.path, path), field, f"action '{self.action_name}'")

    def error(self, path: str, message: str) -> Exception:
        return DefinitionError(join(self.path, path), message)

    def compile_actions(self, actions: Mapping[str, Any], path: str) -> ActionGraph:
        graph = self._compiler.compile_map(
            actions,
            join(self.path, path),
            containers=self._child_containers,
            loops=self._child_loops,
            parent=self.action_name,
        )
        self.children.append(graph)
        return graph
