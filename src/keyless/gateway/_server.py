"""The gateway's HTTP/1.1 listener: an asyncio protocol over httptools, one write per response.

uvicorn's ASGI layer (scope and message dicts, a task and two writes per response) cost a sixth of each
proxied request; the gateway needs only "request in, GatewayResponse out". Requests on one connection are
answered in order (pipelined ones wait their turn); an idle keep-alive connection closes after 75 s.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import httptools

from keyless.gateway.http_types import GatewayResponse

KEEP_ALIVE_SECONDS = 75.0
MAX_QUEUED = 16  # pipelined requests waiting on one connection before reading pauses
_SKIP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})

# (method, raw request target, headers, body, client ip) -> response
Handler = Callable[[str, str, list[tuple[str, str]], bytes, str], Awaitable[GatewayResponse]]


def _phrase(status: int, reason: str) -> str:
    if reason and "\r" not in reason and "\n" not in reason:
        return reason
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def response_head(response: GatewayResponse, length: str | None, keep_alive: bool) -> bytes:
    """Status line and headers; policy-made values with CR/LF are dropped rather than split the response."""
    lines = [f"HTTP/1.1 {response.status} {_phrase(response.status, response.reason)}\r\n"]
    for name, value in response.headers.items():
        if name.lower() in _SKIP or "\n" in value or "\r" in value or "\n" in name or "\r" in name:
            continue
        lines.append(f"{name}: {value}\r\n")
    if length is not None:
        lines.append(f"content-length: {length}\r\n")
    else:
        lines.append("transfer-encoding: chunked\r\n")
    if not keep_alive:
        lines.append("connection: close\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1", errors="replace")


class _Request:
    __slots__ = ("body", "headers", "keep_alive", "method", "target")

    def __init__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes, keep_alive: bool):
        self.method, self.target, self.headers, self.body, self.keep_alive = method, target, headers, body, keep_alive


class GatewayProtocol(asyncio.Protocol):
    """One client connection."""

    def __init__(self, handler: Handler, connections: set[GatewayProtocol]) -> None:
        self.handler = handler
        self.connections = connections
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client_ip = ""
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.queue: deque[_Request] = deque()
        self.busy = False
        self.closed = False
        self.paused_reading = False
        self.can_write: asyncio.Event | None = None
        self.idle: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.connections.add(self)
        peer = transport.get_extra_info("peername")
        self.client_ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        except httptools.HttpParserError:
            self._refuse(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.connections.discard(self)
        if self.idle is not None:
            self.idle.cancel()
        if self.can_write is not None:
            self.can_write.set()

    def pause_writing(self) -> None:
        self.can_write = asyncio.Event()

    def resume_writing(self) -> None:
        if self.can_write is not None:
            self.can_write.set()
            self.can_write = None

    # --- httptools callbacks
    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.body = []
        if self.idle is not None:
            self.idle.cancel()
            self.idle = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        for name, value in self.headers:
            if name.lower() == "expect" and value.lower() == "100-continue" and self.transport is not None:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        request = _Request(
            self.parser.get_method().decode("latin-1"),
            self.url.decode("latin-1"),
            self.headers,
            body,
            self.parser.should_keep_alive(),
        )
        if self.busy:
            self.queue.append(request)
            if len(self.queue) >= MAX_QUEUED and self.transport is not None and not self.paused_reading:
                self.paused_reading = True
                self.transport.pause_reading()
            return
        self._start(request)

    # --- requests
    def _start(self, request: _Request) -> None:
        self.busy = True
        asyncio.get_running_loop().create_task(self._serve(request))

    async def _serve(self, request: _Request) -> None:
        try:
            response = await self.handler(request.method, request.target, request.headers, request.body, self.client_ip)
        except Exception:  # the handler answers every failure itself; this guards the connection
            response = GatewayResponse(500)
        if self.closed:
            if response.stream is not None:
                response.stream.release()
            return
        await self._write(request, response)
        if not request.keep_alive:
            self._close()
            return
        self.busy = False
        if self.queue:
            self._start(self.queue.popleft())
            if self.paused_reading and len(self.queue) < MAX_QUEUED // 2 and self.transport is not None:
                self.paused_reading = False
                self.transport.resume_reading()
        else:
            self._arm_idle()

    async def _write(self, request: _Request, response: GatewayResponse) -> None:
        assert self.transport is not None
        head_only = request.method == "HEAD"
        if response.stream is None:
            body = response.body
            length = response.headers.get("Content-Length") if head_only and not body else str(len(body))
            head = response_head(response, length or "0", request.keep_alive)
            self.transport.write(head if head_only else head + body)
            return
        stream = response.stream
        length = response.headers.get("Content-Length")
        try:
            self.transport.write(response_head(response, length, request.keep_alive))
            if head_only:
                return
            async for chunk in stream:
                if self.closed:
                    return
                self.transport.write(chunk if length is not None else b"%x\r\n%b\r\n" % (len(chunk), chunk))
                if self.can_write is not None:
                    await self.can_write.wait()
            if length is None:
                self.transport.write(b"0\r\n\r\n")
        except Exception:  # the backend failed mid-body: the client cannot be told otherwise
            self._close()
        finally:
            stream.release()

    def _arm_idle(self) -> None:
        self.idle = asyncio.get_running_loop().call_later(KEEP_ALIVE_SECONDS, self._close)

    def _refuse(self, answer: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(answer)
        self._close()

    def _close(self) -> None:
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()


class GatewayListener:
    """A listening socket served by `GatewayProtocol`s; `close()` ends it and its connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: set[GatewayProtocol] = set()
        self.server: asyncio.Server | None = None

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: GatewayProtocol(self.handler, self.connections), sock=sock)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for conn in list(self.connections):
            conn._close()
        if self.server is not None:
            await self.server.wait_closed()
