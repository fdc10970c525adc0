"""The Liquid subset APIM's set-body `template="liquid"` runs (DotLiquid in "C# mode": PascalCase filters).

Templates are parsed once (`compile_template`); unknown tags and filters are refused then with their position.
Supported: output `{{ }}` with filters, `if`/`elsif`/`else`/`unless`, `case`/`when`, `for` (limit, offset,
reversed, `forloop`), `assign`, `capture`, `comment`, `raw`, whitespace control with `-`. Variables resolve
against plain Python values and the gateway's C#-named `context` objects (attribute, then key, then a
case-insensitive key).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus


class LiquidError(Exception):
    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(f"Liquid template, line {line}: {message}")
        self.line = line


# ----------------------------------------------------------------------------------------------- lexing

TOKEN = re.compile(r"(\{\{-?.*?-?\}\}|\{%-?.*?-?%\})", re.S)
EXPR_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"[^"]*"|'[^']*')
      | (?P<range>\(\s*[^()]+?\.\.[^()]+?\s*\))
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<>|<=|>=|<|>)
      | (?P<punct>[|:,])
      | (?P<path>[A-Za-z_][\w-]*(?:\??)(?:\.[A-Za-z_][\w-]*|\[[^\]]*\])*)
    )""",
    re.X,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str


def _lex_expr(text: str, line: int) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = EXPR_TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise LiquidError(f"unexpected '{text[pos:].strip()}'", line)
        kind = m.lastgroup or ""
        out.append(_Tok(kind, m.group(kind)))
        pos = m.end()
    return out


# ----------------------------------------------------------------------------------------------- expressions

Getter = Callable[["_Scope"], Any]
LITERALS: dict[str, Any] = {"true": True, "false": False, "nil": None, "null": None}
_EMPTY = object()  # `empty` and `blank` compare equal to empty strings, lists and maps


def _compile_value(tok: _Tok, line: int) -> Getter:
    if tok.kind == "string":
        text = tok.text[1:-1]
        return lambda s: text
    if tok.kind == "number":
        number: Any = float(tok.text) if "." in tok.text else int(tok.text)
        return lambda s: number
    if tok.kind == "range":
        low_text, high_text = tok.text[1:-1].split("..", 1)
        low = _compile_value(_lex_expr(low_text, line)[0], line)
        high = _compile_value(_lex_expr(high_text, line)[0], line)
        return lambda s: list(range(int(_num(low(s))), int(_num(high(s))) + 1))
    if tok.kind == "path":
        if tok.text in LITERALS:
            literal = LITERALS[tok.text]
            return lambda s: literal
        if tok.text in ("empty", "blank"):
            return lambda s: _EMPTY
        return _compile_path(tok.text, line)
    raise LiquidError(f"expected a value, found '{tok.text}'", line)


PATH_PART = re.compile(r"\.?([A-Za-z_][\w-]*\??)|\[([^\]]*)\]")


def _compile_path(text: str, line: int) -> Getter:
    parts: list[Getter | str] = []
    for m in PATH_PART.finditer(text):
        if m.group(1) is not None:
            parts.append(m.group(1))
        else:
            inner = m.group(2).strip()
            toks = _lex_expr(inner, line)
            if len(toks) != 1:
                raise LiquidError(f"bad index '[{inner}]'", line)
            parts.append(_compile_value(toks[0], line))
    head, rest = parts[0], parts[1:]
    assert isinstance(head, str)

    def get(scope: _Scope) -> Any:
        value = scope.lookup(head)
        for part in rest:
            value = member(value, part if isinstance(part, str) else part(scope))
        return value

    return get


