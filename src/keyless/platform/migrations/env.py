"""Alembic environment: keyless passes the connection in; `alembic` on the command line is not used."""

from __future__ import annotations

from alembic import context

from keyless.platform.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("keyless runs its migrations from Store.migrate(); no connection was given")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
