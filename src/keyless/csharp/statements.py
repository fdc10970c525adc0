"""Compiles statements (the `@{ ... }` form, lambda and local function bodies) to closures returning a signal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keyless.csharp import nodes as n
from keyless.csharp import operators as ops
from keyless.csharp.compiler import Compiler, Fn, _bool, _exception, implicit_conversion
from keyless.csharp.errors import DotNetException, null_reference
from keyless.csharp.members import call_method
from keyless.csharp.runtime import to_dotnet_exception
from keyless.csharp.scope import Frame, FunctionScope, setter

Stmt = Callable[[Frame], Any]  # returns None to go on, BREAK, CONTINUE or a Return


class _Signal:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


BREAK = _Signal("break")
CONTINUE = _Signal("continue")


class Return:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class StatementCompiler:
    def __init__(self, c: Compiler) -> None:
        self.c = c
        c._statements = self

    # functions (lambdas and local functions)

    def function(self, params: tuple[str, ...], types: tuple[Any, ...], body: n.Node, pos: int) -> Fn:
        """Compiles a lambda or local function; the result creates a Python callable capturing the frame."""
        c = self.c
        outer = c.scope
        c.scope = FunctionScope(outer)
        try:
            slots = [c.scope.declare(p, types[i] if types else None).slot for i, p in enumerate(params)]
            converts = [implicit_conversion(t) for t in types] if types else [None] * len(params)
            if isinstance(body, n.Block):
                run = self.block(body)
                is_block = True
            else:
                run = c.expr(body)
                is_block = False
            size = c.scope.size
        finally:
            c.scope = outer
        count = len(params)

        def make(parent: Frame) -> Callable[..., Any]:
            def call(*args: Any) -> Any:
                if len(args) != count:
                    raise DotNetException("TargetParameterCountException", "Parameter count mismatch.")
                frame: Frame = [None] * size
                frame[0] = parent
                for slot, convert, a in zip(slots, converts, args, strict=True):
                    frame[slot] = convert(a) if convert else a
                r = run(frame)
                if is_block:
                    return r.value if isinstance(r, Return) else None
                return r

            call.arity = count  # type: ignore[attr-defined]  # LINQ picks the (item, index) overloads by it
            return call

        return make

    # statements

    def stmt(self, node: n.Node) -> Stmt:
        method = getattr(self, "s_" + type(node).__name__, None)
        if method is None:
            raise self.c.error(f"{type(node).__name__} is not a statement", node.pos)
        return method(node)  # type: ignore[no-any-return]

    def block(self, node: n.Block) -> Stmt:
        c = self.c
        c.scope.blocks.append({})
        try:
            # local functions are visible in the whole block, before their declaration
            functions = [s for s in node.body if isinstance(s, n.LocalFunction)]
            slots = {}
            for fn in functions:
                if c.scope.blocks[-1].get(fn.name) is not None:
                    raise c.error(f"A local function named '{fn.name}' is already defined", fn.pos)
                slots[fn.name] = c.scope.declare(fn.name, None).slot
            # compiled in place, so a function sees the locals declared before it
            makers = []
            body = []
            for s in node.body:
                if isinstance(s, n.LocalFunction):
                    makers.append((slots[s.name], self._local_function(s)))
                else:
                    body.append(self.stmt(s))
        finally:
            c.scope.blocks.pop()

        def run(f: Frame) -> Any:
            for slot, make in makers:
                f[slot] = make(f)
            for s in body:
                r = s(f)
                if r is not None:
                    return r
            return None

        return run

    def _local_function(self, node: n.LocalFunction) -> Fn:
        names = tuple(p[0] for p in node.params)
        types = tuple(p[1] for p in node.params)
        for t in types:
            self.c.type_ref(t)
        return self.function(names, types, node.body, node.pos)

    def s_Block(self, node: n.Block) -> Stmt:
        return self.block(node)

    def s_Empty(self, node: n.Empty) -> Stmt:
        return lambda f: None

    def s_ExprStmt(self, node: n.ExprStmt) -> Stmt:
        e = node.expr
        if not isinstance(e, n.Assign | n.Call | n.Step | n.New | n.Throw):
            raise self.c.error(
                "Only assignment, call, increment, decrement and new object expressions can be used as a statement",
                node.pos,
            )
        fn = self.c.expr(e)

        def run(f: Frame) -> None:
            fn(f)

        return run

    def s_LocalDecl(self, node: n.LocalDecl) -> Stmt:
        c = self.c
        if node.type is not None:
            c.type_ref(node.type)
        inits = []
        for name, init, pos in node.declarators:
            if c.scope.find(name) is not None and c.scope.declared_here(name):
                raise c.error(f"A local variable named '{name}' is already defined in this scope", pos)
            if node.type is None and init is None:
                raise c.error("Implicitly-typed variables must be initialized", pos)
            value = c.expr(init) if init is not None else None
            local = c.scope.declare(name, node.type)
            convert = implicit_conversion(node.type)
            inits.append((local.slot, value, convert))

        def run(f: Frame) -> None:
            for slot, value, convert in inits:
                v = value(f) if value is not None else None
                f[slot] = convert(v) if convert and v is not None else v

        return run

    def s_If(self, node: n.If) -> Stmt:
        test = self.c.expr(node.test)
        then = self._scoped(node.then)
        other = self._scoped(node.otherwise) if node.otherwise is not None else None

        def run(f: Frame) -> Any:
            if _bool(test(f), node):
                return then(f)
            if other is not None:
                return other(f)
            return None

        return run

    def _scoped(self, node: n.Node) -> Stmt:
        if isinstance(node, n.Block):
            return self.block(node)
        self.c.scope.blocks.append({})
        try:
            return self.stmt(node)
        finally:
            self.c.scope.blocks.pop()

    def _loop(self, body: Stmt) -> Callable[[Frame], tuple[bool, Any]]:
        """Runs a loop body once: (stop the loop?, signal to pass up)."""

        def once(f: Frame) -> tuple[bool, Any]:
            r = body(f)
            if r is None or r is CONTINUE:
                return False, None
            if r is BREAK:
                return True, None
            return True, r

        return once

    def s_While(self, node: n.While) -> Stmt:
        test = self.c.expr(node.test)
        once = self._loop(self._scoped(node.body))
        do = node.do

        def run(f: Frame) -> Any:
            if do:
                stop, r = once(f)
                if stop:
                    return r
            while _bool(test(f), node):
                stop, r = once(f)
                if stop:
                    return r
            return None

        return run

    def s_For(self, node: n.For) -> Stmt:
        c = self.c
        c.scope.blocks.append({})
        try:
            init = [self.stmt(s) for s in node.init]
            test = c.expr(node.test) if node.test is not None else None
            update = [self.stmt(s) for s in node.update]
            once = self._loop(self._scoped(node.body))
        finally:
            c.scope.blocks.pop()

        def run(f: Frame) -> Any:
            for s in init:
                s(f)
            while test is None or _bool(test(f), node):
                stop, r = once(f)
                if stop:
                    return r
                for s in update:
                    s(f)
            return None

        return run

    def s_Foreach(self, node: n.Foreach) -> Stmt:
        c = self.c
        iterable = c.expr(node.iterable)
        if node.type is not None:
            c.type_ref(node.type)
        c.scope.blocks.append({})
        try:
            slot = c.scope.declare(node.name, node.type).slot
            once = self._loop(self._scoped(node.body))
        finally:
            c.scope.blocks.pop()

        def run(f: Frame) -> Any:
            from keyless.csharp.dotnet.collections import enumerate_items

            items = iterable(f)
            if items is None:
                raise null_reference()
            for item in enumerate_items(items):
                f[slot] = item
                stop, r = once(f)
                if stop:
                    return r
            return None

        return run

    def s_Return(self, node: n.Return) -> Stmt:
        if node.value is None:
            return lambda f: Return(None)
        value = self.c.expr(node.value)
        return lambda f: Return(value(f))

    def s_Jump(self, node: n.Jump) -> Stmt:
        signal = BREAK if node.kind == "break" else CONTINUE
        return lambda f: signal

    def s_Throw(self, node: n.Throw) -> Stmt:
        c = self.c
        if node.value is None:
            if not c.scope.in_catch:
                raise c.error("A throw statement with no arguments is not allowed outside of a catch clause", node.pos)
            slot = c.scope.in_catch[-1]

            def rethrow(f: Frame) -> Any:
                raise f[slot]

            return rethrow
        value = c.expr(node.value)

        def throw(f: Frame) -> Any:
            raise _exception(value(f))

        return throw

    def s_Try(self, node: n.Try) -> Stmt:
        c = self.c
        body = self.block(node.body)
        catches = []
        for catch in node.catches:
            type_name = None
            if catch.type is not None:
                c.type_ref(catch.type)
                type_name = catch.type.name.rsplit(".", 1)[-1]
            c.scope.blocks.append({})
            try:
                exc_slot = c.scope.declare(catch.name or f" exception{len(catches)}", catch.type).slot
                c.scope.in_catch.append(exc_slot)
                when = c.expr(catch.when) if catch.when is not None else None
                run_catch = self.block(catch.body)
            finally:
                c.scope.in_catch.pop()
                c.scope.blocks.pop()
            catches.append((type_name, exc_slot, when, run_catch))
        final = self.block(node.final) if node.final is not None else None

        def run(f: Frame) -> Any:
            try:
                return body(f)
            except Exception as raw:
                exc = to_dotnet_exception(raw)
                if exc is None:
                    raise
                for type_name, slot, when, run_catch in catches:
                    if type_name is None or exc.is_a(type_name):
                        f[slot] = exc
                        if when is not None and not _bool(when(f), node):
                            continue
                        return run_catch(f)
                raise
            finally:
                if final is not None:
                    final(f)

        return run

    def s_Switch(self, node: n.Switch) -> Stmt:
        c = self.c
        value = c.expr(node.value)
        sections = []
        default_index = None
        c.scope.blocks.append({})
        try:
            for i, section in enumerate(node.sections):
                labels = []
                for label in section.labels:
                    if label is None:
                        default_index = i
                    else:
                        labels.append(self._case(label))
                body = self.block(n.Block(section.body, node.pos))
                sections.append((labels, body))
        finally:
            c.scope.blocks.pop()

        def run(f: Frame) -> Any:
            v = value(f)
            chosen = default_index
            for i, (labels, _) in enumerate(sections):
                if any(match(f, v) for match in labels):
                    chosen = i
                    break
            if chosen is None:
                return None
            r = sections[chosen][1](f)
            return None if r is BREAK else r

        return run

    def _case(self, label: n.Node) -> Callable[[Frame, Any], bool]:
        """A case label as a test of the switch value: a constant (by `==`) or a type pattern with its guard."""
        c = self.c
        if not isinstance(label, n.CasePattern):
            constant = c.expr(label)
            return lambda f, v: ops.equals(v, constant(f))
        ref = c.type_ref(label.type)
        slot = c.scope.declare(label.designation, label.type).slot if label.designation else None
        guard = c.expr(label.when) if label.when is not None else None

        def matches(f: Frame, v: Any) -> bool:
            if not ref.is_instance(v):
                return False
            if slot is not None:
                f[slot] = v
            return guard is None or _bool(guard(f), label)

        return matches

    def s_Using(self, node: n.Using) -> Stmt:
        c = self.c
        c.scope.blocks.append({})
        try:
            resource = node.resource
            if isinstance(resource, n.LocalDecl):
                setup = self.s_LocalDecl(resource)
                slot = c.scope.find(resource.declarators[0][0])[1].slot  # type: ignore[index]
                get = lambda f: f[slot]  # noqa: E731
            else:
                value = c.expr(resource.expr)  # type: ignore[attr-defined]
                tmp = c.scope.declare(" using", None).slot
                set_ = setter(0, tmp)
                setup = lambda f: set_(f, value(f))  # noqa: E731
                get = lambda f: f[tmp]  # noqa: E731
            body = self._scoped(node.body)
        finally:
            c.scope.blocks.pop()

        def run(f: Frame) -> Any:
            setup(f)
            try:
                return body(f)
            finally:
                r = get(f)
                if r is not None and hasattr(r, "Dispose"):
                    call_method(r, "Dispose", (), {}, ())

        return run

    def s_CheckedBlock(self, node: n.CheckedBlock) -> Stmt:
        c = self.c
        saved = c.unchecked
        c.unchecked = not node.checked
        try:
            return self.block(node.body)
        finally:
            c.unchecked = saved

    def s_LocalFunction(self, node: n.LocalFunction) -> Stmt:
        raise self.c.error("A local function must be declared directly in a block", node.pos)


def completes(node: n.Node | None) -> bool:
    """Whether a statement can finish normally (C#'s reachability, enough for "not all code paths return")."""
    if node is None:
        return True
    if isinstance(node, n.Return | n.Throw):
        return False
    if isinstance(node, n.Block):
        return all(completes(s) for s in node.body if not isinstance(s, n.LocalFunction))
    if isinstance(node, n.If):
        constant = node.test.value if isinstance(node.test, n.Literal) else None
        if constant is True:  # a constant condition makes the other branch unreachable
            return completes(node.then)
        if constant is False:
            return completes(node.otherwise)
        return node.otherwise is None or completes(node.then) or completes(node.otherwise)
    if isinstance(node, n.While | n.For):
        test = node.test
        forever = test is None or (isinstance(test, n.Literal) and test.value is True)
        return not forever or _breaks(node.body)
    if isinstance(node, n.Try):
        if node.final is not None and not completes(node.final):
            return False
        return completes(node.body) or any(completes(catch.body) for catch in node.catches)
    if isinstance(node, n.Switch):
        has_default = any(None in s.labels for s in node.sections)
        return not has_default or any(
            _breaks(n.Block(s.body, 0)) or completes(n.Block(s.body, 0)) for s in node.sections
        )
    if isinstance(node, n.Using):
        return completes(node.body)
    if isinstance(node, n.CheckedBlock):
        return completes(node.body)
    return True


def _breaks(node: n.Node) -> bool:
    """A `break` that leaves this loop (not one inside a nested loop or switch)."""
    if isinstance(node, n.Jump):
        return node.kind == "break"
    if isinstance(node, n.While | n.For | n.Foreach | n.Switch | n.LocalFunction | n.Lambda):
        return False
    if isinstance(node, n.Block):
        return any(_breaks(s) for s in node.body)
    if isinstance(node, n.If):
        return _breaks(node.then) or (node.otherwise is not None and _breaks(node.otherwise))
    if isinstance(node, n.Try):
        return (
            _breaks(node.body)
            or any(_breaks(c.body) for c in node.catches)
            or (node.final is not None and _breaks(node.final))
        )
    if isinstance(node, n.Using | n.CheckedBlock):
        return _breaks(node.body)
    return False
