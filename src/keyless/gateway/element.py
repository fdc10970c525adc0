"""A parsed policy element: what policy compilers read. Produced by `policy_xml.parse_document`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Element:
    """One XML element of a policy document, with its source position (1-based line and column)."""

    name: str
    attrs: dict[str, str]
    children: tuple[Element, ...] = ()
    # Concatenated text content directly inside the element (stripped of surrounding whitespace);
    # raw expression text (`@(...)`, `@{...}`) is kept exactly as written.
    text: str = ""
    line: int = 0
    column: int = 0
    # Attribute positions, for errors that point at one attribute.
    attr_positions: dict[str, tuple[int, int]] = field(default_factory=dict)

    def child(self, name: str) -> Element | None:
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list[Element]:
        return [c for c in self.children if c.name == name]
