"""An EvalContext read from one JSON document, for `keyless expr --context` and tests.

    {"trigger": {...record...}, "actions": {"Name": {...record...}}, "variables": {...}, "parameters": {...},
     "appsettings": {...}, "items": {"Loop": current item}, "item": current item of the innermost loop,
     "iterationIndexes": {"Until": 0}, "results": {"Scope": [...]}, "workflow": {...}, "callbackUrl": "...",
     "currentAction": "Name", "now": "2025-01-01T00:00:00Z"}

Every part is optional; asking for something absent fails with Logic Apps' wording. Names are matched
case-insensitively. `item` defaults to the last entry of `items`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from keyless.wdl.errors import ExpressionError


def _lookup(table: dict[str, Any], name: str) -> tuple[bool, Any]:
    if name in table:
        return True, table[name]
    folded = name.lower()
    for key, value in table.items():
        if key.lower() == folded:
            return True, value
    return False, None


def _parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class StaticContext:
    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data = data or {}
        now = self.data.get("now")
        self._now = _parse_now(now) if isinstance(now, str) else None

    def _table(self, key: str) -> dict[str, Any]:
        table = self.data.get(key) or {}
        if not isinstance(table, dict):
            raise ExpressionError(f"The context's '{key}' must be an object.")
        return table

    def trigger(self) -> dict[str, Any]:
        trigger = self.data.get("trigger")
        if trigger is None:
            raise ExpressionError("The template language function 'trigger' cannot be used: there is no trigger.")
        return trigger

    def action(self, name: str | None) -> dict[str, Any]:
        if name is None:
            name = self.data.get("currentAction")
            if name is None:
                raise ExpressionError(
                    "The template language function 'action' is not expected at this location: there is no "
                    "current action."
                )
        found, record = _lookup(self._table("actions"), name)
        if not found:
            raise ExpressionError(f"The template action '{name}' is not defined or not valid.")
        return record

    def variable(self, name: str) -> Any:
        found, value = _lookup(self._table("variables"), name)
        if not found:
            raise ExpressionError(f"The workflow does not contain a variable named '{name}'.")
        return value

    def parameter(self, name: str) -> Any:
        found, value = _lookup(self._table("parameters"), name)
        if not found:
            raise ExpressionError(
                f"The template language expression 'parameters('{name}')' cannot be evaluated because the workflow "
                f"parameter '{name}' is not found."
            )
        return value

    def appsetting(self, name: str) -> Any:
        found, value = _lookup(self._table("appsettings"), name)
        if not found:
            raise ExpressionError(f"The app setting '{name}' is not found.")
        return value

    def item(self, loop: str | None) -> Any:
        items = self._table("items")
        if loop is None:
            if "item" in self.data:
                return self.data["item"]
            if items:
                return list(items.values())[-1]
            raise ExpressionError(
                "The template language function 'item' must be used within a foreach loop, or a Query or Select action."
            )
        found, value = _lookup(items, loop)
        if not found:
            raise ExpressionError(
                f"The template language function 'items' expects its parameter to be the name of an enclosing "
                f"foreach loop: '{loop}' is not one."
            )
        return value

    def iteration_index(self, loop: str) -> int:
        found, value = _lookup(self._table("iterationIndexes"), loop)
        if not found:
            raise ExpressionError(
                f"The template language function 'iterationIndexes' expects its parameter to be the name of an "
                f"enclosing until loop: '{loop}' is not one."
            )
        return value

    def result(self, name: str) -> list[Any]:
        found, value = _lookup(self._table("results"), name)
        if not found:
            raise ExpressionError(f"The template action '{name}' is not defined or not valid.")
        return value

    def workflow(self) -> dict[str, Any]:
        default = {
            "id": "/workflows/static",
            "name": "static",
            "type": "Microsoft.Logic/workflows",
            "location": "local",
            "tags": {},
            "run": {"id": "/workflows/static/runs/static", "name": "static", "type": "Microsoft.Logic/workflows/runs"},
        }
        return self.data.get("workflow", default)

    def list_callback_url(self) -> str:
        url = self.data.get("callbackUrl")
        if url is None:
            raise ExpressionError("The workflow has no callback URL (no Request trigger in this context).")
        return url

    def now(self) -> datetime:
        return self._now or datetime.now(UTC)

    def new_guid(self) -> uuid.UUID:
        return uuid.uuid4()