def member(value: Any, key: Any) -> Any:
    """`value.key` / `value[key]`: Liquid's size/first/last, mapping keys (exact, then case-insensitive),
    list indexes, then C#-named attributes and indexers of gateway objects."""
    if value is None:
        return None
    if isinstance(key, str):
        if key == "size" and isinstance(value, str | list | tuple | Mapping):
            return len(value)
        if key in ("first", "last") and isinstance(value, list | tuple):
            return (value[0] if key == "first" else value[-1]) if value else None
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        if isinstance(key, str):
            lowered = key.lower()
            for k in value:
                if isinstance(k, str) and k.lower() == lowered:
                    return value[k]
        return None
    if isinstance(value, list | tuple | str):
        if isinstance(key, int | float) and not isinstance(key, bool):
            index = int(key)
            return value[index] if -len(value) <= index < len(value) else None
        return None
    # Gateway objects raise .NET-like errors for a missing key; Liquid reads those as nil.
    if isinstance(key, str) and not key.startswith("_"):
        try:
            found = getattr(value, key, _MISSING)
            if found is not _MISSING:
                return found() if callable(found) and key in ("ToString", "ToUri") else found
        except Exception:
            return None
    getitem = getattr(value, "__getitem__", None)
    if getitem is not None:
        try:
            return getitem(key)
        except Exception:
            return None
    return None


_MISSING = object()


def _num(value: Any) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        text = str(value).strip()
        return float(text) if any(c in text for c in ".eE") else int(text)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class _Filtered:
    value: Getter
    filters: tuple[tuple[Callable[..., Any], tuple[Getter, ...]], ...]

    def __call__(self, scope: _Scope) -> Any:
        result = self.value(scope)
        for fn, args in self.filters:
            result = fn(result, *(a(scope) for a in args))
        return result


def _compile_filtered(text: str, line: int) -> _Filtered:
    toks = _lex_expr(text, line)
    if not toks:
        raise LiquidError("empty output", line)
    value = _compile_value(toks[0], line)
    filters = []
    i = 1
    while i < len(toks):
        if toks[i].text != "|" or i + 1 >= len(toks) or toks[i + 1].kind != "path":
            raise LiquidError(f"unexpected '{toks[i].text}'", line)
        name = toks[i + 1].text
        if name not in FILTERS:
            hint = " (filters are PascalCase in APIM, e.g. 'Upcase')" if name[:1].islower() else ""
            raise LiquidError(f"unknown filter '{name}'{hint}", line)
        i += 2
        args: list[Getter] = []
        if i < len(toks) and toks[i].text == ":":
            i += 1
            while i < len(toks) and toks[i].text != "|":
                if toks[i].text != ",":
                    args.append(_compile_value(toks[i], line))
                i += 1
        filters.append((FILTERS[name], tuple(args)))
    return _Filtered(value, tuple(filters))


def _compile_condition(text: str, line: int) -> Getter:
    """`a == b and c or d`: Liquid evaluates `and`/`or` right to left without precedence."""
    parts = re.split(r"\s+(and|or)\s+", text.strip())
    first = _compile_comparison(parts[0], line)
    if len(parts) == 1:
        return first
    op, rest = parts[1], _compile_condition(" ".join(parts[2:]), line)
    if op == "and":
        return lambda s: _truthy(first(s)) and _truthy(rest(s))
    return lambda s: _truthy(first(s)) or _truthy(rest(s))


def _compile_comparison(text: str, line: int) -> Getter:
    m = re.match(r"^(.*?)\s+contains\s+(.*)$", text)
    if m:
        left, right = _compile_value(_single(m.group(1), line), line), _compile_value(_single(m.group(2), line), line)
        return lambda s: _contains(left(s), right(s))
    toks = _lex_expr(text, line)
    if len(toks) == 1:
        return _compile_value(toks[0], line)
    if len(toks) != 3 or toks[1].kind != "op":
        raise LiquidError(f"bad condition '{text}'", line)
    left, right, op = _compile_value(toks[0], line), _compile_value(toks[2], line), toks[1].text
    return lambda s: _compare(op, left(s), right(s))


def _single(text: str, line: int) -> _Tok:
    toks = _lex_expr(text, line)
    if len(toks) != 1:
        raise LiquidError(f"expected one value, found '{text}'", line)
    return toks[0]


