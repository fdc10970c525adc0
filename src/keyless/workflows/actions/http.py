"""Http: one outbound HTTP call with Logic Apps' authentication types, retry policy, asynchronous 202 polling,
`limit.timeout` and outputs `{statusCode, headers, body}` (reference §3.1). ManagedServiceIdentity tokens come
from keyless's identity service through the run host.

The pieces live in `workflows/outbound/`; this module checks the definition and assembles the call.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from keyless.platform.errors import KeylessError
from keyless.workflows.actions._results import failed, inputs_of, required
from keyless.workflows.actions.base import ActionSpec, Compiled, Outcome
from keyless.workflows.durations import parse_duration
from keyless.workflows.host import HttpRequest
from keyless.workflows.outbound import auth, polling
from keyless.workflows.outbound.content import encode_body, to_json
from keyless.workflows.outbound.exchange import NO_RESPONSE_CODE, Budget, Rng, call
from keyless.workflows.outbound.headers import find, is_dropped
from keyless.workflows.outbound.outcome import action_outcome
from keyless.workflows.outbound.retry import RetryPolicy, RetryPolicyError, parse_policy

TYPE = "Http"
# In the order run-history inputs list them (a real run shows uri, method, headers, body).
INPUT_FIELDS = ("uri", "method", "headers", "queries", "body", "cookie", "authentication", "retryPolicy")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE")
OPERATION_OPTIONS = {"disableasyncpattern": "DisableAsyncPattern", "suppressworkflowheaders": "SuppressWorkflowHeaders"}
USER_AGENT = "azure-logic-apps/1.0"


@dataclass(frozen=True)
class Config:
    inputs: dict[str, Compiled]  # the fields present, compiled one by one
    disable_async: bool = False
    suppress_headers: bool = False
    timeout: float | None = None  # limit.timeout in seconds
    rng: Rng = field(default=random.uniform, compare=False)  # tests pass a fixed draw


def _constant(compiled: Compiled) -> tuple[bool, Any]:
    return (True, compiled.evaluate(None)) if compiled.is_constant else (False, None)


def compile(spec: dict[str, Any], ctx: Any) -> Config:
    raw = inputs_of(spec, ctx)
    for key in raw:
        if key not in INPUT_FIELDS:
            raise ctx.error(
                f"inputs.{key}", f"The Http input '{key}' is not supported; expected {', '.join(INPUT_FIELDS)}."
            )
    required(raw, "method", ctx, TYPE)
    required(raw, "uri", ctx, TYPE)
    inputs = {key: ctx.value(value, f"inputs.{key}") for key, value in raw.items()}
    checks = {"method": _method, "uri": _uri, "authentication": _authentication, "retryPolicy": _retry_policy}
    for key, check in checks.items():
        if key in inputs:
            known, value = _constant(inputs[key])
            problem = check(value) if known else None
            if problem is not None:
                sub, message = problem
                raise ctx.error(f"inputs.{key}{'.' + sub if sub else ''}", message)
    options = _operation_options(spec.get("operationOptions"), ctx)
    return Config(
        inputs,
        disable_async="DisableAsyncPattern" in options,
        suppress_headers="SuppressWorkflowHeaders" in options,
        timeout=_limit_timeout(spec.get("limit"), ctx),
    )


def _operation_options(raw: Any, ctx: Any) -> set[str]:
    if raw is None:
        return set()
    if not isinstance(raw, str):
        raise ctx.error("operationOptions", "The 'operationOptions' must be a comma-separated string.")
    options = set()
    for name in filter(None, (part.strip() for part in raw.split(","))):
        canonical = OPERATION_OPTIONS.get(name.lower())
        if canonical is None:
            expected = ", ".join(OPERATION_OPTIONS.values())
            raise ctx.error(
                "operationOptions", f"The operation option '{name}' is not supported for Http; expected {expected}."
            )
        options.add(canonical)
    return options


def _limit_timeout(raw: Any, ctx: Any) -> float | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ctx.error("limit", "The 'limit' must be an object.")
    for key in raw:
        if key != "timeout":
            raise ctx.error(f"limit.{key}", f"The limit '{key}' is not supported for Http; only 'timeout' is.")
    seconds = parse_duration(raw.get("timeout"))
    if seconds is None or seconds <= 0:
        raise ctx.error("limit.timeout", f"The limit timeout '{raw.get('timeout')}' is not an ISO 8601 duration.")
    return seconds


# --------------------------------------------------------------------------------------------- value checks
# Each returns None when the value is fine, else (sub-path, message); used at save time on constants and at run
# time on evaluated values.
def _method(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or value.upper() not in METHODS:
        return "", f"The HTTP method '{value}' is not supported; expected one of {', '.join(METHODS)}."
    return None


def _uri(value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return "", f"The 'uri' must be a string, not {type(value).__name__}."
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "", f"The 'uri' '{value}' must be an absolute http or https URI."
    return None


def _authentication(value: Any) -> tuple[str, str] | None:
    try:
        auth.validate(value)
    except auth.AuthenticationError as exc:
        return exc.field, str(exc)
    return None


def _retry_policy(value: Any) -> tuple[str, str] | None:
    try:
        parse_policy(value)
    except RetryPolicyError as exc:
        return exc.field, str(exc)
    return None


# ----------------------------------------------------------------------------------------------------- run
@dataclass
class _Call:
    """The evaluated inputs, ready to send."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    authentication: dict[str, Any] | None
    policy: RetryPolicy
    recorded: dict[str, Any]  # the action's `inputs` in the run history (secrets sanitized)


