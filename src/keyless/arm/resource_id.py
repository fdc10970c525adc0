"""Parsing ARM resource ids: `/subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{t}/{n}]...`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourcePath:
    subscription: str
    resource_group: str | None
    namespace: str | None
    # (type segment, name) pairs; name is None for the last pair of a collection or action path.
    pairs: tuple[tuple[str, str | None], ...]
    action: str | None = None

    @property
    def type_name(self) -> str:
        """`Microsoft.Logic/workflows/runs` (names removed), as ARM writes `type`."""
        return "/".join([self.namespace or "", *(t for t, _ in self.pairs)])

    @property
    def is_collection(self) -> bool:
        return bool(self.pairs) and self.pairs[-1][1] is None and self.action is None

    def resource_id(self, upto: int | None = None) -> str:
        pairs = self.pairs if upto is None else self.pairs[:upto]
        rid = f"/subscriptions/{self.subscription}"
        if self.resource_group is not None:
            rid += f"/resourceGroups/{self.resource_group}"
        if self.namespace is not None:
            rid += f"/providers/{self.namespace}"
        for type_seg, name in pairs:
            rid += f"/{type_seg}" + (f"/{name}" if name is not None else "")
        return rid

    @property
    def parent_id(self) -> str:
        """The id of the resource group (top level) or of the parent resource (children)."""
        if len(self.pairs) <= 1:
            return resource_group_id(self.subscription, self.resource_group or "")
        return self.resource_id(len(self.pairs) - 1)

    @property
    def name(self) -> str | None:
        return self.pairs[-1][1] if self.pairs else None


def resource_group_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def parse(path: str, *, method: str) -> ResourcePath | None:
    """None when the path is not a provider path (subscriptions and resource groups are handled apart)."""
    segs = [s for s in path.split("/") if s]
    if len(segs) < 4 or segs[0].lower() != "subscriptions":
        return None
    sub = segs[1]
    rest = segs[2:]
    group = None
    if rest[0].lower() == "resourcegroups":
        if len(rest) < 4:
            return None
        group, rest = rest[1], rest[2:]
    if not rest or rest[0].lower() != "providers" or len(rest) < 3:
        return None
    namespace, tail = rest[1], rest[2:]
    pairs: list[tuple[str, str | None]] = []
    action = None
    for i in range(0, len(tail), 2):
        type_seg = tail[i]
        name = tail[i + 1] if i + 1 < len(tail) else None
        pairs.append((type_seg, name))
    if pairs[-1][1] is None and method == "POST" and len(pairs) > 1:
        action = pairs.pop()[0]
    return ResourcePath(sub, group, namespace, tuple(pairs), action)
