"""wait: runs its send-request / cache-lookup-value / choose children concurrently, until all or any completes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.policy import STOP, CompileContext, PolicyError, PolicySpec, RequestState, Stop, Value
from keyless.gateway.throttling import check_attributes, is_expression

NAME = "wait"
FOR = ("all", "any")
CHILDREN = ("send-request", "cache-lookup-value", "choose")


@dataclass(frozen=True)
class Config:
    wait_for: Value
    branches: tuple[Any, ...]  # one compiled statement list per immediate child


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("for",))
    if element.text.strip():
        raise ctx.error(element, f"'{NAME}' does not take text content.")
    raw = element.attrs.get("for", "all")
    if not is_expression(raw) and raw not in FOR:
        raise ctx.error(element, f"'for' of '{NAME}' must be all or any, not '{raw}'.", "for")
    for child in element.children:
        if child.name not in CHILDREN:
            raise ctx.error(
                child,
                f"'{child.name}' is not allowed in '{NAME}': its immediate children may only be "
                "send-request, cache-lookup-value and choose.",
            )
    if not element.children:
        raise ctx.error(element, f"'{NAME}' needs at least one child policy.")
    compiled = ctx.children(element)
    # each child runs on its own, as a statement list of one (so a failure still names its step)
    branches = tuple(type(compiled)((step,)) for step in compiled.steps)  # type: ignore[attr-defined, call-arg]
    return Config(ctx.value(element, raw, attribute="for"), branches)


async def run(cfg: Config, state: RequestState) -> Stop | None:
    mode = str(cfg.wait_for.get(state)).strip().lower()
    if mode not in FOR:
        raise PolicyError(
            NAME, "ExpressionValueEvaluationFailure", f"'for' of '{NAME}' must be all or any, not '{mode}'."
        )
    tasks = [asyncio.ensure_future(branch.run(state)) for branch in cfg.branches]
    try:
        if mode == "all":
            # every child completes; the first failure (in document order) is the policy's failure
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            return STOP if any(r is STOP for r in results) else None
        # any: the first child to complete ends the wait; the others are terminated
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        first = next(t for t in tasks if t in done)
        return first.result()
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


SPEC = PolicySpec(name=NAME, sections=frozenset({"inbound", "backend", "outbound"}), compile=compile, run=run)
