"""The gateway listeners: one raw-ASGI app per APIM service (its own origin, like `{name}.azure-api.net`).

Request path: route (404), subscription check (401), the effective plan of (operation, product), the
pipeline, the response. No framework routing on the hot path; the snapshot is read once per request, so a
swap never splits a request between two configurations.
"""

from __future__ import annotations

import contextlib
import json
import logging
import ssl
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from keyless.gateway._server import GatewayListener
from keyless.gateway.compiler import StepList
from keyless.gateway.diagnostics import refused, unrouted
from keyless.gateway.http_types import GatewayRequest, GatewayResponse, Headers, Url
from keyless.gateway.pipeline import builtin_error, execute, finish, gateway_error, handle_error
from keyless.gateway.policies.cross_domain import PATH as CROSS_DOMAIN_PATH
from keyless.gateway.policies.cross_domain import answer as cross_domain_file
from keyless.gateway.policy import STOP, PolicyError
from keyless.gateway.proxy import BackendPool
from keyless.gateway.snapshot import ApiRecord, Snapshot
from keyless.gateway.state import GatewayServices, RequestState
from keyless.gateway.subscriptions import authorize, find_key, www_authenticate
from keyless.gateway.trace import TRACE_PATH, Trace, TraceStore, header_list

log = logging.getLogger("keyless.gateway")

NOT_FOUND = "Resource not found"
OPERATION_NOT_FOUND = "Unable to match incoming request to an operation."
_SKIP_OUT = frozenset({b"content-length", b"transfer-encoding", b"connection", b"keep-alive"})


def parse_query(raw: bytes) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    if raw:
        for k, v in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
            query.setdefault(k, []).append(v)
    return query


def backend_url(api: ApiRecord, remainder: str, query: dict[str, list[str]]) -> Url:
    """serviceUrl + the path after the API's path + the full incoming query (apim.md §7)."""
    base = api.service_url
    if base is None:
        return Url("http", "", 80, remainder or "/", {k: list(v) for k, v in query.items()})
    path = base.path.rstrip("/") + remainder
    return Url(base.scheme, base.host, base.port, path or "/", {k: list(v) for k, v in query.items()})


