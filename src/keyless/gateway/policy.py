"""The policy contract: what a module in `gateway/policies/` declares and how the pipeline calls it.

A policy module defines `SPEC = PolicySpec(name, sections, compile, run)`. `compile(element, ctx)` runs
once when a document is PUT: it checks attributes and children (raising `ctx.error(...)` with the
element's position) and compiles every expression through `ctx.value(...)`; it returns a frozen config.
`run(config, state)` runs per request: it returns None to continue, or `STOP` after setting
`state.response` (return-response, mock-response, a cors preflight), or raises `PolicyError` (the
pipeline then records `context.LastError` and runs `on-error`). Only the pipeline sends responses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from keyless.gateway.element import Element

SECTIONS = ("inbound", "backend", "outbound", "on-error")
SCOPES = ("global", "workspace", "product", "api", "operation")


class Stop:
    """Returned by a policy that has set `state.response` and ends the pipeline (outbound is skipped)."""

    def __repr__(self) -> str:
        return "STOP"


STOP = Stop()


class PolicyError(Exception):
    """A failure inside a policy or a built-in step, as APIM's `context.LastError` describes it.

    The policy sets `state.response` first when the failure has a response of its own (validate-jwt's 401,
    rate-limit's 429); otherwise the pipeline answers 500 with `activityId` if on-error does not.
    """

    def __init__(
        self, source: str, reason: str, message: str, *, policy_id: str | None = None, explanation: str = ""
    ) -> None:
        super().__init__(message)
        self.source = source
        self.reason = reason
        self.message = message
        self.policy_id = policy_id
        # keyless's own one-line why (expected vs found), without secrets: `x-keyless-reason` on the refusal.
        self.explanation = explanation


class Value(Protocol):
    """An attribute or text value: a constant or a compiled policy expression."""

    is_constant: bool

    def get(self, state: RequestState) -> Any:
        """The value for this request (expressions are evaluated; a failure raises PolicyError
        `ExpressionValueEvaluationFailure`)."""
        ...


class CompileContext(Protocol):
    """What `compile` may use. Raising `ctx.error(...)` refuses the whole document with a 400."""

    scope: str  # global | product | api | operation | fragment
    section: str  # inbound | backend | outbound | on-error

    def error(self, element: Element, message: str, attribute: str | None = None) -> Exception: ...

    def value(
        self,
        element: Element,
        raw: str | None,
        *,
        attribute: str | None = None,
        allow_expression: bool = True,
        default: Any = None,
    ) -> Value:
        """Compile an attribute/text value once: `@(...)`/`@{...}` become compiled expressions, anything else a
        constant. `allow_expression=False` refuses an expression where APIM does not allow one."""
        ...

    def children(self, element: Element) -> Steps:
        """Compile child policies (choose/when, retry, limit-concurrency, return-response...)."""
        ...


class Steps(Protocol):
    """Compiled policy statements, run in order by the pipeline."""

    async def run(self, state: RequestState) -> Stop | None: ...


class RequestState(Protocol):
    """Per-request state the pipeline owns; see `gateway/state.py` for the full class.

    Policies read and change: `request` (method, url, headers, body), `response` (None until the backend or a
    policy sets one), `variables`, `context` (the object policy expressions see as `context`), `trace(...)`,
    and `services` (HTTP client, token service, caches, counters)."""

    request: Any
    response: Any
    variables: dict[str, Any]
    context: Any
    services: Any
    section: str

    def trace(self, source: str, data: Any) -> None: ...


CompileFn = Callable[[Element, CompileContext], Any]
RunFn = Callable[[Any, RequestState], Awaitable[Stop | None]]


@dataclass(frozen=True)
class PolicySpec:
    name: str
    sections: frozenset[str]
    compile: CompileFn
    run: RunFn
    # Scopes where APIM allows the policy (rate-limit: product/api/operation; quota: product).
    scopes: frozenset[str] = frozenset(SCOPES)
    # At most once per effective document (forward-request, rate-limit).
    once: bool = False
