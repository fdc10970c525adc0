"""JSON paths into the resource body, as DefinitionError reports them (`properties.definition.actions['Get rows']`)."""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$\-]*\Z")


def child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN.match(key):
        return f"{path}.{key}" if path else key
    quoted = key.replace("'", "''")
    return f"{path}['{quoted}']"


def join(path: str, relative: str) -> str:
    """`relative` is a path as child() builds it (`inputs.body`, `['a b'].x`, `[0]`)."""
    if not relative:
        return path
    if not path:
        return relative
    return path + relative if relative.startswith("[") else f"{path}.{relative}"
