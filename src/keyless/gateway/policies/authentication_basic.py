"""authentication-basic: set `Authorization: Basic base64(username:password)` on the backend request."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from keyless.gateway.element import Element
from keyless.gateway.policies._security import check_attributes, check_children
from keyless.gateway.policy import CompileContext, PolicySpec, RequestState, Value

NAME = "authentication-basic"
ATTRIBUTES = ("id", "username", "password")


@dataclass(frozen=True)
class Config:
    username: Value
    password: Value


def compile_policy(element: Element, ctx: CompileContext) -> Config:
    check_attributes(element, ctx, ATTRIBUTES)
    check_children(element, ctx, ())
    for name in ("username", "password"):
        if name not in element.attrs:
            raise ctx.error(element, f"'{name}' is required.", attribute=name)
    return Config(
        ctx.value(element, element.attrs["username"], attribute="username"),
        ctx.value(element, element.attrs["password"], attribute="password"),
    )


async def run(cfg: Config, state: RequestState) -> None:
    pair = f"{cfg.username.get(state)}:{cfg.password.get(state)}"
    credentials = base64.b64encode(pair.encode("utf-8")).decode("ascii")
    state.request.headers.set("Authorization", f"Basic {credentials}")
    return None


SPEC = PolicySpec(NAME, frozenset({"inbound"}), compile_policy, run)
