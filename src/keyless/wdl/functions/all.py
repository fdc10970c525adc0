"""Imports every module of keyless.wdl.functions so each group registers its functions (one module per group;
a new module needs no edit here)."""

from __future__ import annotations

import importlib
import pkgutil

import keyless.wdl.functions as _package

for _module in pkgutil.iter_modules(_package.__path__):
    if _module.name != "all":
        importlib.import_module(f"{_package.__name__}.{_module.name}")
