"""`{{name}}` substitution before parsing (apim.md §5): textual, anywhere, by display name, no nesting.

APIM names allow letters, digits, `.`, `-` and `_`; matching here ignores case (display names are unique
regardless of case in the service [INF]). Values are XML-escaped as they go in (a SAS URL's `&` stays a
character, in attributes, text and expressions alike; the parser unescapes them). Liquid templates
(`set-body template="liquid"`) use `{{…}}` for their own variables, so a name that is not defined is left
alone inside one.
"""

from __future__ import annotations

import re
from array import array
from xml.sax.saxutils import escape

from keyless.gateway.policy_xml import ValidationError

_QUOTES = {'"': "&quot;", "'": "&apos;"}
_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9._-]+)\s*\}\}")
_LIQUID = re.compile(
    r"<set-body\b[^>]*\btemplate\s*=\s*[\"']liquid[\"'][^>]*>(.*?)</set-body\s*>", re.DOTALL | re.IGNORECASE
)


def substitute(text: str, named_values: dict[str, str]) -> tuple[str, array[int], frozenset[str]]:
    """(substituted text, offset map back to `text`, display names used). Unknown name -> ValidationError."""
    if "{{" not in text:
        return text, array("i", range(len(text) + 1)), frozenset()
    by_lower = {k.lower(): k for k in named_values}
    liquid = [m.span(1) for m in _LIQUID.finditer(text)]
    out: list[str] = []
    origin = array("i")
    used: set[str] = set()
    pos = 0
    for m in _REFERENCE.finditer(text):
        key = by_lower.get(m.group(1).lower())
        if key is None:
            if any(a <= m.start() < b for a, b in liquid):
                continue
            line = text.count("\n", 0, m.start()) + 1
            column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
            raise ValidationError(
                f"Cannot find a named value '{m.group(1)}' referenced as '{m.group(0)}'", None, line, column
            )
        used.add(key)
        out.append(text[pos : m.start()])
        origin.extend(range(pos, m.start()))
        value = escape(named_values[key], _QUOTES)
        out.append(value)
        origin.extend([m.start()] * len(value))  # errors inside a value point at its reference
        pos = m.end()
    out.append(text[pos:])
    origin.extend(range(pos, len(text) + 1))
    return "".join(out), origin, frozenset(used)
