"""C# tokens with line/column: the lexer of the policy expression language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.csharp.errors import CSharpSyntaxError

KEYWORDS = frozenset(
    "as break case catch checked const continue default do else false finally for foreach if in is new null "
    "out ref return switch throw true try typeof unchecked using while".split()
)
# Longest first so `>>=` is not read as `>` `>=`. `>>` is never one token: the parser joins adjacent `>`s
# so that `List<List<int>>` closes two generic lists.
_OPERATORS = sorted(
    "<<= ??= => == != <= >= && || ++ -- += -= *= /= %= &= |= ^= ?? ?. << :: "
    "+ - * / % & | ^ ! ~ = < > ? : ; , . ( ) [ ] { } @".split(),
    key=len,
    reverse=True,
)
_SIMPLE_ESCAPES = {"'": "'", '"': '"', "\\": "\\", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "n": "\n",
                   "r": "\r", "t": "\t", "v": "\v"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name, int, real, string, char, interp, op, eof
    value: Any
    pos: int  # offset in the source text
    end: int
    suffix: str = ""  # numeric literal suffix, lower-cased (l, u, ul, d, f, m)


@dataclass(frozen=True, slots=True)
class Hole:
    """One `{expr,align:format}` of an interpolated string: the expression's span in the source text."""

    start: int
    end: int
    alignment: int | None
    format: str | None