def _truthy(value: Any) -> bool:
    return value is not None and value is not False and value is not _EMPTY


def _is_empty(value: Any) -> bool:
    return value == "" or (isinstance(value, list | tuple | Mapping) and len(value) == 0)


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is _EMPTY or right is _EMPTY:
        other = right if left is _EMPTY else left
        same = _is_empty(other)
        return same if op == "==" else (not same) if op in ("!=", "<>") else False
    if op == "==":
        return _eq(left, right)
    if op in ("!=", "<>"):
        return not _eq(left, right)
    try:
        if isinstance(left, int | float) or isinstance(right, int | float):
            left, right = _num(left), _num(right)
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    except TypeError:
        return False


def _eq(left: Any, right: Any) -> bool:
    if isinstance(left, int | float) and isinstance(right, int | float):
        return float(left) == float(right)
    return bool(left == right)


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return str(item) in container
    if isinstance(container, list | tuple):
        return item in container
    if isinstance(container, Mapping):
        return item in container
    return False


# ----------------------------------------------------------------------------------------------- nodes


class _Scope:
    def __init__(self, variables: dict[str, Any]) -> None:
        self.frames: list[dict[str, Any]] = [variables]

    def lookup(self, name: str) -> Any:
        for frame in reversed(self.frames):
            if name in frame:
                return frame[name]
        return None

    def assign(self, name: str, value: Any) -> None:
        self.frames[0][name] = value


Node = Callable[[_Scope, list[str]], None]


def _text(value: str) -> Node:
    return lambda s, out: out.append(value)


def _output(expr: _Filtered) -> Node:
    return lambda s, out: out.append(render_value(expr(s)))


def render_value(value: Any) -> str:
    if value is None or value is _EMPTY:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # .NET's Double.ToString(): 5.0 prints as 5
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list | tuple):
        return "".join(render_value(v) for v in value)
    if isinstance(value, datetime):  # .NET's DateTime.ToString() in the invariant culture
        return format_dotnet_date(value, "MM/dd/yyyy HH:mm:ss")
    return str(value)


def _block(nodes: list[Node]) -> Node:
    def run(scope: _Scope, out: list[str]) -> None:
        for node in nodes:
            node(scope, out)

    return run


@dataclass(frozen=True)
class Template:
    """A compiled Liquid template."""

    root: Node

    def render(self, variables: dict[str, Any]) -> str:
        out: list[str] = []
        try:
            self.root(_Scope(dict(variables)), out)
        except LiquidError:
            raise
        except Exception as exc:  # a filter given values it cannot take (Sort of mixed types...)
            raise LiquidError(f"{type(exc).__name__}: {exc}") from exc
        return "".join(out)


# ----------------------------------------------------------------------------------------------- parsing


@dataclass
class _Piece:
    kind: str  # text | output | tag
    text: str
    line: int


