"""The action contract: what a module in `workflows/actions/` declares and how the interpreter calls it.

A module defines `SPEC = ActionSpec(type_name, compile, run, ...)` and `registry.py` imports it (adding a type
touches no `if` chain). `compile(spec, ctx)` runs once when a definition is saved: it checks the action's
fields (raising `ctx.error(path, message)`) and compiles every expression through `ctx.value(...)`; it
returns a config object. `run(config, ctx)` runs per execution and returns an `Outcome`, or raises
ExpressionError (the interpreter then records Failed / `InvalidTemplate` with the message).

Containers (If, Switch, Foreach, Until, Scope) set `children` to list their nested action maps and run them
through `ctx.run_actions(...)`; the interpreter owns runAfter, Skipped records and the run status.

`durable=True` marks actions with effects outside the run (Http, Workflow, Wait, Response): the interpreter
checkpoints before they start and after they finish. Pure actions are recomputed from the checkpointed state
on resume, so they need no checkpoint of their own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from keyless.workflows.host import RunHost
from keyless.workflows.records import ActionRecord


class Compiled(Protocol):
    """A compiled JSON value: strings that are expressions are parsed once; `evaluate` walks the rest."""

    is_constant: bool

    def evaluate(self, ctx: Any) -> Any: ...


@dataclass
class Outcome:
    """An action's result. `inputs`/`outputs` None with has_* False means the record has no link."""

    status: str
    code: str
    inputs: Any = None
    outputs: Any = None
    has_inputs: bool = True
    has_outputs: bool = True
    error: dict[str, Any] | None = None
    retry_history: list[dict[str, Any]] | None = None
    iteration_count: int | None = None


class CompileContext(Protocol):
    path: str  # JSON path of this action in the resource body, e.g. `properties.definition.actions.HTTP`
    action_name: str

    def value(self, raw: Any, path: str) -> Compiled:
        """Compile a JSON value (expressions inside strings parsed once); `path` is relative to the action
        (`inputs.uri`). Syntax errors become DefinitionError with the full path."""
        ...

    def error(self, path: str, message: str) -> Exception:
        """A DefinitionError at `<action path>.<path>` for `compile` to raise."""
        ...

    def compile_actions(self, actions: Mapping[str, Any], path: str) -> Any:
        """A container's nested `actions` map compiled as a unit (runAfter checked among its siblings)."""
        ...

    @property
    def inside(self) -> tuple[str, ...]:
        """Types of the enclosing containers, innermost last (Response and Terminate refuse Foreach/Until,
        InitializeVariable refuses any container)."""
        ...

    @property
    def declared_variables(self) -> dict[str, str] | None:
        """Variables the definition's InitializeVariable actions declare (name -> type), so variable actions can
        refuse other names when the definition is saved."""
        ...


class RunContext(Protocol):
    """The interpreter's side of one action execution."""

    action_name: str
    host: RunHost

    def evaluate(
        self, compiled: Compiled, *, item: Any = ..., loop: str | None = None, index: int | None = None
    ) -> Any:
        """Evaluate in this action's scope (`item()`, `items()`, `iterationIndexes()` are the current ones).
        `item=` sets `item()` (Query/Select's current `from` element); `loop`/`index` evaluate as inside that
        Until iteration (its condition sees `iterationIndexes`)."""
        ...

    def now(self) -> datetime:
        """The run's clock (UTC, timezone-aware; tests pin it): Until's timeout, Wait."""
        ...

    @property
    def variables(self) -> Any:
        """The run's variables: a case-insensitive mapping (name -> value) that variable actions read and write;
        the interpreter checkpoints it. Declared types live in `variable_types` (same keys)."""
        ...

    @property
    def variable_types(self) -> Any: ...

    async def run_actions(
        self, children: Any, *, item: Any = None, loop: str | None = None, index: int | None = None
    ) -> str:
        """Run a compiled nested action map (from `compile_actions`) to completion and return its status as a
        scope computes it (Succeeded/Failed/...). For loops, `item`/`index` set `item()` and the repetition."""
        ...

    async def skip_actions(self, children: Any) -> None:
        """A branch not taken (If, Switch): its actions are recorded Skipped (ActionBranchingConditionNotSatisfied),
        their nested actions too (ActionDependencyFailed)."""
        ...

    def records(self, children: Any) -> list[ActionRecord]:
        """The first-level records of a nested map's last execution (for `result()` and Scope outputs)."""
        ...

    def terminate(self, status: str, error: dict[str, Any] | None) -> None:
        """Terminate: end the run with this status; running actions are cancelled, the rest Skipped."""
        ...

    async def checkpoint(self) -> None:
        """Write pending records now (a long-running action calls it before waiting)."""
        ...


CompileFn = Callable[[dict[str, Any], CompileContext], Any]
RunFn = Callable[[Any, RunContext], Awaitable[Outcome]]


@dataclass(frozen=True)
class ActionSpec:
    type_name: str  # as documented (`InitializeVariable`); matched case-insensitively
    compile: CompileFn
    run: RunFn
    durable: bool = False
    # Field names allowed on the action beside the common ones (type, kind, inputs, runAfter, runtimeConfiguration,
    # operationOptions, limit, trackedProperties, description, metadata): `actions`, `else`, `cases`, ...
    extra_fields: frozenset[str] = field(default_factory=frozenset)
