"""llm-token-limit: limit language-model tokens per key per minute (429) and/or per quota period (403)."""

from __future__ import annotations

from keyless.gateway.policies.azure_openai_token_limit import Config, compile_token_limit, run_token_limit
from keyless.gateway.policy import PolicySpec, RequestState

NAME = "llm-token-limit"


async def run(cfg: Config, state: RequestState) -> None:
    await run_token_limit(NAME, cfg, state)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_token_limit, run)
