"""Every action type keyless runs: each public module of this package that defines `SPEC` (an ActionSpec).

A new type is a new module (compose.py, http.py, ...); nothing here changes. Names match case-insensitively
(the corpus writes both `Foreach` and `foreach`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping

import keyless.workflows.actions as _package
from keyless.workflows.actions.base import ActionSpec


def _load() -> dict[str, ActionSpec]:
    types: dict[str, ActionSpec] = {}
    for module_info in pkgutil.iter_modules(_package.__path__):
        if module_info.name.startswith("_") or module_info.name in ("base", "registry"):
            continue
        module = importlib.import_module(f"{_package.__name__}.{module_info.name}")
        spec = getattr(module, "SPEC", None)
        if spec is None:
            continue
        if not isinstance(spec, ActionSpec):
            raise TypeError(f"{module.__name__}.SPEC is not an ActionSpec")
        key = spec.type_name.lower()
        if key in types:
            raise ValueError(f"Action type {spec.type_name} is defined twice ({module.__name__})")
        types[key] = spec
    return types


ACTION_TYPES: dict[str, ActionSpec] = _load()


def lookup(type_name: str, registry: Mapping[str, ActionSpec] | None = None) -> ActionSpec | None:
    return (ACTION_TYPES if registry is None else registry).get(type_name.lower())


def supported_names(registry: Mapping[str, ActionSpec] | None = None) -> list[str]:
    return sorted(spec.type_name for spec in (ACTION_TYPES if registry is None else registry).values())
