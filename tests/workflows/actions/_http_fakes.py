"""Doubles for testing the Http action alone: a compile context using the real expression compiler, a run
context evaluating against a StaticContext document, and a host that answers from a script and records every
request, token request and sleep (so no test waits)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from keyless.platform.errors import KeylessError
from keyless.wdl.api import compile_value
from keyless.wdl.static_context import StaticContext
from keyless.workflows.actions import http
from keyless.workflows.actions.base import Outcome
from keyless.workflows.errors import DefinitionError
from keyless.workflows.host import HttpRequest, HttpResponse

Reply = HttpResponse | BaseException | Callable[[HttpRequest], HttpResponse]


def response(status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    return HttpResponse(status, headers or [], body)


def json_response(status: int, body: bytes, *extra: tuple[str, str]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json; charset=utf-8"), *extra], body)


@dataclass
class ScriptedHost:
    """Answers `send` with the next scripted reply (an exception is raised); records everything asked of it."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    msi_calls: list[tuple[str, str | None]] = field(default_factory=list)
    oauth_calls: list[dict[str, Any]] = field(default_factory=list)
    token: str = "token-for-test"
    refuse_tokens: str | None = None

    async def send(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    async def managed_identity_token(self, audience: str, identity: str | None) -> str:
        self.msi_calls.append((audience, identity))
        if self.refuse_tokens:
            raise KeylessError(self.refuse_tokens, code="Unauthorized")
        return f"{self.token}:{audience}"

    async def client_credentials_token(
        self,
        authority: str | None,
        tenant: str,
        audience: str,
        client_id: str,
        secret: str | None,
        pfx: bytes | None,
        password: str | None,
    ) -> str:
        self.oauth_calls.append(
            {
                "authority": authority,
                "tenant": tenant,
                "audience": audience,
                "client_id": client_id,
                "secret": secret,
                "pfx": pfx,
                "password": password,
            }
        )
        return self.token

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@dataclass
class CompileContext:
    action_name: str = "HTTP"
    inside: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"properties.definition.actions.{self.action_name}"

    def value(self, raw: Any, path: str) -> Any:
        return compile_value(raw, path)

    def error(self, path: str, message: str) -> Exception:
        return DefinitionError(f"{self.path}.{path}", message)


class RunContext:
    def __init__(self, host: ScriptedHost, data: dict[str, Any] | None = None, action_name: str = "HTTP") -> None:
        self.action_name = action_name
        self.host = host
        self._expressions = StaticContext(data or {})

    def evaluate(self, compiled: Any) -> Any:
        return compiled.evaluate(self._expressions)


def compile_http(action: dict[str, Any], *, draw: float | None = None) -> http.Config:
    """Compile an Http action; `draw` in [0, 1] fixes where in its interval each exponential delay falls."""
    config = http.compile({"type": "Http", **action}, CompileContext())
    if draw is not None:
        config = replace(config, rng=lambda low, high: low + draw * (high - low))
    return config


async def run_http(
    action: dict[str, Any], host: ScriptedHost, data: dict[str, Any] | None = None, *, draw: float | None = 0.5
) -> Outcome:
    return await http.run(compile_http(action, draw=draw), RunContext(host, data))
