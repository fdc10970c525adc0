"""llm-emit-token-metric: emit the prompt, completion and total tokens an LLM (OpenAI-shaped) response reports."""

from __future__ import annotations

from keyless.gateway.policies.azure_openai_emit_token_metric import Config, compile_token_metric, run_token_metric
from keyless.gateway.policy import PolicySpec, RequestState

NAME = "llm-emit-token-metric"


async def run(cfg: Config, state: RequestState) -> None:
    await run_token_metric(NAME, cfg, state)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_token_metric, run)
