"""Why the gateway refused a request, for the caller and the log: keyless's own diagnostics, not APIM's.

A refusal the gateway makes itself (validate-jwt, check-header, a subscription key, a rate limit, no route...)
keeps Azure's status and body; keyless adds its explanation in the response header `x-keyless-reason` (one line,
ASCII) and logs one INFO line on `keyless.gateway` with the call's correlation id, so a workflow's run history,
the gateway and the identity service can be joined. The line never holds a token or a key: anything shaped like
a JWT, the presented subscription key and secret named values are masked.
"""

from __future__ import annotations

import logging
import re

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.state import RequestState

log = logging.getLogger("keyless.gateway")

REASON_HEADER = "x-keyless-reason"
# The caller's correlation id, as Logic Apps and Azure SDKs send it; else the gateway's own request id.
CORRELATION_HEADERS = ("x-ms-correlation-id", "x-ms-client-request-id")
MAX_LENGTH = 1000
MASK = "***"
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_ASCII = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2026": "...", "\u2018": "'", "\u2019": "'"})


def one_line(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` as a header value: one line, printable ASCII, bounded, with secrets and JWTs masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _JWT.sub(MASK, text)
    text = " ".join(text.translate(_ASCII).split())
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 3] + "..."


def correlation_id(headers: Headers, request_id: str) -> str:
    """The request's `x-ms-correlation-id` (or `x-ms-client-request-id`), else the gateway's request id."""
    for name in CORRELATION_HEADERS:
        value = headers.get(name)
        if value and value.strip():
            return one_line(value)[:200]
    return request_id


def explanation(state: RequestState) -> str | None:
    """`source: why` for the failure `state` recorded (None when the pipeline recorded none)."""
    error = state.last_error
    if error is None:
        return None
    why = state.explanation or error.message
    return f"{error.source}: {why}".rstrip(".")


def _secrets(state: RequestState) -> tuple[str, ...]:
    known = [state.subscription_key or ""]
    if state.snapshot is not None:
        known.extend(state.snapshot.secrets)
    return tuple(s for s in known if s)


def refused(state: RequestState, response: GatewayResponse, service: str) -> GatewayResponse:
    """Add `x-keyless-reason` and log the refusal when the gateway itself failed the request (status >= 400 with
    a recorded failure); a backend's own error passes through untouched."""
    why = explanation(state)
    if why is None or response.status < 400:
        return response
    reason = one_line(why, _secrets(state))
    response.headers.set(REASON_HEADER, reason)
    api = state.api.name if state.api is not None else "-"
    operation = state.operation.name if state.operation is not None else "-"
    log.info(
        "gateway refused: correlation=%s service=%s api=%s operation=%s status=%d reason=%s",
        correlation_id(state.request.headers, str(state.request_id)),
        service,
        api,
        operation,
        response.status,
        reason,
    )
    return response


def unrouted(
    response: GatewayResponse, service: str, method: str, path: str, headers: Headers, request_id: str
) -> GatewayResponse:
    """A request no API of the service matches (APIM's 404 before any pipeline runs)."""
    reason = one_line(f"routing: no API of service '{service}' matches {method} {path}")
    response.headers.set(REASON_HEADER, reason)
    log.info(
        "gateway refused: correlation=%s service=%s api=- operation=- status=%d reason=%s",
        correlation_id(headers, request_id),
        service,
        response.status,
        reason,
    )
    return response
