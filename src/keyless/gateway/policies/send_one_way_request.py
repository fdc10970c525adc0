"""send-one-way-request: APIM's fire-and-forget call-out; its response and failure never reach the caller."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.http_types import GatewayRequest
from keyless.gateway.policies.send_request import Message, build_request, compile_message, send
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Stop
from keyless.gateway.throttling import check_attributes

NAME = "send-one-way-request"
log = logging.getLogger(__name__)

# Calls in flight; held so they are not collected before they finish.
_in_flight: set[asyncio.Task[None]] = set()


@dataclass(frozen=True)
class Config:
    message: Message


def compile(element: Element, ctx: CompileContext) -> Config:
    check_attributes(ctx, element, ("mode", "timeout"))
    return Config(compile_message(element, ctx, NAME))


async def _deliver(request: GatewayRequest, state: RequestState, seconds: int) -> None:
    try:
        await send(request, state, seconds)
    except Exception as error:
        log.info("send-one-way-request failed: %s", type(error).__name__)


async def run(cfg: Config, state: RequestState) -> Stop | None:
    request, timeout = await build_request(cfg.message, state, NAME)
    task = asyncio.get_running_loop().create_task(_deliver(request, state, timeout))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)
    state.trace(NAME, {"message": "Request sent without waiting for a response."})
    return None


def in_flight() -> set[asyncio.Task[None]]:
    """The calls still being delivered (tests and shutdown wait for them)."""
    return set(_in_flight)


SPEC = PolicySpec(
    name=NAME, sections=frozenset({"inbound", "backend", "outbound", "on-error"}), compile=compile, run=run
)
