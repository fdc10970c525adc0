"""How an Http call ended, as the action's record: outputs `{statusCode, headers, body}`, status and code (2xx
Succeeded with the .NET status name, other statuses Failed with outputs kept, no response Failed, limit reached
TimedOut), and an `error` that says why in one line (reference §3.1, §4.2)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from keyless.workflows.actions.base import Outcome
from keyless.workflows.outbound.content import body_present, decode_body, decompress
from keyless.workflows.outbound.diagnostics import keyless_reason
from keyless.workflows.outbound.exchange import NO_RESPONSE_CODE, CallResult, no_response_message
from keyless.workflows.outbound.headers import find, response_headers, status_name
from keyless.workflows.records import FAILED, SUCCEEDED, TIMED_OUT

TIMED_OUT_CODE = "ActionTimedOut"


def response_outputs(result: CallResult) -> dict[str, Any] | None:
    """`{statusCode, headers, body}` of the last response (None when there was none). gzip/deflate bodies are
    decompressed as .NET's automatic decompression does, which also drops Content-Encoding and Content-Length."""
    response = result.response
    if response is None:
        return None
    headers = response_headers(response.headers)
    body = response.body
    encoding = find(headers, "Content-Encoding")
    if encoding is not None and body:
        plain = decompress(body, encoding)
        if plain is not None:
            body = plain
            headers = {k: v for k, v in headers.items() if k.lower() not in ("content-encoding", "content-length")}
    content_type = find(headers, "Content-Type")
    outputs: dict[str, Any] = {"statusCode": response.status, "headers": headers}
    if body_present(body, content_type):
        outputs["body"] = decode_body(body, content_type)
    return outputs


def action_outcome(result: CallResult, inputs: dict[str, Any], method: str, url: str, action_name: str) -> Outcome:
    """The record of the call; `inputs` are the action's inputs as history shows them (secrets sanitized)."""
    outputs = response_outputs(result)
    history = result.history or None
    target = _target(method, url)
    if result.timed_out:
        # The interpreter's own wall-clock limit words it the same way (scheduler.py).
        message = f"The execution of template action '{action_name}' is timed out: it exceeded its 'limit.timeout'."
        return Outcome(
            TIMED_OUT,
            TIMED_OUT_CODE,
            inputs=inputs,
            outputs=outputs,
            has_outputs=outputs is not None,
            error={"code": TIMED_OUT_CODE, "message": message},
            retry_history=history,
        )
    if outputs is None:
        message = f"{no_response_message(result.failure or '')} ({target}{_after(result)})"
        return Outcome(
            FAILED,
            NO_RESPONSE_CODE,
            inputs=inputs,
            has_outputs=False,
            error={"code": NO_RESPONSE_CODE, "message": message},
            retry_history=history,
        )
    status = outputs["statusCode"]
    code = status_name(status)
    if 200 <= status <= 299:
        return Outcome(SUCCEEDED, code, inputs=inputs, outputs=outputs, retry_history=history)
    message = f"The {target} returned {status} ({code}){_after(result)}."
    reason = _reason(outputs.get("body"))
    if reason:
        message = f"{message[:-1]}: {reason}"
    why = keyless_reason(outputs["headers"])
    if why:  # keyless's gateway said why it refused: the run history says it too, on the same line
        message = f"{message if message.endswith('.') else message + '.'} keyless: {why}"
    return Outcome(
        FAILED, code, inputs=inputs, outputs=outputs, error={"code": code, "message": message}, retry_history=history
    )


def _target(method: str, url: str) -> str:
    parts = urlsplit(url)  # without the query: it may hold a SAS signature
    return f"request {method} {parts.scheme}://{parts.netloc}{parts.path}"


def _after(result: CallResult) -> str:
    retries = len(result.history)
    return f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""


def _reason(body: Any) -> str | None:
    """The message an API put in its error body: API Management's `{statusCode, message}` or Azure's
    `{error: {code, message}}`, so a 401 from a gateway says why (one line, bounded)."""
    message = None
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            message = body["message"]
        elif isinstance(body.get("error"), dict) and isinstance(body["error"].get("message"), str):
            message = body["error"]["message"]
    if not message:
        return None
    line = " ".join(message.split())
    return line if len(line) <= 500 else line[:497] + "..."
