"""azure-openai-token-limit: limit language-model tokens per key per minute (429) and/or per quota period (403)."""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayResponse
from keyless.gateway.policies.azure_openai_emit_token_metric import usage_of
from keyless.gateway.policy import CompileContext, PolicyError, PolicySpec, RequestState, Value
from keyless.gateway.throttling import (
    after_response,
    bool_constant,
    check_attributes,
    check_children,
    gateway_error,
    int_value,
    no_expression,
    required,
    service_key,
    timespan,
    to_int,
)

NAME = "azure-openai-token-limit"
OUTPUTS = (
    "retry-after-header-name",
    "retry-after-variable-name",
    "remaining-quota-tokens-header-name",
    "remaining-quota-tokens-variable-name",
    "remaining-tokens-header-name",
    "remaining-tokens-variable-name",
    "tokens-consumed-header-name",
    "tokens-consumed-variable-name",
)
# The docs spell it `estimate-prompt-tokens`; Microsoft's policy toolkit writes `estimate-prompt-token`, so
# documents it produced use that spelling. Either is read; giving both is refused.
ESTIMATE = ("estimate-prompt-tokens", "estimate-prompt-token")
ATTRIBUTES = ("counter-key", "tokens-per-minute", "token-quota", "token-quota-period", *ESTIMATE, *OUTPUTS)
# The documented periods (Hourly | Daily | Weekly | Monthly | Yearly); the toolkit's own documents use the
# singular nouns (`day`), read as the same period.
PERIODS = {
    "hourly": "Hourly",
    "hour": "Hourly",
    "daily": "Daily",
    "day": "Daily",
    "weekly": "Weekly",
    "week": "Weekly",
    "monthly": "Monthly",
    "month": "Monthly",
    "yearly": "Yearly",
    "year": "Yearly",
}
MINUTE = 60


@dataclass(frozen=True)
class Config:
    counter_key: Value
    tokens_per_minute: Value | None
    token_quota: Value | None
    quota_period: str | None
    estimate: bool
    outputs: dict[str, str]  # attribute name -> header/variable name, for those given


def compile_token_limit(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ATTRIBUTES)
    check_children(ctx, element, ())
    name = element.name
    counter_key = ctx.value(element, required(ctx, element, "counter-key"), attribute="counter-key")
    tpm_raw, quota_raw = element.attrs.get("tokens-per-minute"), element.attrs.get("token-quota")
    if tpm_raw is None and quota_raw is None:
        raise ctx.error(element, f"'{name}' needs 'tokens-per-minute', 'token-quota' or both.", "tokens-per-minute")
    tpm = None if tpm_raw is None else int_value(ctx, element, "tokens-per-minute", tpm_raw, minimum=0)
    quota = None if quota_raw is None else int_value(ctx, element, "token-quota", quota_raw, minimum=0)
    period_raw = no_expression(ctx, element, "token-quota-period")
    if quota is not None and period_raw is None:
        raise ctx.error(element, f"'token-quota' of '{name}' needs 'token-quota-period'.", "token-quota-period")
    if quota is None and period_raw is not None:
        raise ctx.error(element, f"'token-quota-period' of '{name}' needs 'token-quota'.", "token-quota-period")
    period = None
    if period_raw is not None:
        period = PERIODS.get(period_raw.strip().lower())
        if period is None:
            raise ctx.error(
                element,
                f"Attribute 'token-quota-period' of '{name}' must be Hourly, Daily, Weekly, Monthly or Yearly, "
                f"not '{period_raw}'.",
                "token-quota-period",
            )
    given = [a for a in ESTIMATE if a in element.attrs]
    if not given:
        raise ctx.error(element, f"Attribute 'estimate-prompt-tokens' of '{name}' is required.", ESTIMATE[0])
    if len(given) > 1:
        raise ctx.error(element, f"Give 'estimate-prompt-tokens' of '{name}' once.", ESTIMATE[1])
    estimate = bool_constant(ctx, element, given[0], element.attrs[given[0]], False)
    outputs: dict[str, str] = {}
    for attribute in OUTPUTS:
        raw = no_expression(ctx, element, attribute)
        if raw is None:
            continue
        if not raw.strip():
            raise ctx.error(element, f"Attribute '{attribute}' of '{name}' must not be empty.", attribute)
        outputs[attribute] = raw.strip()
    for attribute in ("remaining-quota-tokens-header-name", "remaining-quota-tokens-variable-name"):
        if attribute in outputs and quota is None:
            raise ctx.error(element, f"'{attribute}' of '{name}' needs 'token-quota'.", attribute)
    return Config(counter_key, tpm, quota, period, estimate, outputs)


