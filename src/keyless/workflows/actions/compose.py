"""Compose: the evaluated `inputs` become the outputs as they are (no `body` wrapper); code OK (reference §3.3,
UX-RUNS)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.workflows.actions._results import OK, inputs_of, succeeded
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome


@dataclass(frozen=True)
class Config:
    inputs: Compiled


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    return Config(ctx.value(inputs_of(spec, ctx, kind="any"), "inputs"))


async def run(config: Config, ctx: Any) -> Outcome:
    value = ctx.evaluate(config.inputs)
    return succeeded(OK, value, value)


SPEC = ActionSpec("Compose", compile, run)
