"""Small doubles of the interpreter's CompileContext and RunContext for testing actions one at a time.

Expressions are not parsed here: a test names each expression string it uses and gives a Python function of the
run context for it (`{"@item()": lambda c: c.item(None)}`), so action tests do not depend on the expression
language; whole-definition tests in test_definitions.py use the real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from keyless.workflows.actions.base import ActionSpec, Outcome
from keyless.workflows.errors import DefinitionError
from keyless.workflows.host import ResponseMessage, ResponseState

_NO_ITEM = object()


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """Keys compared ignoring case; the first spelling is kept."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, Any]] = {}

    def __getitem__(self, key: str) -> Any:
        return self._data[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        folded = key.lower()
        original = self._data[folded][0] if folded in self._data else key
        self._data[folded] = (original, value)

    def __delitem__(self, key: str) -> None:
        del self._data[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)


def _is_expression(text: str) -> bool:
    if text.startswith("@@"):
        return False
    return (text.startswith("@") and len(text) > 1) or "@{" in text


class FakeCompiled:
    def __init__(self, build: Callable[[Any], Any], is_constant: bool) -> None:
        self._build = build
        self.is_constant = is_constant

    def evaluate(self, ctx: Any) -> Any:
        return self._build(ctx)


def compile_fake(raw: Any, expressions: dict[str, Callable[[Any], Any]]) -> FakeCompiled:
    if isinstance(raw, str):
        if _is_expression(raw):
            if raw not in expressions:
                raise KeyError(f"test expression {raw!r} has no stub")
            fn = expressions[raw]
            return FakeCompiled(fn, False)
        text = raw[1:] if raw.startswith("@@") else raw
        return FakeCompiled(lambda ctx: text, True)
    if isinstance(raw, dict):
        parts = {key: compile_fake(value, expressions) for key, value in raw.items()}
        return FakeCompiled(
            lambda ctx: {key: part.evaluate(ctx) for key, part in parts.items()},
            all(part.is_constant for part in parts.values()),
        )
    if isinstance(raw, list):
        items = [compile_fake(value, expressions) for value in raw]
        return FakeCompiled(lambda ctx: [item.evaluate(ctx) for item in items], all(i.is_constant for i in items))
    return FakeCompiled(lambda ctx: raw, True)


@dataclass
class FakeCompileContext:
    action_name: str = "Action"
    expressions: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    inside: tuple[str, ...] = ()
    declared_variables: dict[str, str] | None = None

    @property
    def path(self) -> str:
        return f"properties.definition.actions.{self.action_name}"

    def value(self, raw: Any, path: str) -> FakeCompiled:
        return compile_fake(raw, self.expressions)

    def error(self, path: str, message: str) -> Exception:
        return DefinitionError(f"{self.path}.{path}", message)

    def compile_actions(self, actions: Any, path: str) -> Any:
        raise NotImplementedError("data actions have no children")


@dataclass
class FakeHost:
    waiting: bool = True
    responses: list[ResponseMessage] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    invocations: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    child: Callable[[str, str, Any, dict[str, str]], ResponseMessage | None] | None = None
    state: ResponseState | None = None  # what respond answers instead of `waiting` (TOO_LATE, ALREADY_ANSWERED)

    async def respond(self, message: ResponseMessage) -> bool | ResponseState:
        if self.state is not None:
            return self.state
        if self.waiting:
            self.responses.append(message)
        return self.waiting

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def invoke_workflow(
        self, workflow_id: str, trigger_name: str, body: Any, headers: dict[str, str]
    ) -> ResponseMessage | None:
        self.invocations.append((workflow_id, trigger_name, body, headers))
        assert self.child is not None
        return self.child(workflow_id, trigger_name, body, headers)


class FakeRunContext:
    """Evaluates FakeCompiled values with itself as the expression context (`c.item(None)`, `c.variable(n)`)."""

    def __init__(self, action_name: str = "Action", host: FakeHost | None = None) -> None:
        self.action_name = action_name
        self.host = host or FakeHost()
        self.variables = CaseInsensitiveDict()
        self.variable_types = CaseInsensitiveDict()
        self.checkpoints = 0
        self.clock = datetime(2026, 1, 1, tzinfo=UTC)
        self._items: list[Any] = []

    def evaluate(self, compiled: Any, *, item: Any = _NO_ITEM) -> Any:
        if item is _NO_ITEM:
            return compiled.evaluate(self)
        self._items.append(item)
        try:
            return compiled.evaluate(self)
        finally:
            self._items.pop()

    def item(self, loop: str | None) -> Any:
        return self._items[-1]

    def variable(self, name: str) -> Any:
        return self.variables[name]

    def declare(self, name: str, type_name: str, value: Any) -> None:
        self.variables[name] = value
        self.variable_types[name] = type_name

    def now(self) -> datetime:
        return self.clock

    async def checkpoint(self) -> None:
        self.checkpoints += 1


def compile_action(
    spec: ActionSpec, action: dict[str, Any], expressions: dict[str, Callable[[Any], Any]] | None = None, **kw: Any
) -> Any:
    ctx = FakeCompileContext(expressions=expressions or {}, **kw)
    return spec.compile(action, ctx)


def run_action(spec: ActionSpec, config: Any, ctx: FakeRunContext | None = None) -> Outcome:
    return asyncio.run(spec.run(config, ctx or FakeRunContext()))
