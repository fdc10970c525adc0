"""keyless's why of a refused outbound call: the gateway's `x-keyless-reason`, in the action's error and the log.

When keyless's API Management gateway refuses a call itself, its response keeps Azure's status and body and adds
`x-keyless-reason` (one line, no secrets). The Http action's `error.message` ends with `keyless: <reason>`, and one
INFO line on `keyless.workflows` carries the run's correlation id (the `x-ms-correlation-id` the run host sends), so
the workflow's, the gateway's and the identity service's lines of one call are joined by it. No token, no body.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from keyless.workflows.host import HttpRequest, HttpResponse

log = logging.getLogger("keyless.workflows")

REASON_HEADER = "x-keyless-reason"
MAX_LENGTH = 1000


def keyless_reason(headers: Mapping[str, Any] | Iterable[tuple[str, str]] | None) -> str | None:
    """The one-line `x-keyless-reason` of a response (headers as a dict or as pairs), or None."""
    if headers is None:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    for name, value in pairs:
        if str(name).lower() == REASON_HEADER:
            line = " ".join(str(value).split())
            if line:
                return line if len(line) <= MAX_LENGTH else line[: MAX_LENGTH - 3] + "..."
    return None


def correlation_id(host: Any, request: HttpRequest) -> str:
    """The run's correlation id: what the run host adds as `x-ms-correlation-id`, else the request's own ids."""
    extra = getattr(host, "correlation_headers", None)
    headers: dict[str, str] = {}
    if callable(extra):
        try:
            headers.update({k.lower(): v for k, v in extra().items()})
        except Exception:  # diagnostics never fail a call
            headers = {}
    headers.update({k.lower(): v for k, v in request.headers.items()})
    for name in ("x-ms-correlation-id", "x-ms-workflow-run-tracking-id", "x-ms-client-request-id"):
        if headers.get(name):
            return headers[name]
    return "-"


def log_refusal(host: Any, request: HttpRequest, response: HttpResponse) -> None:
    """One INFO line when the response carries keyless's reason (a gateway refusal)."""
    reason = keyless_reason(response.headers)
    if reason is None:
        return
    context = getattr(host, "context", None)
    operation = next((v for k, v in request.headers.items() if k.lower() == "x-ms-workflow-operation-name"), "-")
    parts = urlsplit(request.url)  # without the query: it may hold a SAS signature
    log.info(
        "http call refused: correlation=%s workflow=%s run=%s action=%s request=%s %s://%s%s status=%d reason=%s",
        correlation_id(host, request),
        getattr(context, "workflow_name", "-"),
        getattr(context, "run_name", "-"),
        operation,
        request.method,
        parts.scheme,
        parts.netloc,
        parts.path,
        response.status,
        reason,
    )
