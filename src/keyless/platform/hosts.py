"""The host-alias table: Azure host names that keyless's own outbound calls resolve locally.

Artifacts name real hosts (`https://login.microsoftonline.com/{tid}/...`); every outbound call keyless
makes (gateway metadata fetches, workflow HTTP actions) passes its URL through `HostAliases.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

LOGIN_HOSTS = ("login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net")
GRAPH_HOSTS = ("graph.microsoft.com",)
MANAGEMENT_HOSTS = ("management.azure.com", "management.core.windows.net")
# Logic Apps callback hosts (`prod-00.westeurope.logic.azure.com`): any region, any scale unit.
LOGIC_SUFFIX = "logic.azure.com"


@dataclass
class HostAliases:
    """Maps a lower-case host name to the local base URL (scheme://host:port) that serves it."""

    table: dict[str, str] = field(default_factory=dict)
    suffixes: dict[str, str] = field(default_factory=dict)

    def add(self, hosts: tuple[str, ...] | list[str], base_url: str) -> None:
        for host in hosts:
            self.table[host.lower()] = base_url.rstrip("/")

    def add_suffix(self, suffix: str, resolver_base: str) -> None:
        """`*.azure-api.net`-style names; the first label is kept for the local service to route on."""
        self.suffixes[suffix.lower()] = resolver_base.rstrip("/")

    def lookup(self, host: str) -> str | None:
        host = host.lower()
        if host in self.table:
            return self.table[host]
        for suffix, base in self.suffixes.items():
            if host.endswith("." + suffix):
                return base
        return None

    def resolve(self, url: str) -> str:
        """The URL keyless should actually call for `url`; unchanged when its host is not aliased."""
        parts = urlsplit(url)
        base = self.lookup(parts.hostname or "")
        if base is None:
            return url
        target = urlsplit(base)
        path = target.path.rstrip("/") + parts.path
        return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))

    @classmethod
    def for_endpoints(cls, login: str, graph: str, management: str, logic: str | None = None) -> HostAliases:
        aliases = cls()
        aliases.add(LOGIN_HOSTS, login)
        aliases.add(GRAPH_HOSTS, graph)
        aliases.add(MANAGEMENT_HOSTS, management)
        if logic:
            aliases.add_suffix(LOGIC_SUFFIX, logic)
        return aliases
