"""PUTs under one parent are serialised: a type's `prepare` that checks its siblings cannot race another PUT."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from keyless.arm.errors import ArmError
from keyless.arm.registry import Registry, ResourceType
from keyless.arm.resource_id import parse, resource_group_id
from keyless.arm.router import ArmRouter, PutContext, ResourceStore
from keyless.platform.store import Store

SUB = "00000000-0000-0000-0000-0000000000aa"
GROUP = resource_group_id(SUB, "rg")


async def test_a_sibling_check_sees_the_put_that_came_first(tmp_path: Path) -> None:
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    await store.migrate()
    resources = ResourceStore(store)
    await resources.put(GROUP, f"/subscriptions/{SUB}", "resourcegroups", {"location": "westeurope"}, None)

    checked = {"a": asyncio.Event(), "b": asyncio.Event()}

    async def prepare(ctx: PutContext) -> dict[str, Any]:
        """Like an API's path check: no two siblings may share a `slot`. PUT a waits after its check for b to have
        checked too, which b can do only if the router lets two PUTs into the same parent at once; with the
        router's lock it cannot, and a goes on when its wait runs out."""
        siblings = await resources.by_type("Microsoft.Test/things", SUB, "rg")
        me = ctx.path.name or ""
        checked[me].set()
        if me == "a":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(checked["b"].wait(), 1)
        wanted = ctx.body["properties"]["slot"]
        if any(s["properties"]["slot"] == wanted for s in siblings):
            raise ArmError(400, "Conflict", f"slot {wanted} is taken")
        return {"properties": {"slot": wanted}}

    registry = Registry()
    registry.register(ResourceType("Microsoft.Test/things", ("2024-01-01",), prepare, tracked=False))
    router = ArmRouter(registry, resources, SUB, "westeurope")

    async def put(name: str) -> str:
        path = parse(f"{GROUP}/providers/Microsoft.Test/things/{name}", method="PUT")
        assert path is not None
        try:
            await router.put(path, "2024-01-01", b'{"properties": {"slot": 1}}')
        except ArmError as exc:
            return exc.code
        return "created"

    try:
        assert sorted(await asyncio.gather(put("a"), put("b"))) == ["Conflict", "created"]
    finally:
        await store.close()
