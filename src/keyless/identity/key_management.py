"""keyless's own management calls for token signing keys (`keyless keys list|rotate`); admin only, like all ARM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keyless.identity.bearer import Caller
from keyless.identity.keys import KeyPair, KeyRing
from keyless.platform import clock

if TYPE_CHECKING:
    from keyless.arm.app import ManagementApp

PATH = "/keyless/signingKeys"


def describe(key: KeyPair, now: float) -> dict[str, object]:
    return {
        "kid": key.kid,
        "state": key.state,
        "published": key.unpublish_after is None or key.unpublish_after > now,
        "unpublishAfter": key.unpublish_after,
    }


def register(management: ManagementApp, keys: KeyRing) -> None:
    """`GET {management}/keyless/signingKeys` and `POST {management}/keyless/signingKeys/rotate`."""

    async def list_keys(_request: Request, _caller: Caller) -> Response:
        await keys.refresh()  # another process sharing the store may have rotated
        now = clock.now()
        return JSONResponse({"value": [describe(k, now) for k in keys.keys]})

    async def rotate(_request: Request, _caller: Caller) -> Response:
        result = await keys.rotate()
        now = clock.now()
        return JSONResponse({**result, "value": [describe(k, now) for k in keys.keys]})

    management.extend("GET", PATH, list_keys)
    management.extend("POST", f"{PATH}/rotate", rotate)
