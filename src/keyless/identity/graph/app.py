"""Microsoft Graph v1.0 subset (placeholder until the Graph module lands)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

if TYPE_CHECKING:
    from keyless.services import Services


class GraphApp:
    def __init__(self, services: Services) -> None:
        self.services = services

    def routes(self) -> list[Route]:
        return []