class Source:
    """The expression text plus line/column arithmetic for error messages."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def position(self, pos: int) -> tuple[int, int]:
        lo, hi = 0, len(self._line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self._line_starts[mid] <= pos:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, pos - self._line_starts[lo] + 1

    def error(self, message: str, pos: int) -> CSharpSyntaxError:
        line, column = self.position(pos)
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return CSharpSyntaxError(message, line, column, self.text[start : end if end >= 0 else len(self.text)])


def tokenize(src: Source, start: int = 0, end: int | None = None) -> list[Token]:
    """All tokens of src.text[start:end], ending with an eof token."""
    text = src.text
    n = len(text) if end is None else end
    i = start
    out: list[Token] = []
    while True:
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
            elif text.startswith("//", i):
                j = text.find("\n", i, n)
                i = n if j < 0 else j
            elif text.startswith("/*", i):
                j = text.find("*/", i + 2, n)
                if j < 0:
                    raise src.error("End-of-file found, '*/' expected", i)
                i = j + 2
            else:
                break
        if i >= n:
            out.append(Token("eof", None, n, n))
            return out
        c = text[i]
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("name", text[i:j], i, j))
            i = j
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            tok = _number(src, i, n)
            out.append(tok)
            i = tok.end
        elif c == '"' or (c in "@$" and _string_start(text, i, n)):
            tok = _string(src, i, n)
            out.append(tok)
            i = tok.end
        elif c == "'":
            tok = _char(src, i, n)
            out.append(tok)
            i = tok.end
        else:
            for op in _OPERATORS:
                if text.startswith(op, i) and i + len(op) <= n:
                    out.append(Token("op", op, i, i + len(op)))
                    i += len(op)
                    break
            else:
                raise src.error(f"Unexpected character '{c}'", i)


def _string_start(text: str, i: int, n: int) -> bool:
    prefix = text[i : i + 3]
    return prefix[:2] in ('@"', '$"') or prefix in ('$@"', '@$"')


def _number(src: Source, i: int, n: int) -> Token:
    text = src.text
    j = i
    if text.startswith(("0b", "0B"), i):
        j = i + 2
        while j < n and text[j] in "01_":
            j += 1
        bits = text[i + 2 : j].replace("_", "")
        if not bits:
            raise src.error("Invalid number", i)
        value: Any = int(bits, 2)
        kind = "int"
    elif text.startswith(("0x", "0X"), i):
        j = i + 2
        while j < n and (text[j] in "0123456789abcdefABCDEF_"):
            j += 1
        digits = text[i + 2 : j].replace("_", "")
        if not digits:
            raise src.error("Invalid number", i)
        value = int(digits, 16)
        kind = "int"
    else:
        while j < n and (text[j].isdigit() or text[j] == "_"):
            j += 1
        kind = "int"
        if j + 1 < n and text[j] == "." and text[j + 1].isdigit():
            kind = "real"
            j += 1
            while j < n and (text[j].isdigit() or text[j] == "_"):
                j += 1
        if j < n and text[j] in "eE":
            k = j + 1
            if k < n and text[k] in "+-":
                k += 1
            if k < n and text[k].isdigit():
                kind = "real"
                j = k
                while j < n and text[j].isdigit():
                    j += 1
        value = text[i:j].replace("_", "")
    suffix_end = j
    while suffix_end < n and text[suffix_end] in "lLuUdDfFmM":
        suffix_end += 1
    suffix = text[j:suffix_end].lower()
    if suffix not in ("", "l", "u", "ul", "lu", "d", "f", "m"):
        raise src.error(f"Invalid numeric suffix '{text[j:suffix_end]}'", j)
    if suffix in ("d", "f", "m"):
        kind = "real"
    if suffix_end < n and (text[suffix_end].isalnum() or text[suffix_end] == "_"):
        raise src.error("Invalid number", i)
    return Token(kind, value, i, suffix_end, suffix)


def _escape(src: Source, i: int, n: int) -> tuple[str, int]:
    """Decodes the escape sequence starting at the backslash at i; returns (text, next index)."""
    text = src.text
    if i + 1 >= n:
        raise src.error("Newline in constant", i)
    c = text[i + 1]
    if c in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[c], i + 2
    if c in "uxU":
        width = {"u": 4, "U": 8, "x": 4}[c]
        j = i + 2
        while j < n and j < i + 2 + width and text[j] in "0123456789abcdefABCDEF":
            j += 1
        if j == i + 2 or (c != "x" and j - i - 2 != width):
            raise src.error("Unrecognized escape sequence", i)
        return chr(int(text[i + 2 : j], 16)), j
    raise src.error("Unrecognized escape sequence", i)


def _char(src: Source, i: int, n: int) -> Token:
    text = src.text
    j = i + 1
    if j < n and text[j] == "\\":
        value, j = _escape(src, j, n)
    elif j < n and text[j] not in "'\n":
        value, j = text[j], j + 1
    else:
        raise src.error("Empty character literal", i)
    if j >= n or text[j] != "'":
        raise src.error("Too many characters in character literal", i)
    return Token("char", value, i, j + 1)


def _string(src: Source, i: int, n: int) -> Token:
    text = src.text
    j = i
    verbatim = interp = False
    while text[j] in "@$":
        verbatim |= text[j] == "@"
        interp |= text[j] == "$"
        j += 1
    j += 1  # the opening quote
    parts: list[str | Hole] = []
    buf: list[str] = []
    while True:
        if j >= n or (text[j] == "\n" and not verbatim):
            raise src.error("Newline in constant", i)
        c = text[j]
        if c == '"':
            if verbatim and j + 1 < n and text[j + 1] == '"':
                buf.append('"')
                j += 2
                continue
            j += 1
            break
        if c == "\\" and not verbatim:
            s, j = _escape(src, j, n)
            buf.append(s)
        elif interp and c == "{":
            if j + 1 < n and text[j + 1] == "{":
                buf.append("{")
                j += 2
                continue
            parts.append("".join(buf))
            buf = []
            hole, j = _hole(src, j + 1, n, verbatim)
            parts.append(hole)
        elif interp and c == "}":
            if j + 1 < n and text[j + 1] == "}":
                buf.append("}")
                j += 2
                continue
            raise src.error("'}' must be doubled in an interpolated string", j)
        else:
            buf.append(c)
            j += 1
    if not interp:
        return Token("string", "".join(buf), i, j)
    parts.append("".join(buf))
    return Token("interp", tuple(parts), i, j)


def _hole(src: Source, start: int, n: int, verbatim: bool = False) -> tuple[Hole, int]:
    """Scans one interpolation hole from just after its `{`; returns it and the index after its `}`."""
    text = src.text
    depth = 0
    j = start
    expr_end = alignment_start = format_start = -1
    while j < n:
        c = text[j]
        if c in "\"'" or (c in "@$" and _string_start(text, j, n)):
            tok = _char(src, j, n) if c == "'" else _string(src, j, n)
            j = tok.end
            continue
        if c in "([{":
            depth += 1
        elif c in ")]" or (c == "}" and depth):
            depth -= 1
        elif depth == 0 and c in ",:}":
            expr_end = j
            break
        elif c == "\n":
            raise src.error("Newline in interpolated string hole", j)
        j += 1
    if expr_end < 0:
        raise src.error("Unterminated interpolation hole", start - 1)
    alignment = fmt = None
    if text[j] == ",":
        alignment_start = j + 1
        while j < n and text[j] not in ":}":
            j += 1
        try:
            alignment = int(text[alignment_start:j].strip())
        except ValueError:
            raise src.error("Invalid alignment in interpolation hole", alignment_start) from None
    if j < n and text[j] == ":":
        format_start = j + 1
        while j < n and text[j] != "}":
            j += 1
        fmt = text[format_start:j]
        if not verbatim and "\\" in fmt:  # a regular string's escapes apply to its format specifiers too
            parts, k = [], format_start
            while k < j:
                if text[k] == "\\":
                    decoded, k = _escape(src, k, j)
                    parts.append(decoded)
                else:
                    parts.append(text[k])
                    k += 1
            fmt = "".join(parts)
    if j >= n or text[j] != "}":
        raise src.error("Unterminated interpolation hole", start - 1)
    if not text[start:expr_end].strip():
        raise src.error("Empty interpolation hole", start)
    return Hole(start, expr_end, alignment, fmt), j + 1
