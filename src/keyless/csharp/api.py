"""`compile_expression(text) -> Expression`: parse and compile once, cached by text; evaluate many times."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from keyless.csharp import dotnet  # noqa: F401  (registers the .NET library's types and members)
from keyless.csharp import nodes as n
from keyless.csharp.compiler import Compiler, NullShort
from keyless.csharp.errors import DotNetException, ExpressionRuntimeError
from keyless.csharp.lexer import Source
from keyless.csharp.parser import Parser
from keyless.csharp.runtime import to_dotnet_exception
from keyless.csharp.statements import Return, StatementCompiler, completes


class Expression:
    """A compiled `@(...)` or `@{...}`; `evaluate(context)` binds the C# name `context`."""

    __slots__ = ("_run", "_size", "is_block", "text")

    def __init__(self, text: str, run: Any, size: int, is_block: bool) -> None:
        self.text = text
        self._run = run
        self._size = size
        self.is_block = is_block

    def evaluate(self, context: object) -> object:
        frame: list[Any] = [None] * self._size
        frame[1] = context
        try:
            r = self._run(frame)
        except ExpressionRuntimeError:
            raise
        except NullShort:  # defensive: a chain is always closed by its outermost node
            return None
        except RecursionError:
            raise ExpressionRuntimeError(
                "StackOverflowException: Operation caused a stack overflow.", "StackOverflowException"
            ) from None
        except Exception as exc:
            dn = to_dotnet_exception(exc)
            if dn is None:
                raise ExpressionRuntimeError(
                    f"NotSupportedException: keyless could not evaluate this expression ({type(exc).__name__}: {exc})",
                    "NotSupportedException",
                ) from exc
            raise ExpressionRuntimeError(f"{dn.type_name}: {dn.Message}", dn.type_name) from exc
        if self.is_block:
            return r.value if isinstance(r, Return) else None
        return r

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


@lru_cache(maxsize=4096)
def compile_expression(text: str) -> Expression:
    """Compiles a whole policy expression; raises CSharpSyntaxError with line/column relative to text."""
    src = Source(text)
    try:
        return _compile(src)
    except RecursionError:
        raise src.error("The expression is nested too deeply", 0) from None


def _compile(src: Source) -> Expression:
    text = src.text
    tree = Parser(src).parse_policy_expression()
    c = Compiler(src)
    if isinstance(tree, n.Block):
        _check_returns(c, tree)
        run = StatementCompiler(c).block(tree)
    else:
        StatementCompiler(c)
        run = c.expr(tree)
    return Expression(text, run, c.scope.size, isinstance(tree, n.Block))


def _check_returns(c: Compiler, tree: n.Block) -> None:
    if completes(tree):
        raise c.error("Not all code paths return a value", tree.pos)
    _check_return_values(c, tree)


def _check_return_values(c: Compiler, node: Any) -> None:
    """`return;` in a policy expression block is an error: it must produce a value."""
    if isinstance(node, n.Return) and node.value is None:
        raise c.error("An object of a type convertible to 'object' is required", node.pos)
    if isinstance(node, n.LocalFunction | n.Lambda) or not hasattr(node, "__dataclass_fields__"):
        return
    for field in node.__dataclass_fields__:
        value = getattr(node, field)
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, n.Node):
                _check_return_values(c, child)
            elif isinstance(child, n.Catch | n.SwitchSection):
                for sub in (child.body,) if isinstance(child, n.Catch) else child.body:
                    _check_return_values(c, sub)


__all__ = ["DotNetException", "Expression", "compile_expression"]
