"""Compiles expression nodes to Python closures `fn(frame) -> value`; names and types resolve here, once."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from keyless.csharp import nodes as n
from keyless.csharp import operators as ops
from keyless.csharp.dotnet.text import Char, align, format_value
from keyless.csharp.errors import CSharpSyntaxError, DotNetException, null_reference
from keyless.csharp.lexer import Source
from keyless.csharp.members import (
    NAMESPACES,
    TYPES,
    AnonymousObject,
    DotNetType,
    Ref,
    TypeRef,
    call_method,
    canonical_name,
    get_member,
    invoke,
    nullable_has_value,
    nullable_value,
    set_member,
)
from keyless.csharp.runtime import index_get, index_set, new_array, unsupported
from keyless.csharp.scope import Frame, FunctionScope, getter, setter

Fn = Callable[[Frame], Any]


class NullShort(Exception):
    """`a?.b` met a null `a`: the whole access chain is null."""


class Compiler:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.scope = FunctionScope(None)
        self.context_slot = self.scope.declare("context", None).slot
        self.unchecked = False
        self._statements: Any = None  # set by statements.StatementCompiler

    def error(self, message: str, pos: int) -> CSharpSyntaxError:
        return self.src.error(message, pos)

    # types

    def type_ref(self, t: n.TypeNode) -> TypeRef:
        name = canonical_name(t.name)
        if name not in TYPES and t.name not in TYPES:
            raise self.error(f"The type or namespace name '{t.name}' could not be found", t.pos)
        return TypeRef(name, tuple(self.type_ref(a) for a in t.args), t.rank, t.nullable)

    def static_type(self, node: n.Node) -> DotNetType | None:
        """The type a Name / dotted Member chain names (`Encoding`, `System.Text.Encoding`), else None."""
        parts: list[str] = []
        while isinstance(node, n.Member) and not node.conditional:
            parts.append(node.name)
            node = node.target
        if not isinstance(node, n.Name) or self.scope.find(node.name) is not None:
            return None
        parts.append(node.name)
        return TYPES.get(".".join(reversed(parts)))

    # expressions

    def expr(self, node: n.Node) -> Fn:
        fn = self.spine(node)
        if isinstance(node, n.Member | n.Index | n.Call) and _has_conditional(node):

            def short_circuit(f: Frame) -> Any:
                try:
                    return fn(f)
                except NullShort:
                    return None

            return short_circuit
        return fn

    def spine(self, node: n.Node) -> Fn:
        method = getattr(self, "e_" + type(node).__name__, None)
        if method is None:
            raise self.error(f"{type(node).__name__} is not an expression", node.pos)
        return method(node)  # type: ignore[no-any-return]

    def e_Literal(self, node: n.Literal) -> Fn:
        value = Char(node.value) if node.type_name == "char" else node.value
        return lambda f: value

    def e_Interpolated(self, node: n.Interpolated) -> Fn:
        parts: list[Any] = []
        for p in node.parts:
            if isinstance(p, str):
                parts.append(p)
            else:
                parts.append((self.expr(p.expr), p.format, p.alignment))

        def interpolate(f: Frame) -> str:
            out = []
            for p in parts:
                if isinstance(p, str):
                    out.append(p)
                else:
                    fn, fmt, alignment = p
                    out.append(align(format_value(fn(f), fmt), alignment))
            return "".join(out)

        return interpolate

    def e_Name(self, node: n.Name) -> Fn:
        found = self.scope.find(node.name)
        if found is None:
            if node.name in TYPES:
                raise self.error(f"'{node.name}' is a type, which is not valid in the given context", node.pos)
            raise self.error(f"The name '{node.name}' does not exist in the current context", node.pos)
        depth, local = found
        return getter(depth, local.slot)

    def _target(self, node: n.Node, conditional: bool) -> Fn:
        fn = self.spine(node)
        if not conditional:
            return fn

        def target(f: Frame) -> Any:
            v = fn(f)
            if v is None:
                raise NullShort
            return v

        return target

    def _static_member(self, t: DotNetType, name: str, pos: int) -> Any:
        if not t.supported:
            return None
        if t.statics is None or not name[:1].isupper() or not hasattr(t.statics, name):
            raise self.error(f"'{t.name}' does not contain a definition for '{name}'", pos)
        return t.statics

    def e_Member(self, node: n.Member) -> Fn:
        t = self.static_type(node.target)
        name = node.name
        if t is not None:
            statics = self._static_member(t, name, node.pos)
            if statics is None:
                return lambda f: unsupported(t.full_name)
            return lambda f: getattr(statics, name)
        self._check_namespace(node)
        target = self._target(node.target, node.conditional)
        if name in ("HasValue", "Value"):
            nullable = nullable_has_value if name == "HasValue" else nullable_value
            return lambda f: nullable(target(f))
        return lambda f: get_member(target(f), name)

    def _check_arity(
        self, fn: Any, count: int, type_args: tuple[Any, ...], label: str, pos: int, constructor: bool = False
    ) -> None:
        """A static call or `new` with an argument count no overload takes is a compile error, as in C# (CS1501)."""
        try:
            signature = inspect.signature(fn)
        except (TypeError, ValueError):
            return
        extra = (type_args,) if getattr(fn, "__csharp_generic__", False) else ()
        try:
            signature.bind(*extra, *([None] * count))
        except TypeError:
            what = "constructor of" if constructor else "method"
            raise self.error(f"No overload for {what} '{label}' takes {count} arguments", pos) from None

    def _check_namespace(self, node: n.Member) -> None:
        """`System.IO.File.X`: a chain from a namespace to a name keyless does not know is CS0234, named."""
        parts: list[n.Member] = []
        root: n.Node = node
        while isinstance(root, n.Member) and not root.conditional:
            parts.append(root)
            root = root.target
        if not isinstance(root, n.Name) or self.scope.find(root.name) is not None or root.name in TYPES:
            return
        names = [root.name] + [m.name for m in reversed(parts)]
        known = max((i for i in range(1, len(names) + 1) if ".".join(names[:i]) in NAMESPACES), default=0)
        if known == 0:
            return  # the root name's own "does not exist" error comes from e_Name
        if known < len(names):
            missing, namespace = list(reversed(parts))[known - 1], ".".join(names[:known])
            raise self.error(
                f"The type or namespace name '{names[known]}' does not exist in the namespace '{namespace}'",
                missing.pos,
            )
        raise self.error(f"'{'.'.join(names)}' is a namespace, which is not valid in the given context", node.pos)

    def _args(
        self, args: tuple[n.Arg, ...]
    ) -> tuple[list[Fn], list[tuple[str, Fn]], list[tuple[int, Callable[..., None]]]]:
        positional: list[Fn] = []
        named: list[tuple[str, Fn]] = []
        outs: list[tuple[int, Callable[..., None]]] = []
        for i, a in enumerate(args):
            if isinstance(a.value, n.OutArg):
                o = a.value
                if o.declares:
                    if self.scope.blocks[-1].get(o.name) is not None:
                        raise self.error(f"A local variable named '{o.name}' is already defined in this scope", o.pos)
                    local = self.scope.declare(o.name, o.declared)
                    outs.append((i, setter(0, local.slot)))
                else:
                    found = self.scope.find(o.name)
                    if found is None:
                        raise self.error(f"The name '{o.name}' does not exist in the current context", o.pos)
                    outs.append((i, setter(found[0], found[1].slot)))
                positional.append(lambda f: Ref())
            elif a.name is not None:
                named.append((a.name, self.expr(a.value)))
            else:
                if named:
                    raise self.error("Named argument specifications must appear after all fixed arguments", a.value.pos)
                positional.append(self.expr(a.value))
        return positional, named, outs

    def e_Call(self, node: n.Call) -> Fn:
        positional, named, outs = self._args(node.args)
        type_args = tuple(self.type_ref(t) for t in node.type_args)

        def evaluate_args(f: Frame) -> tuple[tuple[Any, ...], dict[str, Any]]:
            return tuple(p(f) for p in positional), {k: v(f) for k, v in named}

        def write_outs(f: Frame, args: tuple[Any, ...]) -> None:
            for i, set_ in outs:
                set_(f, args[i].value)

        target = node.target
        if isinstance(target, n.Member):
            name = target.name
            t = self.static_type(target.target)
            if t is not None:
                statics = self._static_member(t, name, target.pos)
                if statics is None:
                    return lambda f: unsupported(t.full_name)
                method = getattr(statics, name)
                self._check_arity(method, len(node.args), type_args, f"{t.name}.{name}", node.pos)

                def static_call(f: Frame) -> Any:
                    args, kwargs = evaluate_args(f)
                    result = invoke(method, args, kwargs, type_args)
                    if outs:
                        write_outs(f, args)
                    return result

                return static_call
            obj = self._target(target.target, target.conditional)
            if isinstance(target.target, n.Name) and self.scope.find(target.target.name) is None:
                self.e_Member(target)  # raises the right "does not exist" error

            def method_call(f: Frame) -> Any:
                o = obj(f)
                args, kwargs = evaluate_args(f)
                result = call_method(o, name, args, kwargs, type_args)
                if outs:
                    write_outs(f, args)
                return result

            return method_call
        if isinstance(target, n.Name) and target.name == "nameof" and self.scope.find("nameof") is None:
            return self._nameof(node)
        fn = self.expr(target)

        def delegate_call(f: Frame) -> Any:
            d = fn(f)
            if d is None:
                raise null_reference()
            args, kwargs = evaluate_args(f)
            result = invoke(d, args, kwargs, type_args)
            if outs:
                write_outs(f, args)
            return result

        return delegate_call

    def _nameof(self, node: n.Call) -> Fn:
        """`nameof(x.Y)` is the constant "Y"."""
        arg = node.args[0].value if len(node.args) == 1 else None
        if not isinstance(arg, n.Name | n.Member):
            raise self.error("Expression does not have a name", node.pos)
        name = arg.name
        return lambda f: name

    def e_Index(self, node: n.Index) -> Fn:
        target = self._target(node.target, node.conditional)
        keys = [self.expr(k) for k in node.args]
        if len(keys) == 1:
            key = keys[0]
            return lambda f: index_get(target(f), key(f))
        return lambda f: index_get(target(f), *(k(f) for k in keys))

    def e_Unary(self, node: n.Unary) -> Fn:
        operand = self.expr(node.operand)
        if node.op == "+":
            return operand
        op = {"-": ops.negate, "!": ops.logical_not, "~": ops.complement}[node.op]
        if node.op == "-" and self.unchecked:
            return lambda f: _wrap_same(ops.negate(operand(f)))
        return lambda f: op(operand(f))

    def e_Binary(self, node: n.Binary) -> Fn:
        left, right = self.expr(node.left), self.expr(node.right)
        if node.op == "&&":
            return lambda f: _bool(left(f), node) and _bool(right(f), node)
        if node.op == "||":
            return lambda f: _bool(left(f), node) or _bool(right(f), node)
        if node.op == "??":

            def coalesce(f: Frame) -> Any:
                v = left(f)
                return right(f) if v is None else v

            return coalesce
        op = ops.BINARY[node.op]
        if node.op in ("+", "-", "*") and self.unchecked:
            return lambda f: op(left(f), right(f), True)  # type: ignore[call-arg]
        return lambda f: op(left(f), right(f))

    def e_Conditional(self, node: n.Conditional) -> Fn:
        test, then, other = self.expr(node.test), self.expr(node.then), self.expr(node.otherwise)
        return lambda f: then(f) if _bool(test(f), node) else other(f)

    def e_Checked(self, node: n.Checked) -> Fn:
        saved = self.unchecked
        self.unchecked = not node.checked
        try:
            return self.expr(node.expr)
        finally:
            self.unchecked = saved

    def e_Cast(self, node: n.Cast) -> Fn:
        ref = self.type_ref(node.type)
        operand = self.expr(node.operand)
        cast = ref.unbox if _object_typed(node.operand) else ref.cast
        return lambda f: cast(operand(f))

    def e_AsType(self, node: n.AsType) -> Fn:
        ref = self.type_ref(node.type)
        operand = self.expr(node.operand)

        def as_(f: Frame) -> Any:
            v = operand(f)
            return v if ref.is_instance(v) else None

        return as_

    def e_IsType(self, node: n.IsType) -> Fn:
        operand = self.expr(node.operand)
        negated = node.negated
        if node.constant is not None:
            constant = self.expr(node.constant)
            return lambda f: ops.equals(operand(f), constant(f)) != negated
        assert node.type is not None
        ref = self.type_ref(node.type)
        if node.designation is None:
            return lambda f: ref.is_instance(operand(f)) != negated
        set_ = setter(0, self.scope.declare(node.designation, node.type).slot)

        def is_and_bind(f: Frame) -> bool:
            v = operand(f)
            if ref.is_instance(v):
                set_(f, v)
                return not negated
            return negated

        return is_and_bind

    def e_Default(self, node: n.Default) -> Fn:
        value = None if node.type is None else self.type_ref(node.type).default()
        return lambda f: value

    def e_TypeOf(self, node: n.TypeOf) -> Fn:
        raise self.error("typeof is not supported by keyless", node.pos)

    def e_Throw(self, node: n.Throw) -> Fn:
        assert node.value is not None
        value = self.expr(node.value)

        def throw(f: Frame) -> Any:
            raise _exception(value(f))

        return throw

    def e_New(self, node: n.New) -> Fn:
        ref = self.type_ref(node.type)
        t = TYPES[ref.name]
        if not t.supported:
            return lambda f: unsupported(t.full_name)
        if t.construct is None:
            raise self.error(f"Cannot create an instance of '{t.name}'", node.pos)
        construct = t.construct
        self._check_arity(construct, len(node.args), ref.args, t.name, node.pos, constructor=True)
        positional, named, _ = self._args(node.args)
        members = [(name, self.expr(v)) for name, v in node.members or ()]
        items = [[self.expr(v) for v in item] for item in node.items or ()]
        generic = getattr(construct, "__csharp_generic__", False)

        def new(f: Frame) -> Any:
            args = tuple(p(f) for p in positional)
            kwargs = {k: v(f) for k, v in named}
            obj = construct(ref.args, *args, **kwargs) if generic else construct(*args, **kwargs)
            for name, v in members:
                set_member(obj, name, v(f))
            for item in items:
                call_method(obj, "Add", tuple(v(f) for v in item), {}, ())
            return obj

        return new

    def e_NewAnonymous(self, node: n.NewAnonymous) -> Fn:
        names = tuple(name for name, _ in node.members)
        values = [self.expr(v) for _, v in node.members]
        return lambda f: AnonymousObject(names, tuple(v(f) for v in values))

    def e_NewArray(self, node: n.NewArray) -> Fn:
        element = None if node.type is None else self.type_ref(node.type)
        size = None if node.size is None else self.expr(node.size)
        items = None if node.items is None else [self.expr(i) for i in node.items]
        return lambda f: new_array(
            element, None if size is None else size(f), None if items is None else [i(f) for i in items]
        )

    def e_Lambda(self, node: n.Lambda) -> Fn:
        return self._statements.function(node.params, (), node.body, node.pos)

    def e_Assign(self, node: n.Assign) -> Fn:
        value = self.expr(node.value)
        op = node.op
        prepare, current, write = self.place(node.target)
        if op == "=":

            def assign(f: Frame) -> Any:
                h = prepare(f)
                v = value(f)
                write(f, h, v)
                return v

            return assign
        if op == "??=":

            def assign_null(f: Frame) -> Any:
                h = prepare(f)
                old = current(f, h)
                if old is not None:
                    return old
                v = value(f)
                write(f, h, v)
                return v

            return assign_null
        base = op[:-1]
        fn = ops.BINARY[base]
        unchecked = self.unchecked and base in ("+", "-", "*")

        def compound(f: Frame) -> Any:
            h = prepare(f)
            old = current(f, h)
            v = fn(old, value(f), True) if unchecked else fn(old, value(f))  # type: ignore[call-arg]
            if isinstance(old, Char) and isinstance(v, int):
                v = Char(chr(v))
            write(f, h, v)
            return v

        return compound

    def e_Step(self, node: n.Step) -> Fn:
        prepare, current, write = self.place(node.target)
        delta = 1 if node.op == "++" else -1
        prefix = node.prefix
        unchecked = self.unchecked

        def step(f: Frame) -> Any:
            h = prepare(f)
            old = current(f, h)
            new = ops.add(old, delta, unchecked)
            if isinstance(old, Char):
                new = Char(chr(new))
            write(f, h, new)
            return new if prefix else old

        return step

    def place(
        self, target: n.Node
    ) -> tuple[Callable[[Frame], Any], Callable[[Frame, Any], Any], Callable[[Frame, Any, Any], None]]:
        """A writable location: prepare evaluates the object and keys once; current reads; write stores."""
        if isinstance(target, n.Name):
            found = self.scope.find(target.name)
            if found is None:
                raise self.error(f"The name '{target.name}' does not exist in the current context", target.pos)
            depth, local = found
            if target.name == "context" and local.slot == 1 and depth == _depth_of_root(self.scope):
                raise self.error("Cannot assign to 'context'", target.pos)
            get, set_ = getter(depth, local.slot), setter(depth, local.slot)
            convert = implicit_conversion(local.type)
            if convert is None:
                return (lambda f: None), (lambda f, h: get(f)), (lambda f, h, v: set_(f, v))
            return (lambda f: None), (lambda f, h: get(f)), (lambda f, h, v: set_(f, convert(v)))
        if isinstance(target, n.Member):
            obj = self.expr(target.target)
            name = target.name
            return obj, (lambda f, h: get_member(h, name)), (lambda f, h, v: set_member(h, name, v))
        if isinstance(target, n.Index):
            obj = self.expr(target.target)
            keys = [self.expr(k) for k in target.args]

            def prepare(f: Frame) -> Any:
                return obj(f), tuple(k(f) for k in keys)

            return prepare, (lambda f, h: index_get(h[0], *h[1])), (lambda f, h, v: index_set(h[0], *h[1], v))
        raise self.error("The left-hand side of an assignment must be a variable, property or indexer", target.pos)


