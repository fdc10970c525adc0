"""The backend client: pooled keep-alive connections, the request as policies left it, host aliases.

forward-request goes through `_http1` (a lean HTTP/1.1 client); the aiohttp session (`session`, shared with
send-request) serves redirect-following and HEAD requests.

The backend URL is `context.Request.Url` (serviceUrl + the path after the API's path + the full incoming
query, apim.md §7; changed by rewrite-uri, set-backend-service...). A URL naming an aliased Azure host
(`*.azure-api.net`, login.microsoftonline.com) is sent to the local service that plays it.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp

from keyless.gateway._http1 import BodyStream, Http1Pool, serialize
from keyless.gateway.http_types import GatewayResponse, Headers, Url
from keyless.gateway.policy import PolicyError

# Hop-by-hop headers (RFC 9110 §7.6.1) and those the client library sets itself.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "expect",
        "host",
        "content-length",
    }
)
RESPONSE_DROP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "trailer", "upgrade"})


class BackendPool:
    """The pooled client session (created on first use, on the running loop) and the forwarding call."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, aliases: Any = None, limit: int = 1000) -> None:
        self.ssl_context = ssl_context
        self.aliases = aliases
        self.limit = limit
        self._session: aiohttp.ClientSession | None = None
        self.http1 = Http1Pool(ssl_context)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.limit,
                ssl=self.ssl_context if self.ssl_context is not None else True,
                keepalive_timeout=60,
                enable_cleanup_closed=True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=False,  # bodies pass through as the backend encoded them
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
            )
        return self._session

    async def close(self) -> None:
        await self.http1.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def forward(
        self,
        state: Any,
        *,
        seconds: float = 300,
        follow_redirects: bool = False,
        stream: bool = False,
        source: str = "forward-request",
    ) -> GatewayResponse:
        """Send `state.request` to its URL and return the backend's response.

        The body is read in full unless `stream` is set and it is large or of unknown length; then the response
        carries an open `stream` (async-iterable, with `release()`) and the listener copies it to the client.
        """
        request = state.request
        headers = [(n, v) for n, v in request.headers.items() if n.lower() not in HOP_BY_HOP]
        ip = request.client_ip
        if ip:
            forwarded = request.headers.get("X-Forwarded-For")
            headers = [(n, v) for n, v in headers if n.lower() != "x-forwarded-for"]
            headers.append(("X-Forwarded-For", f"{forwarded}, {ip}" if forwarded else ip))
        url = request.url
        if self.aliases is not None and self.aliases.lookup(url.host) is not None:
            url = Url.parse(self.aliases.resolve(str(url)))
        cert = request.client_certificate  # authentication-certificate: pooled apart, per certificate
        client_tls = None if cert is None else cert.context(self.ssl_context)
        key = (url.scheme, url.host, url.port) if cert is None else (url.scheme, url.host, url.port, cert.thumbprint)
        try:
            async with asyncio.timeout(seconds):
                if follow_redirects or request.method == "HEAD":
                    return await self._aiohttp(
                        request.method, str(url), headers, request.body, follow_redirects, client_tls
                    )
                data = serialize(request.method, url.path + url.query_string, url.authority, headers, request.body)
                exchange, conn = await self.http1.exchange(key, data, stream_ok=stream, client_tls=client_tls)
        except TimeoutError:
            raise PolicyError(source, "Timeout", "Request to the backend service timed out") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            kind = type(exc).__name__
            raise PolicyError(
                source, "BackendConnectionFailure", f"The backend service could not be reached ({kind})"
            ) from None
        out = Headers(h for h in exchange.headers if h[0].lower() not in RESPONSE_DROP)
        if exchange.streaming:
            return GatewayResponse(exchange.status, out, b"", exchange.reason, stream=BodyStream(exchange, conn))
        body = exchange.chunks[0] if len(exchange.chunks) == 1 else b"".join(exchange.chunks)
        return GatewayResponse(exchange.status, out, body, exchange.reason)

    async def _aiohttp(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        follow: bool,
        client_tls: ssl.SSLContext | None = None,
    ) -> GatewayResponse:
        """Redirect-following and HEAD requests go through aiohttp (the lean client does neither)."""
        tls: dict[str, Any] = {} if client_tls is None else {"ssl": client_tls}  # else the session's context
        async with self.session.request(
            method, url, headers=headers, data=body or None, allow_redirects=follow, **tls
        ) as r:
            data = await r.read()
            out = Headers((k, v) for k, v in r.headers.items() if k.lower() not in RESPONSE_DROP)
            return GatewayResponse(r.status, out, data, r.reason or "")
