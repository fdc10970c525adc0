"""AppendToArrayVariable `{name, value}`: appends one item to an Array variable (reference §3.4).

An array or null item is refused with Logic Apps' own wording (seen in real failures, code BadRequest): "The
input value is of type 'Array' which cannot be appended to the variable 'v' of type 'Array'. The action type
'AppendToArrayVariable' only supports values of types 'Float, Integer, String, Boolean, Object'."
"""

from __future__ import annotations

from keyless.workflows.actions._append import append_spec

SPEC = append_spec(
    "AppendToArrayVariable",
    "Array",
    "Float, Integer, String, Boolean, Object",
    refuses=lambda item: isinstance(item, list),
    # A new list, so records that already hold the old value (an earlier SetVariable's outputs) keep it.
    join=lambda current, item: [*current, item],
)