def _pieces(source: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    line = 1
    for part in TOKEN.split(source):
        if not part:
            continue
        if part.startswith("{{"):
            pieces.append(_Piece("output", part, line))
        elif part.startswith("{%"):
            pieces.append(_Piece("tag", part, line))
        else:
            pieces.append(_Piece("text", part, line))
        line += part.count("\n")
    # whitespace control: `{{-`/`{%-` strip the text before, `-}}`/`-%}` the text after
    for i, piece in enumerate(pieces):
        if piece.kind == "text":
            continue
        if piece.text[2] == "-" and i > 0 and pieces[i - 1].kind == "text":
            pieces[i - 1].text = pieces[i - 1].text.rstrip()
        if piece.text[-3] == "-" and i + 1 < len(pieces) and pieces[i + 1].kind == "text":
            pieces[i + 1].text = pieces[i + 1].text.lstrip()
    for piece in pieces:
        if piece.kind != "text":
            inner = piece.text[2:-2]
            piece.text = inner.strip("-").strip()
    return pieces


class _Parser:
    def __init__(self, source: str) -> None:
        self.pieces = _pieces(source)
        self.pos = 0

    def parse(self) -> Template:
        nodes, end = self.block(())
        if end is not None:
            raise LiquidError(f"unexpected '{end.text}'", end.line)
        return Template(_block(nodes))

    def block(self, stops: Iterable[str]) -> tuple[list[Node], _Piece | None]:
        stop_set = set(stops)
        nodes: list[Node] = []
        while self.pos < len(self.pieces):
            piece = self.pieces[self.pos]
            self.pos += 1
            if piece.kind == "text":
                nodes.append(_text(piece.text))
            elif piece.kind == "output":
                nodes.append(_output(_compile_filtered(piece.text, piece.line)))
            else:
                word = piece.text.split(None, 1)[0] if piece.text else ""
                if word in stop_set:
                    return nodes, piece
                nodes.append(self.tag(word, piece))
        if stop_set:
            raise LiquidError(f"missing '{{% {sorted(stop_set)[-1]} %}}'", self.pieces[-1].line if self.pieces else 1)
        return nodes, None

    def tag(self, word: str, piece: _Piece) -> Node:
        rest = piece.text[len(word) :].strip()
        handler = {
            "if": self.if_tag,
            "unless": self.if_tag,
            "for": self.for_tag,
            "assign": self.assign_tag,
            "capture": self.capture_tag,
            "comment": self.comment_tag,
            "raw": self.raw_tag,
            "case": self.case_tag,
        }.get(word)
        if handler is None:
            closing = word.startswith("end") or word in ("else", "elsif", "when")
            raise LiquidError(f"unexpected '{word}'" if closing else f"unknown tag '{word}'", piece.line)
        return handler(word, rest, piece.line)

    def if_tag(self, word: str, rest: str, line: int) -> Node:
        end = "end" + word
        branches: list[tuple[Getter, Node]] = []
        condition = _compile_condition(rest, line)
        if word == "unless":
            inner = condition
            condition = lambda s: not _truthy(inner(s))  # noqa: E731
        otherwise: Node | None = None
        while True:
            nodes, stop = self.block(("elsif", "else", end))
            assert stop is not None
            branches.append((condition, _block(nodes)))
            stop_word = stop.text.split(None, 1)[0]
            if stop_word == end:
                break
            if stop_word == "else":
                nodes, _ = self.block((end,))
                otherwise = _block(nodes)
                break
            condition = _compile_condition(stop.text[len("elsif") :], stop.line)

        def run(scope: _Scope, out: list[str]) -> None:
            for test, body in branches:
                if _truthy(test(scope)):
                    body(scope, out)
                    return
            if otherwise is not None:
                otherwise(scope, out)

        return run

    def case_tag(self, word: str, rest: str, line: int) -> Node:
        subject = _compile_value(_single(rest, line), line)
        nodes, stop = self.block(("when", "else", "endcase"))
        if any(not _is_blank_text(n) for n in nodes):
            raise LiquidError("text between 'case' and the first 'when'", line)
        branches: list[tuple[list[Getter], Node]] = []
        otherwise: Node | None = None
        while stop is not None and stop.text.split(None, 1)[0] != "endcase":
            if stop.text.split(None, 1)[0] == "else":
                body, stop = self.block(("endcase",))
                otherwise = _block(body)
                break
            values = [
                _compile_value(_single(v, stop.line), stop.line)
                for v in re.split(r"\s*,\s*|\s+or\s+", stop.text[len("when") :].strip())
            ]
            body, stop = self.block(("when", "else", "endcase"))
            branches.append((values, _block(body)))

        def run(scope: _Scope, out: list[str]) -> None:
            value = subject(scope)
            for candidates, body in branches:
                if any(_eq(value, c(scope)) for c in candidates):
                    body(scope, out)
                    return
            if otherwise is not None:
                otherwise(scope, out)

        return run

    def for_tag(self, word: str, rest: str, line: int) -> Node:
        m = re.match(r"^(\w+)\s+in\s+(\S+)(.*)$", rest)
        if not m:
            raise LiquidError(f"bad 'for': '{rest}'", line)
        name, source = m.group(1), _compile_value(_single(m.group(2), line), line)
        options = m.group(3)
        reverse = bool(re.search(r"\breversed\b", options))
        limit = re.search(r"\blimit\s*:\s*(\S+)", options)
        offset = re.search(r"\boffset\s*:\s*(\S+)", options)
        limit_get = _compile_value(_single(limit.group(1), line), line) if limit else None
        offset_get = _compile_value(_single(offset.group(1), line), line) if offset else None
        leftover = re.sub(r"\breversed\b|\b(limit|offset)\s*:\s*\S+", "", options).strip()
        if leftover:
            raise LiquidError(f"unsupported 'for' option '{leftover}'", line)
        body_nodes, stop = self.block(("else", "endfor"))
        body = _block(body_nodes)
        empty: Node | None = None
        if stop is not None and stop.text.split(None, 1)[0] == "else":
            empty_nodes, _ = self.block(("endfor",))
            empty = _block(empty_nodes)

        def run(scope: _Scope, out: list[str]) -> None:
            items = _iterate(source(scope))
            start = int(_num(offset_get(scope))) if offset_get else 0
            items = items[start:]
            if limit_get:
                items = items[: int(_num(limit_get(scope)))]
            if reverse:
                items = items[::-1]
            if not items:
                if empty is not None:
                    empty(scope, out)
                return
            frame: dict[str, Any] = {}
            scope.frames.append(frame)
            try:
                for i, item in enumerate(items):
                    frame[name] = item
                    frame["forloop"] = {
                        "index": i + 1, "index0": i, "first": i == 0, "last": i == len(items) - 1,
                        "length": len(items), "rindex": len(items) - i, "rindex0": len(items) - i - 1,
                    }  # fmt: skip
                    body(scope, out)
            finally:
                scope.frames.pop()

        return run

    def assign_tag(self, word: str, rest: str, line: int) -> Node:
        m = re.match(r"^([\w-]+)\s*=\s*(.+)$", rest, re.S)
        if not m:
            raise LiquidError(f"bad 'assign': '{rest}'", line)
        name, expr = m.group(1), _compile_filtered(m.group(2), line)
        return lambda s, out: s.assign(name, expr(s))

    def capture_tag(self, word: str, rest: str, line: int) -> Node:
        name = rest.strip()
        if not re.match(r"^[\w-]+$", name):
            raise LiquidError(f"bad 'capture': '{rest}'", line)
        nodes, _ = self.block(("endcapture",))
        body = _block(nodes)

        def run(scope: _Scope, out: list[str]) -> None:
            captured: list[str] = []
            body(scope, captured)
            scope.assign(name, "".join(captured))

        return run

    def comment_tag(self, word: str, rest: str, line: int) -> Node:
        depth = 1
        while self.pos < len(self.pieces):
            piece = self.pieces[self.pos]
            self.pos += 1
            if piece.kind == "tag":
                first = piece.text.split(None, 1)[0] if piece.text else ""
                depth += first == "comment"
                depth -= first == "endcomment"
                if depth == 0:
                    return lambda s, out: None
        raise LiquidError("missing '{% endcomment %}'", line)

    def raw_tag(self, word: str, rest: str, line: int) -> Node:
        parts: list[str] = []
        while self.pos < len(self.pieces):
            piece = self.pieces[self.pos]
            self.pos += 1
            if piece.kind == "tag" and piece.text == "endraw":
                text = "".join(parts)
                return _text(text)
            parts.append(piece.text if piece.kind == "text" else "{{ " + piece.text + " }}")
        raise LiquidError("missing '{% endraw %}'", line)


def _is_blank_text(node: Node) -> bool:
    out: list[str] = []
    try:
        node(_Scope({}), out)
    except Exception:
        return False
    return "".join(out).strip() == ""


def _iterate(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [_Pair(k, v) for k, v in value.items()]
    items = getattr(value, "items", None)
    if callable(items) and not isinstance(value, list | tuple):
        try:
            return [_Pair(k, v) for k, v in items()]
        except (TypeError, ValueError):
            pass
    try:
        return list(value)
    except TypeError:
        return [value]


@dataclass(frozen=True)
class _Pair:
    """A KeyValuePair as C# code sees it (`Key`, `Value`)."""

    Key: Any
    Value: Any


def compile_template(source: str) -> Template:
    return _Parser(source).parse()


# ----------------------------------------------------------------------------------------------- filters


def _s(value: Any) -> str:
    return render_value(value)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return [value]
    return [value]


def _date_filter(value: Any, fmt: Any = None) -> Any:
    moment = _to_datetime(value)
    if moment is None or fmt is None:
        return value
    return format_dotnet_date(moment, _s(fmt))


def _to_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    text = _s(value).strip()
    if text.lower() in ("now", "today"):
        now = datetime.now(UTC)
        return now if text.lower() == "now" else now.replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


DOTNET_DATE = re.compile(
    r"'[^']*'|\"[^\"]*\"|\\.|yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|f{1,7}|tt|zzz|K"
)


def format_dotnet_date(moment: datetime, fmt: str) -> str:
    """A .NET custom date format (`yyyy-MM-ddTHH:mm:ssZ`, `dd MMM yyyy`...) in the invariant culture."""
    if fmt in ("o", "O"):
        fmt = "yyyy-MM-ddTHH:mm:ss.fffffffK"
    elif fmt == "s":
        fmt = "yyyy-MM-ddTHH:mm:ss"

    def token(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok[0] in "'\"":
            return tok[1:-1]
        if tok[0] == "\\":
            return tok[1]
        hour12 = moment.hour % 12 or 12
        table: dict[str, Callable[[], str]] = {
            "yyyy": lambda: f"{moment.year:04d}", "yy": lambda: f"{moment.year % 100:02d}",
            "MMMM": lambda: moment.strftime("%B"), "MMM": lambda: moment.strftime("%b"),
            "MM": lambda: f"{moment.month:02d}", "M": lambda: str(moment.month),
            "dddd": lambda: moment.strftime("%A"), "ddd": lambda: moment.strftime("%a"),
            "dd": lambda: f"{moment.day:02d}", "d": lambda: str(moment.day),
            "HH": lambda: f"{moment.hour:02d}", "H": lambda: str(moment.hour),
            "hh": lambda: f"{hour12:02d}", "h": lambda: str(hour12),
            "mm": lambda: f"{moment.minute:02d}", "m": lambda: str(moment.minute),
            "ss": lambda: f"{moment.second:02d}", "s": lambda: str(moment.second),
            "tt": lambda: "AM" if moment.hour < 12 else "PM",
            "zzz": lambda: _offset(moment) or "+00:00",
            "K": lambda: "Z" if moment.utcoffset() is not None and not moment.utcoffset() else _offset(moment),
        }  # fmt: skip
        if tok[0] == "f":
            return f"{moment.microsecond:06d}0"[: len(tok)]
        return table[tok]()

    return DOTNET_DATE.sub(token, fmt)


def _offset(moment: datetime) -> str:
    delta = moment.utcoffset()
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _truncate(value: Any, length: Any = 50, ellipsis: Any = "...") -> str:
    text, n, tail = _s(value), int(_num(length)), _s(ellipsis)
    return text if len(text) <= n else text[: max(n - len(tail), 0)] + tail


def _truncate_words(value: Any, count: Any = 15, ellipsis: Any = "...") -> str:
    words = _s(value).split()
    n = int(_num(count))
    return " ".join(words) if len(words) <= n else " ".join(words[:n]) + _s(ellipsis)


def _slice(value: Any, start: Any, length: Any = 1) -> Any:
    begin, n = int(_num(start)), int(_num(length))
    seq: Any = value if isinstance(value, list | tuple) else _s(value)
    if begin < 0:
        begin += len(seq)
    return seq[begin : begin + n]


def _round(value: Any, digits: Any = 0) -> Any:
    number = _num(value)
    places = int(_num(digits))
    # .NET Math.Round defaults to banker's rounding, like Python's round
    return round(number, places) if places else round(number)


def _divided_by(value: Any, divisor: Any) -> Any:
    a, b = _num(value), _num(divisor)
    if b == 0:
        raise LiquidError("divided by 0")
    if isinstance(a, int) and isinstance(b, int):
        return math.floor(a / b)
    return a / b


def _map(value: Any, key: Any) -> list[Any]:
    return [member(item, _s(key)) for item in _list(value)]


FILTERS: dict[str, Callable[..., Any]] = {
    "Abs": lambda v: abs(_num(v)),
    "Append": lambda v, x: _s(v) + _s(x),
    "AtLeast": lambda v, x: max(_num(v), _num(x)),
    "AtMost": lambda v, x: min(_num(v), _num(x)),
    "Capitalize": lambda v: _s(v)[:1].upper() + _s(v)[1:],
    "Compact": lambda v: [x for x in _list(v) if x is not None],
    "Date": _date_filter,
    "Default": lambda v, d="": d if v is None or v is False or _is_empty(v) else v,
    "DividedBy": _divided_by,
    "Downcase": lambda v: _s(v).lower(),
    "Escape": lambda v: html.escape(_s(v)),
    "First": lambda v: (_list(v) or [None])[0] if not isinstance(v, str) else v[:1],
    "H": lambda v: html.escape(_s(v)),
    "Join": lambda v, sep=" ": _s(sep).join(_s(x) for x in _list(v)),
    "Last": lambda v: (_list(v) or [None])[-1] if not isinstance(v, str) else v[-1:],
    "Lstrip": lambda v: _s(v).lstrip(),
    "Map": _map,
    "Minus": lambda v, x: _num(v) - _num(x),
    "Modulo": lambda v, x: _num(v) % _num(x),
    "NewlineToBr": lambda v: (
        _s(v).replace("\r\n", "<br />\r\n").replace("\n", "<br />\n")
        if "\r\n" not in _s(v)
        else _s(v).replace("\r\n", "<br />\r\n")
    ),
    "Plus": lambda v, x: _num(v) + _num(x),
    "Prepend": lambda v, x: _s(x) + _s(v),
    "Remove": lambda v, x: _s(v).replace(_s(x), ""),
    "RemoveFirst": lambda v, x: _s(v).replace(_s(x), "", 1),
    "Replace": lambda v, a, b="": _s(v).replace(_s(a), _s(b)),
    "ReplaceFirst": lambda v, a, b="": _s(v).replace(_s(a), _s(b), 1),
    "Round": _round,
    "Rstrip": lambda v: _s(v).rstrip(),
    "Size": lambda v: len(v) if isinstance(v, str | list | tuple | Mapping) else 0,
    "Slice": _slice,
    "Sort": lambda v, key=None: sorted(_list(v), key=(lambda x: member(x, _s(key))) if key else None),
    "Split": lambda v, sep: _s(v).split(_s(sep)) if _s(sep) else list(_s(v)),
    "Strip": lambda v: _s(v).strip(),
    "StripHtml": lambda v: re.sub(r"<script.*?</script>|<style.*?</style>|<!--.*?-->|<.*?>", "", _s(v), flags=re.S),
    "StripNewlines": lambda v: _s(v).replace("\r", "").replace("\n", ""),
    "Times": lambda v, x: _num(v) * _num(x),
    "Truncate": _truncate,
    "TruncateWords": _truncate_words,
    "Uniq": lambda v: list(dict.fromkeys(_list(v))),
    "Upcase": lambda v: _s(v).upper(),
    "UrlDecode": lambda v: unquote_plus(_s(v)),
    "UrlEncode": lambda v: quote_plus(_s(v)),
}
# `Currency` formats with the gateway's culture; keyless does not guess one, so a template using it is refused.
