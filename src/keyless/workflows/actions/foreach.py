"""Foreach: its actions once per item of the `foreach` array, 20 repetitions at once by default
(`runtimeConfiguration.concurrency.repetitions` 1..50), one at a time with `operationOptions: Sequential`.
Each repetition's records carry `repetition` {loop: index}; `item()`/`items('Loop')` are the current item.
The loop is Failed when any repetition's actions are (reference §3.5)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from keyless.wdl.values import is_integer, type_name
from keyless.workflows.actions._container import container_outcome, field, nested_actions, refuse_operation_options
from keyless.workflows.actions.base import ActionSpec, CompileContext, Compiled, Outcome
from keyless.workflows.records import FAILED, SUCCEEDED

DEFAULT_REPETITIONS = 20
MAX_REPETITIONS = 50
MAX_ITEMS = 100_000
INVALID_TEMPLATE = "InvalidTemplate"


@dataclass
class ForeachConfig:
    items: Compiled
    source: str  # the `foreach` text, quoted in errors
    actions: Any
    concurrency: int


def compile_foreach(spec: dict[str, Any], ctx: CompileContext) -> ForeachConfig:
    refuse_operation_options(spec, ctx, frozenset({"sequential"}))
    if "inputs" in spec:
        raise ctx.error("inputs", f"The Foreach action '{ctx.action_name}' takes no 'inputs'.")
    found = field(spec, "foreach")
    if found is None:
        raise ctx.error("foreach", f"The Foreach action '{ctx.action_name}' needs a 'foreach' expression.")
    if not isinstance(found[1], (str, list)):
        raise ctx.error(found[0], "The 'foreach' property must be an expression or an array.")
    items = ctx.value(found[1], found[0])
    concurrency = DEFAULT_REPETITIONS
    runtime = field(spec, "runtimeConfiguration")
    repetitions = None
    if runtime is not None and isinstance(runtime[1], dict):
        limits = field(runtime[1], "concurrency")
        if limits is not None:
            here = f"{runtime[0]}.{limits[0]}"
            if not isinstance(limits[1], dict) or set(k.lower() for k in limits[1]) - {"repetitions"}:
                raise ctx.error(here, "A Foreach's 'concurrency' may only hold 'repetitions'.")
            repetitions = field(limits[1], "repetitions")
            if repetitions is not None:
                value = repetitions[1]
                if not is_integer(value) or not 1 <= value <= MAX_REPETITIONS:
                    raise ctx.error(
                        f"{here}.{repetitions[0]}",
                        f"The Foreach concurrency 'repetitions' must be an integer from 1 to {MAX_REPETITIONS}.",
                    )
                concurrency = value
    options = field(spec, "operationOptions")
    sequential = options is not None and "sequential" in [o.strip().lower() for o in str(options[1]).split(",")]
    if sequential:
        if repetitions is not None:
            raise ctx.error(
                options[0],
                f"The Foreach action '{ctx.action_name}' cannot have both the 'Sequential' operation option and a "
                "'concurrency.repetitions' setting.",
            )
        concurrency = 1
    return ForeachConfig(
        items, found[1] if isinstance(found[1], str) else "[...]", nested_actions(spec, ctx), concurrency
    )


def _invalid(message: str) -> Outcome:
    return Outcome(
        FAILED,
        INVALID_TEMPLATE,
        has_inputs=False,
        has_outputs=False,
        error={"code": INVALID_TEMPLATE, "message": message},
    )


async def run_foreach(config: ForeachConfig, ctx: Any) -> Outcome:
    items = ctx.evaluate(config.items)
    if not isinstance(items, list):
        return _invalid(
            f"The execution of template action '{ctx.action_name}' failed: the result of the evaluation of 'foreach' "
            f"expression '{config.source}' is of type '{type_name(items)}'. The result must be a valid array."
        )
    if len(items) > MAX_ITEMS:
        return _invalid(
            f"The execution of template action '{ctx.action_name}' failed: the 'foreach' array has {len(items)} items, "
            f"more than the limit of {MAX_ITEMS}."
        )
    statuses: list[str] = [SUCCEEDED] * len(items)
    indexes = iter(range(len(items)))

    async def worker() -> None:
        # Workers share one index iterator: at most `concurrency` repetitions run at once, in item order.
        for index in indexes:
            statuses[index] = await ctx.run_actions(
                config.actions, item=items[index], loop=ctx.action_name, index=index
            )

    await asyncio.gather(*(worker() for _ in range(min(config.concurrency, len(items)))))
    status = FAILED if FAILED in statuses else SUCCEEDED
    return container_outcome(status, iteration_count=len(items))


SPEC = ActionSpec("Foreach", compile_foreach, run_foreach, extra_fields=frozenset({"foreach", "actions"}))