class GatewayService:
    """The gateway of one APIM service, as an ASGI app."""

    def __init__(self, name: str, snapshot: Snapshot, services: GatewayServices, traces: TraceStore | None = None):
        self.name = name
        self.snapshot = snapshot
        self.services = services
        self.traces = traces or TraceStore()

    def swap(self, snapshot: Snapshot) -> None:
        """Serve `snapshot` from the next request on (requests in flight keep theirs)."""
        self.snapshot = snapshot

    async def respond(
        self, method: str, target: str, header_items: list[tuple[str, str]], body: bytes, client_ip: str
    ) -> GatewayResponse:
        """One HTTP request (as the listener parsed it) to its response; never raises."""
        headers = Headers(header_items)
        path, _, query_string = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        try:
            return await self.handle(
                method,
                "http",
                headers.get("host") or "127.0.0.1",
                path,
                query_string.encode("latin-1"),
                headers,
                body,
                client_ip,
            )
        except Exception:  # the pipeline already answers policy failures; this is a keyless bug
            log.exception("gateway %s: unhandled failure", self.name)
            return gateway_error(500, "Internal server error", "Internal Server Error", str(uuid.uuid4()))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The same gateway as an ASGI app (for hosting it in an ASGI server)."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":  # the client left before sending its whole body
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        items = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1").split("?", 1)[0]
        query = scope.get("query_string", b"").decode("latin-1")
        client = scope.get("client")
        response = await self.respond(
            scope["method"], f"{path}?{query}" if query else path, items, body, client[0] if client else ""
        )
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        # CR/LF in a policy-made header would split the response: such a header is not sent
        out = [(k, v) for k, v in out if k.lower() not in _SKIP_OUT and b"\n" not in v and b"\r" not in v]
        if response.stream is not None:
            await self._stream(response, out, send)
            return
        out.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": out})
        await send({"type": "http.response.body", "body": response.body})

    @staticmethod
    async def _stream(response: GatewayResponse, out: list[tuple[bytes, bytes]], send: Any) -> None:
        """Copy a backend body the pipeline did not need straight to the client."""
        upstream = response.stream
        length = response.headers.get("Content-Length")
        if length is not None:
            out.append((b"content-length", length.encode("latin-1")))
        try:
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            async for chunk in upstream:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            upstream.release()

    async def handle(
        self,
        method: str,
        scheme: str,
        host_header: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        body: bytes,
        client_ip: str,
    ) -> GatewayResponse:
        """One request through routing, the subscription check and the pipeline."""
        if path.startswith(TRACE_PATH) and method == "GET":
            return self.trace_document(path[len(TRACE_PATH) :])
        snap = self.snapshot
        if path == CROSS_DOMAIN_PATH:  # the global cross-domain policy's file, before any API is routed
            policy_file = cross_domain_file(snap, method, path)
            if policy_file is not None:
                return policy_file
        query = parse_query(query_string)
        host, _, port_text = host_header.rpartition(":") if host_header.count(":") == 1 else (host_header, "", "")
        port = int(port_text) if port_text.isdigit() else (443 if scheme == "https" else 80)
        original = Url(scheme, host or host_header, port, path or "/", query)
        api, operation, params, remainder = snap.router.match(method, path, query, headers)
        if api is None:
            return unrouted(
                gateway_error(404, NOT_FOUND, "Not Found"), self.name, method, path, headers, str(uuid.uuid4())
            )
        request = GatewayRequest(method, backend_url(api, remainder, query), original, headers, body, client_ip)
        trace = Trace() if headers.get("Ocp-Apim-Trace", "").lower() == "true" else None
        state = RequestState(request, self.services, snap, trace_log=trace)
        state.api = api
        if operation is None and method == "OPTIONS" and "Access-Control-Request-Method" in headers:
            preflight = await self._preflight(snap, state, path, query)
            if preflight is not None:
                return preflight
        if operation is None:
            plan = snap.plan(api, None, None)
            response = await builtin_error(
                plan,
                state,
                "configuration",
                "OperationNotFound",
                OPERATION_NOT_FOUND,
                gateway_error(404, NOT_FOUND),
                f"no operation of API '{api.name}' matches {method} {path}",
            )
            return refused(state, await finish(state, response), self.name)
        state.operation = operation
        state.matched_parameters = params
        key = find_key(api, headers, query)
        access = authorize(snap, api, key)
        if trace is not None and (access.subscription is None or not access.subscription.allow_tracing):
            trace = state.trace_log = None
            state.tracing = False
        if access.reason is not None:
            refusal = gateway_error(401, access.message, "Access Denied")
            base = f"{original.scheme}://{original.authority}"
            refusal.headers.set("WWW-Authenticate", www_authenticate(api, base))
            response = await builtin_error(
                snap.plan(api, operation, None),
                state,
                "authorization",
                access.reason,
                access.message,
                refusal,
                access.explanation,
            )
            return refused(state, await finish(state, response), self.name)
        state.subscription = access.subscription
        state.subscription_key = access.key
        state.product = access.product
        plan = snap.plan(api, operation, access.product)
        state.stream_ok = not plan.outbound
        if trace is not None:
            self._inspect(trace, state, key)
        response = refused(state, await finish(state, await execute(plan, state)), self.name)
        if trace is not None:
            state.section = "outbound"
            state.trace(
                "api-inspector",
                {
                    "response": {
                        "status": {"code": response.status, "reason": response.reason},
                        "headers": header_list(response.headers.items()),
                    }
                },
            )
            self.traces.put(trace)
            location = f"{original.scheme}://{original.authority}{TRACE_PATH}{trace.trace_id}"
            response.headers.set("Ocp-Apim-Trace-Location", location)
        return response

    async def _preflight(
        self, snap: Snapshot, state: RequestState, path: str, query: dict[str, list[str]]
    ) -> GatewayResponse | None:
        """A CORS preflight without an OPTIONS operation: only the effective `cors` policies of the operation the
        preflight asks about run (APIM answers preflights this way; no subscription key is expected)."""
        api = state.api
        assert api is not None
        requested = state.request.headers.get("Access-Control-Request-Method") or ""
        _, operation, params, _ = snap.router.match(requested.strip().upper(), path, query, state.request.headers)
        if operation is None:
            return None
        product = authorize(snap, api, None).product
        plan = snap.plan(api, operation, product)
        cors = StepList(tuple(s for s in plan.inbound.steps if s.name == "cors"))
        if not cors:
            return None
        state.operation, state.matched_parameters, state.product = operation, params, product
        state.section = "inbound"
        try:
            stopped = await cors.run(state)
        except PolicyError as exc:
            await handle_error(plan, state, exc, own_response=state.response is not None)
            return await finish(state, state.ensure_response())
        if stopped is STOP and state.response is not None:
            return await finish(state, state.response)
        return None

    def _inspect(self, trace: Trace, state: RequestState, key: str | None) -> None:
        """The api-inspector entries: the request as received and the configuration it matched."""
        if key:
            trace.secrets.add(key)
        if state.snapshot is not None:
            trace.secrets.update(state.snapshot.secrets)
        api, op, request = state.api, state.operation, state.request
        assert api is not None and op is not None
        secret = frozenset({"authorization", "proxy-authorization", "cookie", api.header_name.lower()})
        state.trace(
            "api-inspector",
            {
                "request": {
                    "method": request.method,
                    "url": str(request.original_url),
                    "headers": header_list(request.headers.items(), secret),
                }
            },
        )
        to = request.url
        state.trace(
            "api-inspector",
            {
                "configuration": {
                    "api": {
                        "from": "/" + api.path,
                        "to": {
                            "scheme": to.scheme,
                            "host": to.host,
                            "port": to.port,
                            "path": api.service_url.path if api.service_url else "/",
                            "queryString": "",
                            "query": {},
                            "isDefaultPort": to.default_port,
                        },
                        "version": api.version,
                        "revision": api.revision,
                    },
                    "operation": {"method": op.method, "uriTemplate": op.url_template},
                    "product": state.product.name if state.product else "-",
                    "user": "-",
                }
            },
        )

    def trace_document(self, trace_id: str) -> GatewayResponse:
        doc = self.traces.get(trace_id)
        if doc is None:
            return gateway_error(404, NOT_FOUND, "Not Found")
        return GatewayResponse(200, Headers([("Content-Type", "application/json")]), doc, "OK")


