"""Each workflow's two SAS access keys (random 32 bytes) and the 32-hex id its endpoint URLs carry.

Kept in the store so callback URLs and content links stay valid across restarts; `regenerate` replaces one key,
which invalidates exactly the URLs signed with it.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from keyless.platform import clock
from keyless.platform.models import WorkflowKeyRow
from keyless.platform.store import Store
from keyless.workflows.callback import KEY_BYTES

PRIMARY = "Primary"
SECONDARY = "Secondary"


class AccessKeys:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def ensure(self, workflow_id: str) -> WorkflowKeyRow:
        """The workflow's keys, made on first use."""
        async with self.store.transaction() as session:
            row = await session.get(WorkflowKeyRow, workflow_id.lower())
            if row is None:
                row = WorkflowKeyRow(
                    workflow_key=workflow_id.lower(),
                    workflow_id=workflow_id,
                    endpoint_id=secrets.token_hex(16),
                    primary=secrets.token_bytes(KEY_BYTES),
                    secondary=secrets.token_bytes(KEY_BYTES),
                    created=clock.now(),
                )
                session.add(row)
        return row

    async def keys(self, workflow_id: str) -> tuple[bytes, bytes]:
        """(primary, secondary)."""
        row = await self.ensure(workflow_id)
        return row.primary, row.secondary

    async def key(self, workflow_id: str, key_type: str = PRIMARY) -> bytes:
        primary, secondary = await self.keys(workflow_id)
        return secondary if key_type == SECONDARY else primary

    async def endpoint_id(self, workflow_id: str) -> str:
        return (await self.ensure(workflow_id)).endpoint_id

    async def workflow_for(self, endpoint_id: str) -> str | None:
        """The ARM id of the workflow whose endpoint URLs carry `endpoint_id` (the runtime's callback listener)."""
        async with self.store.session() as session:
            return await session.scalar(
                select(WorkflowKeyRow.workflow_id).where(WorkflowKeyRow.endpoint_id == endpoint_id.lower())
            )

    async def regenerate(self, workflow_id: str, key_type: str) -> None:
        await self.ensure(workflow_id)
        async with self.store.transaction() as session:
            row = await session.get(WorkflowKeyRow, workflow_id.lower())
            assert row is not None
            if key_type == SECONDARY:
                row.secondary = secrets.token_bytes(KEY_BYTES)
            else:
                row.primary = secrets.token_bytes(KEY_BYTES)

    async def delete(self, workflow_id: str) -> None:
        async with self.store.transaction() as session:
            await session.execute(delete(WorkflowKeyRow).where(WorkflowKeyRow.workflow_key == workflow_id.lower()))
