"""APIM policy expressions: the C# subset real policies use, compiled once to Python closures."""

from __future__ import annotations

from keyless.csharp.api import Expression, compile_expression
from keyless.csharp.errors import CSharpSyntaxError, DotNetException, ExpressionRuntimeError
from keyless.csharp.members import Ref, TypeRef, generic, register_extension, register_type

__all__ = [
    "CSharpSyntaxError",
    "DotNetException",
    "Expression",
    "ExpressionRuntimeError",
    "Ref",
    "TypeRef",
    "compile_expression",
    "generic",
    "register_extension",
    "register_type",
]
