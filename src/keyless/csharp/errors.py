"""The errors of the policy expression language: one syntax error type, one runtime error type."""

from __future__ import annotations


class CSharpSyntaxError(Exception):
    """A compile-time error, with 1-based line and column relative to the expression text."""

    def __init__(self, message: str, line: int, column: int, source_line: str) -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source_line = source_line
        super().__init__(f"{message} (line {line}, column {column})\n{source_line}\n{' ' * (column - 1)}^")


class ExpressionRuntimeError(Exception):
    """An evaluation failure; the message starts with the .NET exception type name, as APIM reports it."""

    def __init__(self, message: str, type_name: str = "Exception") -> None:
        self.message = message
        self.type_name = type_name
        super().__init__(message)


# .NET exception hierarchy, child -> parent, so `catch (ArgumentException)` catches ArgumentNullException.
_PARENTS = {
    "SystemException": "Exception",
    "ArgumentException": "SystemException",
    "ArgumentNullException": "ArgumentException",
    "ArgumentOutOfRangeException": "ArgumentException",
    "FormatException": "SystemException",
    "InvalidCastException": "SystemException",
    "InvalidOperationException": "SystemException",
    "NullReferenceException": "SystemException",
    "IndexOutOfRangeException": "SystemException",
    "KeyNotFoundException": "SystemException",
    "NotSupportedException": "SystemException",
    "NotImplementedException": "SystemException",
    "OverflowException": "ArithmeticException",
    "DivideByZeroException": "ArithmeticException",
    "ArithmeticException": "SystemException",
    "JsonReaderException": "JsonException",
    "JsonSerializationException": "JsonException",
    "JsonException": "Exception",
    "RegexMatchTimeoutException": "TimeoutException",
    "TimeoutException": "SystemException",
    "UriFormatException": "FormatException",
    "CryptographicException": "SystemException",
}


class DotNetException(Exception):
    """A .NET exception raised inside an expression (by the library, the host, or `throw`)."""

    def __init__(self, type_name: str, message: str, inner: DotNetException | None = None) -> None:
        self.type_name = type_name
        self.Message = message
        self.InnerException = inner
        super().__init__(f"{type_name}: {message}")

    def is_a(self, name: str) -> bool:
        """True when this exception's type is `name` or derives from it."""
        t: str | None = self.type_name
        while t is not None:
            if t == name or t.rsplit(".", 1)[-1] == name:
                return True
            t = _PARENTS.get(t, "Exception" if t != "Exception" else None)
        return False

    def ToString(self) -> str:
        return f"System.{self.type_name}: {self.Message}"

    @property
    def StackTrace(self) -> str:
        return ""


def null_reference() -> DotNetException:
    return DotNetException("NullReferenceException", "Object reference not set to an instance of an object.")


def invalid_cast(from_name: str, to_name: str) -> DotNetException:
    return DotNetException("InvalidCastException", f"Unable to cast object of type '{from_name}' to type '{to_name}'.")


def key_not_found(key: object) -> DotNetException:
    return DotNetException("KeyNotFoundException", f"The given key '{key}' was not present in the dictionary.")


def format_error(message: str = "Input string was not in a correct format.") -> DotNetException:
    return DotNetException("FormatException", message)


def argument_null(param: str) -> DotNetException:
    return DotNetException("ArgumentNullException", f"Value cannot be null. (Parameter '{param}')")


def argument_out_of_range(
    param: str, message: str = "Specified argument was out of the range of valid values."
) -> DotNetException:
    return DotNetException("ArgumentOutOfRangeException", f"{message} (Parameter '{param}')")


def index_out_of_range() -> DotNetException:
    return DotNetException("IndexOutOfRangeException", "Index was outside the bounds of the array.")


def invalid_operation(message: str) -> DotNetException:
    return DotNetException("InvalidOperationException", message)
