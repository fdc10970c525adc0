"""A map of sibling actions compiled into a runAfter graph: who waits for whom, in what order, which are ends.

Predecessors must be siblings (reference §4.1); statuses are case-insensitive and stored in canonical case.
A cycle is refused naming it. `ends` are the actions no sibling runs after: the run's (or scope's) status is
computed from them (§4.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from keyless.workflows.actions.base import ActionSpec, Compiled
from keyless.workflows.errors import DefinitionError
from keyless.workflows.paths import child
from keyless.workflows.records import RUN_AFTER_STATUSES

_CANONICAL_STATUS = {status.lower(): status for status in RUN_AFTER_STATUSES}


@dataclass
class CompiledAction:
    name: str
    type_name: str  # as the registry spells it
    spec: ActionSpec
    config: Any
    path: str
    run_after: dict[str, tuple[str, ...]]  # predecessor (canonical name) -> allowed statuses (canonical case)
    durable: bool
    loops: tuple[str, ...]  # lower-case names of the enclosing Foreach/Until, outermost first
    children: list[ActionGraph] = field(default_factory=list)
    timeout: float | None = None  # limit.timeout in seconds (not for Until, which owns its limit)
    static_result: dict[str, Any] | None = None  # the staticResults entry when enabled
    secure_inputs: bool = False
    secure_outputs: bool = False
    tracked_properties: Compiled | None = None
    parent: str | None = None  # the enclosing container's name


@dataclass
class ActionGraph:
    actions: dict[str, CompiledAction]  # in definition order
    dependents: dict[str, list[str]]  # name -> siblings that run after it
    ends: list[str]

    def roots(self) -> list[str]:
        return [name for name, action in self.actions.items() if not action.run_after]


def parse_run_after(raw: Any, path: str, action_name: str, siblings: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """`siblings` maps lower-case names to names. Returns predecessor -> canonical statuses."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DefinitionError(path, f"The 'runAfter' property of template action '{action_name}' must be an object.")
    result: dict[str, tuple[str, ...]] = {}
    for predecessor, statuses in raw.items():
        here = child(path, predecessor)
        name = siblings.get(predecessor.lower())
        if name is None:
            raise DefinitionError(
                here,
                f"The 'runAfter' property of template action '{action_name}' contains non-existent action: "
                f"'{predecessor}'.",
            )
        if not isinstance(statuses, list) or not statuses:
            raise DefinitionError(
                here,
                f"The 'runAfter' property of template action '{action_name}' must list at least one status for "
                f"action '{predecessor}'.",
            )
        canonical: list[str] = []
        for index, status in enumerate(statuses):
            known = _CANONICAL_STATUS.get(status.lower()) if isinstance(status, str) else None
            if known is None:
                raise DefinitionError(
                    child(here, index),
                    f"The 'runAfter' property of template action '{action_name}' contains the status '{status}' "
                    f"for action '{predecessor}'; the allowed statuses are {', '.join(RUN_AFTER_STATUSES)}.",
                )
            if known not in canonical:
                canonical.append(known)
        result[name] = tuple(canonical)
    return result


def build_graph(actions: dict[str, CompiledAction], cycle_path: Callable[[str], str]) -> ActionGraph:
    dependents: dict[str, list[str]] = {name: [] for name in actions}
    for name, action in actions.items():
        for predecessor in action.run_after:
            dependents[predecessor].append(name)
    _refuse_cycles(actions, cycle_path)
    ends = [name for name in actions if not dependents[name]]
    return ActionGraph(actions, dependents, ends)


def _refuse_cycles(actions: dict[str, CompiledAction], cycle_path: Callable[[str], str]) -> None:
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(actions, white)
    for start in actions:
        if colour[start] != white:
            continue
        # Iterative DFS over runAfter edges (action -> its predecessors); a grey node reached again is a cycle.
        stack: list[tuple[str, list[str]]] = [(start, list(actions[start].run_after))]
        trail = [start]
        colour[start] = grey
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = black
                stack.pop()
                trail.pop()
                continue
            nxt = pending.pop()
            if colour[nxt] == grey:
                cycle = [*trail[trail.index(nxt) :], nxt]
                shown = " -> ".join(f"'{name}'" for name in cycle)
                raise DefinitionError(
                    cycle_path(node),
                    f"The 'runAfter' properties of template actions form a cycle: {shown}.",
                )
            if colour[nxt] == white:
                colour[nxt] = grey
                stack.append((nxt, list(actions[nxt].run_after)))
                trail.append(nxt)
