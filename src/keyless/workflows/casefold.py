"""A dict whose keys match case-insensitively but keep the case they were first written with.

Logic Apps matches action, variable and parameter names ignoring case; history and checkpoints show the names
as the definition spells them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any


class CaseInsensitiveDict(MutableMapping[str, Any]):
    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._items: dict[str, tuple[str, Any]] = {}
        if data:
            for key, value in data.items():
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._items[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        folded = key.lower()
        original = self._items[folded][0] if folded in self._items else key
        self._items[folded] = (original, value)

    def __delitem__(self, key: str) -> None:
        del self._items[key.lower()]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def original(self, key: str) -> str:
        """The key as first written."""
        return self._items[key.lower()][0]

    def snapshot(self) -> dict[str, Any]:
        return {original: value for original, value in self._items.values()}

    def __repr__(self) -> str:
        return f"CaseInsensitiveDict({self.snapshot()!r})"
