"""The per-request state the pipeline owns and policies read and change (0002 "the request state")."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from keyless.gateway.http_types import GatewayRequest, GatewayResponse

if TYPE_CHECKING:
    from keyless.gateway.snapshot import ApiRecord, OperationRecord, ProductRecord, Snapshot
    from keyless.gateway.subscriptions import SubscriptionRecord
    from keyless.gateway.trace import Trace


ResponseHook = Callable[[GatewayResponse], Awaitable[None]]


@dataclass
class GatewayServices:
    """What policies may call out to; one per gateway process, shared by every service's listener."""

    http: Any = None  # the pooled aiohttp ClientSession (proxy.BackendPool.session)
    tokens: Any = None  # keyless's TokenService
    identity: Any = None  # managed identities of the APIM service (authentication-managed-identity)
    openid: Any = None  # OpenID metadata + JWKS cache (validate-jwt)
    cache: Any = None  # the value cache (cache-*-value)
    counters: Any = None  # rate-limit / quota counters
    aliases: Any = None  # keyless.platform.hosts.HostAliases
    named_values: dict[str, str] = field(default_factory=dict)
    backends: Any = None  # proxy.BackendPool (forward-request)
    extra: dict[str, Any] = field(default_factory=dict)  # per-policy singletons, keyed by policy name


@dataclass(frozen=True)
class LastError:
    """`context.LastError` (APIM's ProxyError)."""

    source: str
    reason: str
    message: str
    scope: str | None = None
    section: str | None = None
    path: str | None = None
    policy_id: str | None = None


class RequestState:
    """One request on its way through the pipeline. Slots: created per request, keep it cheap."""

    __slots__ = (
        "_context",
        "_hooks",
        "_request_id",
        "api",
        "backend",
        "explanation",
        "last_error",
        "matched_parameters",
        "operation",
        "product",
        "request",
        "response",
        "section",
        "services",
        "snapshot",
        "started",
        "step",
        "stream_ok",
        "subscription",
        "subscription_key",
        "trace_log",
        "tracing",
        "user",
        "variables",
    )

    def __init__(
        self,
        request: GatewayRequest,
        services: GatewayServices,
        snapshot: Snapshot | None = None,
        *,
        trace_log: Trace | None = None,
    ) -> None:
        self.request = request
        self.response: GatewayResponse | None = None
        self.variables: dict[str, Any] = {}
        self.section = "inbound"
        self.services = services
        self.snapshot = snapshot
        self.api: ApiRecord | None = None
        self.operation: OperationRecord | None = None
        self.product: ProductRecord | None = None
        self.subscription: SubscriptionRecord | None = None
        self.subscription_key: str | None = None  # the key this request presented (`context.Subscription.Key`)
        self.user: Any = None
        self.matched_parameters: dict[str, str] = {}
        self.backend: str | None = None  # base URL or backend id chosen by set-backend-service
        self.last_error: LastError | None = None
        self.explanation = ""  # keyless's why of the last failure (PolicyError.explanation): x-keyless-reason
        self.stream_ok = False  # no outbound policy: forward-request may stream a large backend body through
        self.step: Any = None  # the compiled step running now (for LastError.Scope/Section/Path/PolicyId)
        self.trace_log = trace_log
        self.tracing = trace_log is not None
        self._hooks: list[ResponseHook] | None = None
        self._request_id: uuid.UUID | None = None
        self.started = time.monotonic()
        self._context: Any = None

    @property
    def request_id(self) -> uuid.UUID:
        """`context.RequestId` (and the 500 body's activityId); made on first use."""
        if self._request_id is None:
            self._request_id = uuid.uuid4()
        return self._request_id

    @property
    def timestamp(self) -> datetime:
        """`context.Timestamp`: when the gateway received the request (UTC)."""
        return datetime.now(UTC) - timedelta(seconds=time.monotonic() - self.started)

    @property
    def context(self) -> Any:
        """The `context` object policy expressions see; built on first use (most requests never need it)."""
        if self._context is None:
            from keyless.gateway.context import Context

            self._context = Context(self)
        return self._context

    def on_response(self, hook: ResponseHook) -> None:
        """Run `hook(final_response)` once the response is final (after outbound and on-error): where
        rate-limit and quota count and cors adds its headers. Hooks run in registration order."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)

    @property
    def response_hooks(self) -> list[ResponseHook]:
        return self._hooks or []

    def trace(self, source: str, data: Any) -> None:
        """Add a trace entry for the current section (no-op unless the request is traced)."""
        if self.trace_log is not None:
            self.trace_log.add(self.section, source, data, time.monotonic() - self.started)

    def ensure_response(self) -> GatewayResponse:
        """`context.Response` before the backend answered: APIM's default 200 with no body."""
        if self.response is None:
            self.response = GatewayResponse(200, reason="OK")
        return self.response
