"""The syntax tree of policy expressions: frozen dataclasses, each with its source offset `pos`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TypeNode:
    name: str  # as written, dotted: "string", "JObject", "System.Text.Encoding"
    args: tuple[TypeNode, ...] = ()
    rank: int = 0  # array dimensions: `byte[]` has rank 1
    nullable: bool = False
    pos: int = 0


class Node:
    __slots__ = ()
    pos: int


# expressions


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any
    pos: int
    type_name: str = ""  # "int", "long", "double", "decimal", "float", "char", "string", "bool", "null"


@dataclass(frozen=True, slots=True)
class InterpHole(Node):
    expr: Node
    alignment: int | None
    format: str | None
    pos: int


@dataclass(frozen=True, slots=True)
class Interpolated(Node):
    parts: tuple[str | InterpHole, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Member(Node):
    target: Node
    name: str
    pos: int
    conditional: bool = False  # `?.`


@dataclass(frozen=True, slots=True)
class Index(Node):
    target: Node
    args: tuple[Node, ...]
    pos: int
    conditional: bool = False  # `?[`


@dataclass(frozen=True, slots=True)
class OutArg(Node):
    name: str
    declared: TypeNode | None  # `out var x` / `out Jwt x` declare; `out x` assigns an existing local
    declares: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Arg:
    value: Node
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Call(Node):
    target: Node  # Member (a method) or Name (a local function or a delegate)
    args: tuple[Arg, ...]
    type_args: tuple[TypeNode, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # - + ! ~
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Step(Node):
    op: str  # ++ --
    target: Node
    prefix: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    test: Node
    then: Node
    otherwise: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Assign(Node):
    op: str  # = += -= ... ??=
    target: Node
    value: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Cast(Node):
    type: TypeNode
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class IsType(Node):
    operand: Node
    type: TypeNode | None  # None with a constant pattern (`x is null`)
    constant: Node | None
    designation: str | None  # `x is Jwt jwt`
    negated: bool
    pos: int


@dataclass(frozen=True, slots=True)
class AsType(Node):
    operand: Node
    type: TypeNode
    pos: int


@dataclass(frozen=True, slots=True)
class New(Node):
    type: TypeNode
    args: tuple[Arg, ...]
    # object initializer `{ Key = v }` (names) or collection initializer `{ a, {k, v} }` (tuples of nodes)
    members: tuple[tuple[str, Node], ...] | None
    items: tuple[tuple[Node, ...], ...] | None
    pos: int


@dataclass(frozen=True, slots=True)
class NewAnonymous(Node):
    """`new { a = 1, b.C }`: members in declaration order, projections already named."""

    members: tuple[tuple[str, Node], ...]
    pos: int


@dataclass(frozen=True, slots=True)
class NewArray(Node):
    type: TypeNode | None  # None for `new[] {..}`
    size: Node | None
    items: tuple[Node, ...] | None
    pos: int


@dataclass(frozen=True, slots=True)
class Lambda(Node):
    params: tuple[str, ...]
    body: Node  # an expression or a Block
    pos: int


@dataclass(frozen=True, slots=True)
class Checked(Node):
    expr: Node
    checked: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Default(Node):
    type: TypeNode | None
    pos: int


@dataclass(frozen=True, slots=True)
class TypeOf(Node):
    type: TypeNode
    pos: int


# statements


@dataclass(frozen=True, slots=True)
class Block(Node):
    body: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class LocalDecl(Node):
    type: TypeNode | None  # None for `var`
    declarators: tuple[tuple[str, Node | None, int], ...]  # (name, initializer, pos)
    pos: int


@dataclass(frozen=True, slots=True)
class ExprStmt(Node):
    expr: Node
    pos: int


@dataclass(frozen=True, slots=True)
class If(Node):
    test: Node
    then: Node
    otherwise: Node | None
    pos: int


@dataclass(frozen=True, slots=True)
class While(Node):
    test: Node
    body: Node
    pos: int
    do: bool = False


@dataclass(frozen=True, slots=True)
class For(Node):
    init: tuple[Node, ...]
    test: Node | None
    update: tuple[Node, ...]
    body: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Foreach(Node):
    type: TypeNode | None
    name: str
    iterable: Node
    body: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Return(Node):
    value: Node | None
    pos: int


@dataclass(frozen=True, slots=True)
class Jump(Node):
    kind: str  # break, continue
    pos: int


@dataclass(frozen=True, slots=True)
class Throw(Node):
    value: Node | None
    pos: int


@dataclass(frozen=True, slots=True)
class Catch:
    type: TypeNode | None
    name: str | None
    body: Block
    when: Node | None = None


@dataclass(frozen=True, slots=True)
class Try(Node):
    body: Block
    catches: tuple[Catch, ...]
    final: Block | None
    pos: int


@dataclass(frozen=True, slots=True)
class CasePattern(Node):
    """`case JObject o when o.Count > 0:` (a C# 7 type pattern in a switch)."""

    type: TypeNode
    designation: str | None
    when: Node | None
    pos: int


@dataclass(frozen=True, slots=True)
class SwitchSection:
    labels: tuple[Node | None, ...]  # None is `default:`
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Switch(Node):
    value: Node
    sections: tuple[SwitchSection, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Using(Node):
    resource: Node  # a LocalDecl or an expression
    body: Node
    pos: int


@dataclass(frozen=True, slots=True)
class LocalFunction(Node):
    name: str
    params: tuple[tuple[str, TypeNode], ...]
    returns: TypeNode
    body: Node  # a Block, or an expression for `=> expr`
    pos: int


@dataclass(frozen=True, slots=True)
class CheckedBlock(Node):
    body: Block
    checked: bool
    pos: int


@dataclass(frozen=True, slots=True)
class Empty(Node):
    pos: int