# --- prompt estimate --------------------------------------------------------------------------------------
# keyless's estimate: OpenAI's rule of thumb of one token per 4 characters of text (rounded up per text), plus
# OpenAI's chat overhead of 3 tokens per message and 3 to prime the reply. Azure uses the model's tokenizer.
CHARS_PER_TOKEN = 4
PER_MESSAGE = 3
REPLY_PRIMING = 3


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _texts(value: Any) -> list[str]:
    """The text in a content value: a string, a list of strings, or a list of parts with `text`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, dict) and isinstance(item.get("text"), str):
                out.append(item["text"])
        return out
    return []


def estimate_prompt(body: Any) -> int:
    """Estimated prompt tokens of a chat completions, completions, responses or embeddings request body."""
    if not isinstance(body, dict):
        return 0
    messages = body.get("messages")
    if isinstance(messages, list):
        total = REPLY_PRIMING
        for message in messages:
            if isinstance(message, dict):
                total += PER_MESSAGE + sum(text_tokens(t) for t in _texts(message.get("content")))
        return total
    for member in ("prompt", "input"):
        if member in body:
            value = body[member]
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                # Responses API input items carry `content` like chat messages.
                return sum(PER_MESSAGE + sum(text_tokens(t) for t in _texts(v.get("content"))) for v in value)
            return sum(text_tokens(t) for t in _texts(value))
    return 0


def request_json(state: RequestState) -> Any:
    body = state.request.body
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def streamed_completion(response: GatewayResponse) -> int:
    """Estimated completion tokens of a streamed answer: the text of its `delta` chunks."""
    tokens = 0
    for line in (response.body or b"").decode("utf-8", errors="replace").splitlines():
        if not line.startswith("data:") or line[5:].strip() in ("", "[DONE]"):
            continue
        try:
            chunk = json.loads(line[5:])
        except ValueError:
            continue
        for choice in chunk.get("choices") or [] if isinstance(chunk, dict) else []:
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if isinstance(delta, dict) and isinstance(delta.get("content"), str):
                tokens += text_tokens(delta["content"])
    return tokens


# --- quota periods ----------------------------------------------------------------------------------------


def period_bounds(period: str, now: float) -> tuple[float, float]:
    """[INF] Calendar periods in UTC (hour, midnight, Monday, the 1st, 1 January): start and length."""
    t = time.gmtime(now)
    if period == "Hourly":
        start = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, 0, 0))
        return start, 3600.0
    day = calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))
    if period == "Daily":
        return day, 86400.0
    if period == "Weekly":
        return day - t.tm_wday * 86400, 7 * 86400.0
    if period == "Monthly":
        start = calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0))
        end = calendar.timegm((t.tm_year + t.tm_mon // 12, t.tm_mon % 12 + 1, 1, 0, 0, 0))
        return start, float(end - start)
    start = calendar.timegm((t.tm_year, 1, 1, 0, 0, 0))
    return start, float(calendar.timegm((t.tm_year + 1, 1, 1, 0, 0, 0)) - start)


# --- run --------------------------------------------------------------------------------------------------


def limit_message(seconds: int) -> str:
    # [INF] APIM's wording for a token rate limit, in the shape of rate-limit's message.
    return f"Token limit is exceeded. Try again in {seconds} seconds."


def quota_message(seconds: float) -> str:
    # [INF] APIM's wording for a token quota, in the shape of quota's message.
    return f"Token quota is exceeded. Quota will be replenished in {timespan(seconds)}."


def refuse(state: RequestState, policy: str, cfg: Config, status: int, seconds: int, message: str) -> PolicyError:
    header = cfg.outputs.get("retry-after-header-name", "Retry-After")
    variable = cfg.outputs.get("retry-after-variable-name")
    if variable:
        state.variables[variable] = seconds
    state.response = gateway_error(status, message, [(header, str(seconds))])
    state.trace(policy, {"message": message, "retryAfter": seconds})
    reason = "TokenLimitExceeded" if status == 429 else "TokenQuotaExceeded"  # [INF] LastError reason
    return PolicyError(policy, reason, message)


async def run_token_limit(policy: str, cfg: Config, state: RequestState) -> None:
    counters = state.services.counters
    digest = hashlib.sha256(str(cfg.counter_key.get(state) or "").encode()).hexdigest()
    # One counter per key for every scope the policy is configured at (the docs), shared by both policy names.
    key = service_key(state, "token-limit", digest)
    tpm = (
        None
        if cfg.tokens_per_minute is None
        else to_int(policy, "tokens-per-minute", cfg.tokens_per_minute.get(state), 0)
    )
    quota = None if cfg.token_quota is None else to_int(policy, "token-quota", cfg.token_quota.get(state), 0)
    body = request_json(state)
    streamed = isinstance(body, dict) and body.get("stream") is True
    # A streamed request's prompt is always estimated (the docs): its usage is usually not reported.
    estimated = estimate_prompt(body) if cfg.estimate or streamed else 0
    remaining: int | None = None
    if tpm is not None:
        decision = await counters.rate_peek(f"{key}|tpm", tpm, MINUTE, estimated)
        if not decision.allowed:
            raise refuse(state, policy, cfg, 429, decision.retry_after, limit_message(decision.retry_after))
        remaining = max(0, decision.remaining - estimated)
    quota_key = start = length = None
    remaining_quota: int | None = None
    if quota is not None and cfg.quota_period is not None:
        start, length = period_bounds(cfg.quota_period, time.time())
        quota_key = f"{key}|quota|{cfg.quota_period}|{int(start)}"  # a new cell each calendar period
        usage = await counters.quota_usage(quota_key, length, start)
        if usage.calls >= quota or usage.calls + estimated > quota:
            renews = max(1, math.ceil(usage.renews_in or length))
            raise refuse(state, policy, cfg, 403, renews, quota_message(renews))
        remaining_quota = max(0, quota - usage.calls - estimated)
    out = cfg.outputs
    if "remaining-tokens-variable-name" in out and remaining is not None:
        state.variables[out["remaining-tokens-variable-name"]] = remaining
    if "remaining-quota-tokens-variable-name" in out and remaining_quota is not None:
        state.variables[out["remaining-quota-tokens-variable-name"]] = remaining_quota
    if "tokens-consumed-variable-name" in out:
        state.variables[out["tokens-consumed-variable-name"]] = estimated
    state.stream_ok = False  # type: ignore[attr-defined]  # the usage is read from the buffered body

    async def count(response: GatewayResponse) -> None:
        usage = usage_of(response) if response.stream is None else None
        if usage is not None:
            consumed = usage["total_tokens"]
        elif streamed and 200 <= response.status < 300:
            consumed = estimated + streamed_completion(response)
        elif 200 <= response.status < 300:
            consumed = estimated
        else:
            consumed = 0  # a refused or failed call consumed no model tokens
        left, left_quota = remaining, remaining_quota
        if tpm is not None:
            used = await counters.rate_add(f"{key}|tpm", MINUTE, consumed)
            left = max(0, tpm - used)
        if quota_key is not None and quota is not None and start is not None and length is not None:
            cell = await counters.quota_add(quota_key, length, start, consumed, 0.0)
            left_quota = max(0, quota - cell.calls)
        if "tokens-consumed-variable-name" in out:
            state.variables[out["tokens-consumed-variable-name"]] = consumed
        if "tokens-consumed-header-name" in out and (usage is not None or 200 <= response.status < 300):
            response.headers.set(out["tokens-consumed-header-name"], str(consumed))
        if "remaining-tokens-header-name" in out and left is not None:
            response.headers.set(out["remaining-tokens-header-name"], str(left))
        if "remaining-quota-tokens-header-name" in out and left_quota is not None:
            response.headers.set(out["remaining-quota-tokens-header-name"], str(left_quota))
        state.trace(policy, {"message": "Tokens counted.", "consumed": consumed, "remaining": left})

    after_response(state, policy, count)


async def run(cfg: Config, state: RequestState) -> None:
    await run_token_limit(NAME, cfg, state)


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_token_limit, run)
