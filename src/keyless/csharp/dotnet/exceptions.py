"""`Exception` and its common subclasses as values: `throw new ArgumentException("...")`, `catch (Exception ex)`."""

from __future__ import annotations

from typing import Any

from keyless.csharp.errors import _PARENTS, DotNetException
from keyless.csharp.members import DotNetType, define_type

_DEFAULT_MESSAGES = {"Exception": "Exception of type 'System.Exception' was thrown."}


def _ctor(name: str) -> Any:
    def construct(message: Any = None, inner: Any = None) -> DotNetException:
        if message is None:
            message = _DEFAULT_MESSAGES.get(name, f"Exception of type 'System.{name}' was thrown.")
        return DotNetException(name, message, inner if isinstance(inner, DotNetException) else None)

    return construct


for _name in {"Exception", *_PARENTS}:
    define_type(DotNetType(_name, f"System.{_name}", (DotNetException,), None, _ctor(_name)))
