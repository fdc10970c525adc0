"""A lean HTTP/1.1 keep-alive client for forward-request: one write and one await per exchange.

aiohttp's client costs several times the rest of the gateway per request (request objects, header
multidicts, timers); forwarding needs none of that. Responses are parsed by httptools (llhttp, the parser
uvicorn uses): chunked bodies are decoded, keep-alive follows the response. A large or unsized body can be
handed over as a stream with flow control instead of being buffered.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator

import httptools

STREAM_ABOVE = 256 * 1024  # bodies up to this size (when sized) are always read at once
_HIGH_WATER = 1024 * 1024  # a streamed body pauses the backend socket above this many unread bytes


class BackendClosed(ConnectionError):
    """The connection ended before a complete response (no byte of it, when `fresh` is True)."""

    def __init__(self, message: str, *, fresh: bool) -> None:
        super().__init__(message)
        self.fresh = fresh


class Exchange:
    """One response as it arrives: status, raw headers, and the body (buffered, or a stream)."""

    __slots__ = ("chunks", "done", "headers", "queue", "reason", "size", "status", "streaming")

    def __init__(self) -> None:
        self.status = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = False
        self.streaming = False
        self.queue: asyncio.Queue[bytes | BaseException | None] | None = None


class Connection(asyncio.Protocol):
    """A pooled connection to one backend origin."""

    def __init__(self, pool: Http1Pool, key: tuple[str, str, int]) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.exchange: Exchange | None = None
        self.waiter: asyncio.Future[Exchange] | None = None
        self.stream_ok = False
        self.closed = False
        self.reused = False
        self.received = False
        self.paused = False

    # --- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BackendClosed(f"invalid response from the backend ({exc})", fresh=False))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        ex = self.exchange
        if ex is None or ex.done:
            return
        if ex.status and not self.parser.should_keep_alive():
            self.on_message_complete()  # a body delimited by the end of the connection
            return
        self._fail(BackendClosed("the backend closed the connection", fresh=not self.received))

    # --- httptools callbacks
    def on_status(self, status: bytes) -> None:
        if self.exchange is not None:
            self.exchange.reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.exchange is not None:
            self.exchange.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        ex = self.exchange
        if ex is None:
            return
        ex.status = self.parser.get_status_code()
        if self.stream_ok and ex.status >= 200:
            length = next((v for n, v in ex.headers if n.lower() == "content-length"), None)
            if length is None or not length.isdigit() or int(length) > STREAM_ABOVE:
                ex.streaming = True
                ex.queue = asyncio.Queue()
                self._resolve()

    def on_body(self, body: bytes) -> None:
        ex = self.exchange
        if ex is None:
            return
        if ex.streaming and ex.queue is not None:
            ex.queue.put_nowait(body)
            ex.size += len(body)
            if ex.size > _HIGH_WATER and not self.paused and self.transport is not None:
                self.paused = True
                self.transport.pause_reading()
        else:
            ex.chunks.append(body)

    def on_message_complete(self) -> None:
        ex = self.exchange
        if ex is None or ex.done:
            return
        if 100 <= ex.status < 200:  # an interim response (100 Continue): the real one follows
            ex.status, ex.reason, ex.headers, ex.chunks = 0, "", [], []
            return
        ex.done = True
        if ex.streaming and ex.queue is not None:
            ex.queue.put_nowait(None)
        else:
            self._resolve()
        if not ex.streaming:
            self._finish()

    # --- helpers
    def _resolve(self) -> None:
        if self.waiter is not None and not self.waiter.done() and self.exchange is not None:
            self.waiter.set_result(self.exchange)

    def _fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        ex = self.exchange
        if ex is not None and ex.streaming and ex.queue is not None:
            ex.queue.put_nowait(exc)

    def _finish(self) -> None:
        """The exchange is over: back to the pool when the backend keeps the connection alive."""
        keep = self.parser.should_keep_alive() and not self.closed
        self.exchange = None
        self.waiter = None
        if keep:
            self.pool.release(self)
        else:
            self.close()

    def consumed(self, amount: int) -> None:
        """The reader took `amount` streamed bytes: resume the socket below the high-water mark."""
        ex = self.exchange
        if ex is None:
            return
        ex.size -= amount
        if self.paused and ex.size < _HIGH_WATER // 2 and self.transport is not None:
            self.paused = False
            self.transport.resume_reading()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def send(self, data: bytes, *, stream_ok: bool) -> asyncio.Future[Exchange]:
        self.exchange = Exchange()
        self.stream_ok = stream_ok
        self.received = False
        self.waiter = asyncio.get_running_loop().create_future()
        assert self.transport is not None
        self.transport.write(data)
        return self.waiter


class Http1Pool:
    """Idle keep-alive connections per (scheme, host, port)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, max_idle: int = 256) -> None:
        self.ssl_context = ssl_context
        self.max_idle = max_idle
        self.idle: dict[tuple[str, str, int], list[Connection]] = {}

    async def _connect(self, key: tuple[str, str, int], client_tls: ssl.SSLContext | None = None) -> Connection:
        scheme, host, port = key[:3]  # a 4th member names the client certificate the connection presents
        loop = asyncio.get_running_loop()
        tls: ssl.SSLContext | None = None
        if scheme == "https":
            tls = client_tls or self.ssl_context or ssl.create_default_context()
        _, conn = await loop.create_connection(
            lambda: Connection(self, key), host, port, ssl=tls, server_hostname=host if tls else None
        )
        return conn

    def release(self, conn: Connection) -> None:
        idle = self.idle.setdefault(conn.key, [])
        if len(idle) < self.max_idle:
            conn.reused = True
            idle.append(conn)
        else:
            conn.close()

    async def exchange(
        self, key: tuple[str, str, int], data: bytes, *, stream_ok: bool, client_tls: ssl.SSLContext | None = None
    ) -> tuple[Exchange, Connection]:
        """Send one request (already serialized) and wait for its response head (and body unless streamed)."""
        idle = self.idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.closed:
                continue
            try:
                return await conn.send(data, stream_ok=stream_ok), conn
            except BackendClosed as exc:
                if not exc.fresh:
                    raise
                conn.close()  # the backend dropped an idle connection as we reused it: try another
        conn = await self._connect(key, client_tls)
        return await conn.send(data, stream_ok=stream_ok), conn

    async def close(self) -> None:
        for conns in self.idle.values():
            for conn in conns:
                conn.close()
        self.idle.clear()


