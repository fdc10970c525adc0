"""OData query options Graph offers on these collections: `$filter` (a subset), `$select`, `$top`, `$skiptoken`."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from keyless.identity.graph import errors

Predicate = Callable[[dict[str, Any]], bool]

# Query options Graph has that keyless does not implement; refused by name rather than ignored.
UNSUPPORTED_OPTIONS = ("$orderby", "$expand", "$search", "$count", "$skip", "$format", "$apply", "$levels")
MAX_TOP = 999
DEFAULT_PAGE = 100

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<punct>[(),:/])|(?P<word>[A-Za-z_$@][A-Za-z0-9_.$@]*))"
)


@dataclass(frozen=True)
class FilterSpec:
    """Which properties an entity set can filter on: plain (eq) and collections (any)."""

    entity: str
    eq: frozenset[str]
    startswith: frozenset[str]
    any_of: frozenset[str]


@dataclass
class Query:
    predicate: Predicate | None
    select: list[str] | None
    top: int
    skip: int


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise errors.invalid_filter(f"Syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, spec: FilterSpec) -> None:
        self.text = text
        self.spec = spec
        self.toks = _tokens(text)
        self.i = 0

    def fail(self) -> errors.GraphError:
        pos = self.toks[self.i][2] if self.i < len(self.toks) else len(self.text)
        return errors.invalid_filter(f"Syntax error at position {pos} in '{self.text}'.")

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        if self.i >= len(self.toks):
            raise self.fail()
        k, v, _ = self.toks[self.i]
        if (kind and k != kind) or (value and v.lower() != value):
            raise self.fail()
        self.i += 1
        return v

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.i != len(self.toks):
            raise self.fail()
        return pred

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while (self.peek() or "").lower() == "or":
            self.take()
            right, prev = self.and_expr(), left
            left = lambda o, a=prev, b=right: a(o) or b(o)  # noqa: E731
        return left

    def and_expr(self) -> Predicate:
        left = self.atom()
        while (self.peek() or "").lower() == "and":
            self.take()
            right, prev = self.atom(), left
            left = lambda o, a=prev, b=right: a(o) and b(o)  # noqa: E731
        return left

    def atom(self) -> Predicate:
        tok = self.peek()
        if tok == "(":
            self.take()
            inner = self.or_expr()
            self.take("punct", ")")
            return inner
        if (tok or "").lower() == "not":
            self.take()
            inner = self.atom()
            return lambda o: not inner(o)
        name = self.take("word")
        if name.lower() == "startswith":
            self.take("punct", "(")
            prop = self.take("word")
            self.take("punct", ",")
            prefix = self.literal()
            self.take("punct", ")")
            found = _canonical(prop, self.spec.startswith)
            if found is None or not isinstance(prefix, str):
                raise errors.unsupported_query(prop, self.spec.entity)
            prop = found
            low = prefix.lower()
            return lambda o: isinstance(o.get(prop), str) and o[prop].lower().startswith(low)
        if self.peek() == "/":
            self.take()
            self.take("word", "any")
            self.take("punct", "(")
            var = self.take("word")
            self.take("punct", ":")
            if self.take("word") != var:
                raise self.fail()
            self.take("word", "eq")
            wanted = self.literal()
            self.take("punct", ")")
            collection = _canonical(name, self.spec.any_of)
            if collection is None:
                raise errors.unsupported_query(name, self.spec.entity)
            return lambda o: any(_equal(v, wanted) for v in o.get(collection) or [])
        op = self.take("word").lower()
        if op == "in":
            prop_in = _canonical(name, self.spec.eq)
            if prop_in is None:
                raise errors.unsupported_query(name, self.spec.entity)
            self.take("punct", "(")
            options = [self.literal()]
            while self.peek() == ",":
                self.take()
                options.append(self.literal())
            self.take("punct", ")")
            return lambda o: any(_equal(o.get(prop_in), v) for v in options)
        value = self.literal()
        if op != "eq":
            # Graph needs advanced queries (ConsistencyLevel: eventual) for ne/gt/le...; keyless has none of them.
            raise errors.GraphError(
                400, "Request_UnsupportedQuery", f"Unsupported query: operator '{op}' on '{name}' (keyless: only eq)."
            )
        prop_eq = _canonical(name, self.spec.eq)
        if prop_eq is None:
            raise errors.unsupported_query(name, self.spec.entity)
        return lambda o: _equal(o.get(prop_eq), value)

    def literal(self) -> Any:
        kind, value, _ = self.toks[self.i] if self.i < len(self.toks) else ("", "", 0)
        if kind == "str":
            self.i += 1
            return value[1:-1].replace("''", "'")
        if kind == "num":
            self.i += 1
            return int(value)
        if kind == "word" and value.lower() in ("true", "false", "null"):
            self.i += 1
            return {"true": True, "false": False, "null": None}[value.lower()]
        raise self.fail()


def _canonical(name: str, allowed: frozenset[str]) -> str | None:
    """Graph matches property names case-insensitively; the stored JSON uses Graph's own spelling."""
    return next((p for p in allowed if p.lower() == name.lower()), None)


def _equal(actual: Any, wanted: Any) -> bool:
    # Directory string comparisons are case-insensitive.
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.lower() == wanted.lower()
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return actual is wanted
    return bool(actual == wanted)


def parse_filter(text: str, spec: FilterSpec) -> Predicate:
    return _Parser(text, spec).parse()


def parse_query(
    params: Mapping[str, str], spec: FilterSpec | None, properties: frozenset[str], type_name: str
) -> Query:
    for option in params:
        if option.lower() in UNSUPPORTED_OPTIONS:
            raise errors.GraphError(
                400, "BadRequest", f"The query option '{option}' is not supported by keyless on this request."
            )
    predicate = None
    if "$filter" in params:
        if spec is None:
            raise errors.GraphError(400, "BadRequest", "The query option '$filter' is not supported on this request.")
        predicate = parse_filter(params["$filter"], spec)
    top = DEFAULT_PAGE
    if "$top" in params:
        raw = params["$top"]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TOP:
            raise errors.bad_request(f"Invalid page size specified: '{raw}'. Must be between 1 and 999 inclusive.")
        top = int(raw)
    skip = 0
    if "$skiptoken" in params:
        skip = _decode_skiptoken(params["$skiptoken"])
    return Query(predicate, parse_select(params.get("$select"), properties, type_name), top, skip)


def parse_select(raw: str | None, properties: frozenset[str], type_name: str) -> list[str] | None:
    if raw is None:
        return None
    chosen = []
    for prop in (p.strip() for p in raw.split(",") if p.strip()):
        found = _canonical(prop, properties)
        chosen.append(found or prop)
        if found is None:
            raise errors.GraphError(
                400, "BadRequest", f"Could not find a property named '{prop}' on type 'microsoft.graph.{type_name}'."
            )
    return chosen


def project(obj: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    return obj if select is None else {k: obj.get(k) for k in select}


def skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(f"keyless:{offset}".encode()).decode().rstrip("=")


def _decode_skiptoken(token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, _, number = text.partition(":")
        if prefix != "keyless" or not number.isdigit():
            raise ValueError(text)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise errors.GraphError(400, "Request_BadRequest", "Invalid $skiptoken: it is not one keyless issued.") from exc