def _depth_of_root(scope: FunctionScope) -> int:
    d = 0
    while scope.parent is not None:
        scope = scope.parent
        d += 1
    return d


def _wrap_same(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return ops.wrap32(v) if -(2**31) <= -v < 2**31 else ops.wrap64(v)
    return v


def _bool(v: Any, node: n.Node) -> bool:
    if v is True or v is False:
        return v
    if v is None:
        raise DotNetException("InvalidOperationException", "Nullable object must have a value.")
    raise DotNetException(
        "InvalidCastException", f"Unable to cast object of type '{type(v).__name__}' to type 'System.Boolean'."
    )


def _exception(v: Any) -> BaseException:
    if v is None:
        return null_reference()
    if isinstance(v, DotNetException):
        return v
    raise DotNetException("InvalidCastException", "The type thrown must be derived from System.Exception")


def _object_typed(node: n.Node) -> bool:
    """`context.Variables[...]` and `context.Variables.GetValueOrDefault(...)` are `object`: casts unbox them."""
    if isinstance(node, n.Index):
        return isinstance(node.target, n.Member) and node.target.name == "Variables"
    if isinstance(node, n.Call) and not node.type_args and isinstance(node.target, n.Member):
        target = node.target
        return (
            target.name == "GetValueOrDefault"
            and isinstance(target.target, n.Member)
            and target.target.name == "Variables"
        )
    return False


def _has_conditional(node: n.Node) -> bool:
    while isinstance(node, n.Member | n.Index | n.Call):
        if isinstance(node, n.Member | n.Index) and node.conditional:
            return True
        node = node.target
    return False


def implicit_conversion(t: n.TypeNode | None) -> Callable[[Any], Any] | None:
    """`double d = 5;` stores 5.0: the implicit numeric conversions a declared type implies."""
    if t is None or t.rank or t.args:
        return None
    name = canonical_name(t.name)
    if name in ("double", "float"):
        return lambda v: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if name == "decimal":
        return lambda v: Decimal(v) if isinstance(v, int) and not isinstance(v, bool) else v
    if name in ("int", "long", "short", "uint", "ulong", "ushort", "byte", "sbyte"):
        return lambda v: ord(v) if isinstance(v, Char) else v
    if name in ("XName", "XNamespace"):  # implicit conversions from string
        convert = TYPES[name].convert
        return lambda v: convert(v) if isinstance(v, str) and convert else v
    return None