class _InvalidInputs(Exception):
    pass


def _text(value: Any) -> str:
    return value if isinstance(value, str) else to_json(value)


def _prepare(values: dict[str, Any]) -> _Call:
    for key, check in (("method", _method), ("uri", _uri), ("authentication", _authentication)):
        if key in values:
            problem = check(values[key])
            if problem is not None:
                raise _InvalidInputs(problem[1])
    try:
        policy = parse_policy(values.get("retryPolicy"))
    except RetryPolicyError as exc:
        raise _InvalidInputs(str(exc)) from None
    for key in ("headers", "queries"):
        if values.get(key) is not None and not isinstance(values[key], dict):
            raise _InvalidInputs(f"The Http '{key}' must be an object.")
    headers = {str(k): _text(v) for k, v in (values.get("headers") or {}).items() if v is not None}
    try:
        body, content_type = encode_body(values.get("body"), headers)
    except ValueError as exc:
        raise _InvalidInputs(str(exc)) from None
    sent = {k: v for k, v in headers.items() if not is_dropped(k)}
    if content_type is not None and body is not None and find(sent, "Content-Type") is None:
        sent["Content-Type"] = content_type
    if values.get("cookie") is not None:
        sent["Cookie"] = _text(values["cookie"])
    url = values["uri"]
    queries = values.get("queries") or {}
    if any(v is not None for v in queries.values()):
        pairs = [(str(k), _text(v)) for k, v in queries.items() if v is not None]
        encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        url += ("&" if urlsplit(url).query else ("" if url.endswith("?") else "?")) + encoded
    return _Call(values["method"].upper(), url, sent, body, values.get("authentication"), policy, _recorded(values))


def _recorded(values: dict[str, Any]) -> dict[str, Any]:
    """The inputs as run history shows them: secrets of `authentication` and an Authorization header written in
    `headers` appear as `*sanitized*` (both seen in real runs)."""
    recorded = {key: values[key] for key in INPUT_FIELDS if key in values}
    if "authentication" in recorded:
        recorded["authentication"] = auth.sanitized(recorded["authentication"])
    if isinstance(recorded.get("headers"), dict):
        recorded["headers"] = {
            k: (auth.SANITIZED if k.lower() == "authorization" else v) for k, v in recorded["headers"].items()
        }
    return recorded


def _workflow_headers(ctx: Any) -> dict[str, str]:
    # The run host adds the run's correlation headers (x-ms-workflow-run-id, ...); the action adds its own name.
    return {"x-ms-workflow-operation-name": ctx.action_name}


async def run(config: Config, ctx: Any) -> Outcome:
    values = {key: ctx.evaluate(compiled) for key, compiled in config.inputs.items()}
    try:
        prepared = _prepare(values)
    except _InvalidInputs as exc:
        return failed("BadRequest", str(exc), inputs=_recorded(values))
    workflow_headers = {} if config.suppress_headers else _workflow_headers(ctx)

    async def build(method: str, url: str, body: bytes | None, base: dict[str, str]) -> HttpRequest:
        headers = dict(base)
        for name, value in workflow_headers.items():
            headers.setdefault(name, value)
        if not config.suppress_headers and find(headers, "x-ms-client-request-id") is None:
            headers["x-ms-client-request-id"] = str(uuid.uuid4())  # per attempt, as retryHistory shows
        if find(headers, "User-Agent") is None:
            headers["User-Agent"] = USER_AGENT
        request = HttpRequest(method, url, headers, body)
        if prepared.authentication is not None:
            await auth.apply(prepared.authentication, request, ctx.host)
        return request

    budget = Budget(config.timeout)
    try:
        result = await call(
            ctx.host,
            lambda: build(prepared.method, prepared.url, prepared.body, prepared.headers),
            prepared.policy,
            budget,
            config.rng,
        )
        if not config.disable_async:
            poll_headers = {k: v for k, v in prepared.headers.items() if k.lower() != "content-type"}
            result = await polling.follow(
                ctx.host,
                result,
                prepared.url,
                lambda url: build("GET", url, None, poll_headers),
                prepared.policy,
                budget,
                config.rng,
            )
    except auth.AuthenticationError as exc:
        return failed("BadRequest", str(exc), inputs=prepared.recorded)
    except KeylessError as exc:  # a token the identity service refused to issue
        oauth = str((prepared.authentication or {}).get("type", "")).lower() == "activedirectoryoauth"
        what = "AD OAuth token" if oauth else "managed identity token"
        message = f"Http request failed as there is an error getting {what}: '{exc.message}'."
        return failed(NO_RESPONSE_CODE, message, inputs=prepared.recorded)
    return action_outcome(result, prepared.recorded, prepared.method, prepared.url, ctx.action_name)


SPEC = ActionSpec(TYPE, compile, run, durable=True)
