"""What an expression may ask of the run it is evaluated in.

The workflow engine implements `EvalContext` for each action evaluation; `keyless expr --context` and the
conformance tests use a context built from a JSON document. The reference-group functions (`body`,
`outputs`, `triggerBody`, `items`, ...) are written once in wdl/functions on top of these methods.
Names are matched case-insensitively by the implementations. Each method raises ExpressionError with
Logic Apps' wording when the thing does not exist (for example
`The template action 'X' is not defined or not valid.`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol


class EvalContext(Protocol):
    def trigger(self) -> dict[str, Any]:
        """The trigger record: `{name, inputs, outputs, startTime, endTime, trackingId, clientTrackingId, status,
        code}`; `triggerOutputs()` is its `outputs`, `triggerBody()` its `outputs.body`."""
        ...

    def action(self, name: str | None) -> dict[str, Any]:
        """`actions(name)`: the record of a finished (or running) action, `{name, inputs, outputs, status, code,
        error, startTime, endTime, trackingId, clientTrackingId}`. None is `action()`: the current action."""
        ...

    def variable(self, name: str) -> Any: ...

    def parameter(self, name: str) -> Any: ...

    def appsetting(self, name: str) -> Any: ...

    def item(self, loop: str | None) -> Any:
        """`item()` (loop None: the innermost Foreach, or the current `from` element of Query/Select) and
        `items('Loop')`."""
        ...

    def iteration_index(self, loop: str) -> int:
        """`iterationIndexes('Until_1')`: the current 0-based iteration of that Until."""
        ...

    def result(self, name: str) -> list[Any]:
        """`result('Scope')`: the records of the scope's first-level actions."""
        ...

    def workflow(self) -> dict[str, Any]:
        """`{id, name, type, location, tags, run: {id, name, type}}`."""
        ...

    def list_callback_url(self) -> str: ...

    def now(self) -> datetime:
        """UTC now, timezone-aware (`utcNow()`); a context may pin it."""
        ...

    def new_guid(self) -> uuid.UUID: ...