class _LiveAliases:
    """The owner's current host-alias table (keyless.server replaces it once listeners are bound)."""

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    def lookup(self, host: str) -> str | None:
        return self._owner.aliases.lookup(host)  # type: ignore[no-any-return]

    def resolve(self, url: str) -> str:
        return self._owner.aliases.resolve(url)  # type: ignore[no-any-return]

    def add(self, hosts: list[str], base_url: str) -> None:
        self._owner.aliases.add(hosts, base_url)


class Gateways:
    """The listeners of every APIM service, on the running loop; ports kept in `ports_file` across restarts."""

    def __init__(self, services: GatewayServices, *, host: str = "127.0.0.1", ports_file: Path | None = None):
        self.services = services
        self.host = host
        self.ports_file = ports_file
        self._running: dict[str, tuple[GatewayService, GatewayListener, Any, int]] = {}
        # Set when gateway worker processes share the listeners' ports (`keyless up --gateway-workers N`).
        self.reuse_port = False

    @classmethod
    def for_services(cls, services: Any) -> Gateways:
        """Gateways sharing keyless's token service, host aliases and CA (for https backends)."""
        ctx = ssl.create_default_context()
        with contextlib.suppress(OSError):
            ctx.load_verify_locations(cafile=str(services.tls.ca_cert))
        from keyless.gateway.counters import InMemoryCounters
        from keyless.gateway.value_cache import InMemoryValueCache, ValueCaches
        from keyless.identity.managed_identity.hosting import IdentityHosts

        aliases = _LiveAliases(services)
        pool = BackendPool(ctx, aliases)
        hosts = IdentityHosts(services.store, services.directory, services.resources, services.tokens)

        async def identities(state: RequestState) -> list[Any]:
            """The managed identities the request's APIM service has (authentication-managed-identity)."""
            service_id = state.snapshot.service_id if state.snapshot is not None else ""
            return list(await hosts.identities(service_id)) if service_id else []

        counters: Any = InMemoryCounters()
        cache = ValueCaches(InMemoryValueCache())
        redis_url = getattr(services.settings, "redis_url", None)
        if redis_url:  # scale-out: every gateway process counts and caches in the same Redis
            from keyless.gateway.counters_redis import RedisCounters, RedisPool
            from keyless.gateway.value_cache import RedisValueCache

            redis = RedisPool(redis_url)
            counters = RedisCounters(redis)
            cache = ValueCaches(InMemoryValueCache(), RedisValueCache(redis))
        shared = GatewayServices(
            http=None,
            tokens=services.tokens,
            aliases=aliases,
            backends=pool,
            counters=counters,
            cache=cache,
            identity=identities,
        )
        return cls(shared, host=services.settings.host, ports_file=services.settings.data_dir / "gateway-ports.json")

    def _saved_ports(self) -> dict[str, int]:
        if self.ports_file is None:
            return {}
        try:
            return {str(k): int(v) for k, v in json.loads(self.ports_file.read_text()).items()}
        except (OSError, ValueError, AttributeError):
            return {}

    def _save_port(self, name: str, port: int) -> None:
        if self.ports_file is None:
            return
        ports = self._saved_ports()
        ports[name] = port
        tmp = self.ports_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(ports, indent=2))
        tmp.replace(self.ports_file)

    def get(self, name: str) -> GatewayService | None:
        found = self._running.get(name)
        return found[0] if found else None

    def port(self, name: str) -> int | None:
        found = self._running.get(name)
        return found[3] if found else None

    def url(self, name: str) -> str | None:
        port = self.port(name)
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104 - reached on loopback
        return None if port is None else f"http://{host}:{port}"

    def swap(self, name: str, snapshot: Snapshot) -> None:
        service = self.get(name)
        if service is None:
            raise KeyError(name)
        service.swap(snapshot)

    async def start(self, name: str, snapshot: Snapshot, port: int | None = None) -> int:
        """Serve `name` (or swap its snapshot when it already runs); the port it listens on.

        The port is `port`, else the one saved for `name`, else any free one; a taken port falls back to a free one.
        """
        if name in self._running:
            self.swap(name, snapshot)
            return self._running[name][3]
        from keyless.server import bind

        if self.services.http is None and self.services.backends is not None:
            self.services.http = self.services.backends.session
        wanted = port or self._saved_ports().get(name) or 0
        try:
            sock = bind(self.host, wanted, reuse_port=self.reuse_port)
        except OSError:
            sock = bind(self.host, 0, reuse_port=self.reuse_port)
        app = GatewayService(name, snapshot, self.services)
        listener = GatewayListener(app.respond)
        try:
            await listener.start(sock)
        except BaseException:
            sock.close()
            raise
        bound = int(sock.getsockname()[1])
        self._running[name] = (app, listener, sock, bound)
        self._save_port(name, bound)
        if self.services.aliases is not None:
            self.services.aliases.add([f"{name}.azure-api.net"], self.url(name) or "")
        return bound

    def names(self) -> list[str]:
        return list(self._running)

    async def stop(self, name: str) -> None:
        found = self._running.pop(name, None)
        if found is None:
            return
        _, listener, sock, _ = found
        await listener.close()
        sock.close()

    async def close(self) -> None:
        for name in list(self._running):
            await self.stop(name)
        if self.services.backends is not None:
            await self.services.backends.close()
