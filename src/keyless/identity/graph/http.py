"""What every Graph handler gets: the caller, the parsed request, and Graph's JSON response helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from keyless.identity.bearer import Caller
from keyless.identity.graph import errors
from keyless.identity.graph import odata as od

if TYPE_CHECKING:
    from keyless.services import Services

ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


@dataclass
class Call:
    request: Request
    services: Services
    caller: Caller
    base: str  # this listener's `{scheme}://{host}/v1.0`
    entity_set: str
    key: tuple[str, str] | None = None  # ("id", value) or ("appId", value)
    item: str | None = None  # an assignment id, for .../appRoleAssignedTo/{id}
    nav: tuple[str, ...] = field(default_factory=tuple)

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.query_params)

    async def body(self, *, allow_empty: bool = False) -> dict[str, Any]:
        raw = await self.request.body()
        if not raw.strip():
            if allow_empty:
                return {}
            raise errors.empty_payload()
        ctype = self.request.headers.get("content-type", "")
        if "json" not in ctype.lower():
            raise errors.unreadable_json()
        try:
            return json.loads(raw)  # type: ignore[no-any-return]
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.unreadable_json() from exc

    def context(self, fragment: str) -> str:
        return f"{self.base}/$metadata#{fragment}"


def respond(data: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, media_type=ODATA_JSON, headers={"OData-Version": "4.0"})


def no_content() -> Response:
    return Response(status_code=204)


def page(call: Call, items: list[dict[str, Any]], query: od.Query, context: str, path: str) -> JSONResponse:
    """A Graph collection page: `@odata.context`, `value`, and `@odata.nextLink` while more remain."""
    if query.predicate is not None:
        items = [o for o in items if query.predicate(o)]
    chunk = items[query.skip : query.skip + query.top]
    select = query.select
    body: dict[str, Any] = {
        "@odata.context": call.context(f"{context}({','.join(select)})" if select else context),
        "value": [od.project(o, select) for o in chunk],
    }
    if query.skip + query.top < len(items):
        params = {k: v for k, v in call.params.items() if k != "$skiptoken"}
        params["$skiptoken"] = od.skiptoken(query.skip + query.top)
        body["@odata.nextLink"] = f"{call.base}/{path}?{urlencode(params)}"
    return respond(body)
