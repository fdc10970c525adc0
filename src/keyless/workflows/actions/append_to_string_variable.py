"""AppendToStringVariable `{name, value}`: appends text to a String variable (reference §3.4).

Only a String value is appended; other types fail with code BadRequest in the wording Logic Apps uses for
AppendToArrayVariable (the String variant's own wording is not confirmed).
"""

from __future__ import annotations

from keyless.workflows.actions._append import append_spec

SPEC = append_spec(
    "AppendToStringVariable",
    "String",
    "String",
    refuses=lambda text: not isinstance(text, str),
    join=lambda current, text: (current or "") + text,
)