class BodyStream:
    """A streamed backend body: `async for chunk in stream`, then the connection returns to the pool."""

    def __init__(self, exchange: Exchange, conn: Connection) -> None:
        self.exchange = exchange
        self.conn = conn
        self.finished = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        queue = self.exchange.queue
        assert queue is not None
        while True:
            item = await queue.get()
            if item is None:
                self.finished = True
                self.conn._finish()
                return
            if isinstance(item, BaseException):
                raise item
            self.conn.consumed(len(item))
            yield item

    def release(self) -> None:
        """Stop reading: an unfinished body closes its connection (it cannot be reused mid-message)."""
        if not self.finished:
            self.finished = True
            self.conn.close()


def serialize(method: str, target: str, authority: str, headers: list[tuple[str, str]], body: bytes | None) -> bytes:
    """The request head (and body) as bytes; header names and values with CR or LF are refused."""
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {authority}\r\n"]
    for name, value in headers:
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
            raise ValueError(f"invalid header {name!r}")
        lines.append(f"{name}: {value}\r\n")
    if body:
        lines.append(f"Content-Length: {len(body)}\r\n\r\n")
        return "".join(lines).encode("latin-1") + body
    if method in ("POST", "PUT", "PATCH"):
        lines.append("Content-Length: 0\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")
