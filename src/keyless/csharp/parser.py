"""Recursive-descent parser: tokens -> frozen nodes, with C#'s operator precedence."""

from __future__ import annotations

from keyless.csharp import nodes as n
from keyless.csharp.errors import CSharpSyntaxError
from keyless.csharp.lexer import KEYWORDS, Hole, Source, Token, tokenize

PREDEFINED = frozenset(
    "bool byte sbyte char decimal double float int uint long ulong object short ushort string dynamic".split()
)
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("|",),
    ("^",),
    ("&",),
    ("==", "!="),
    ("<", ">", "<=", ">=", "is", "as"),
    ("<<", ">>"),
    ("+", "-"),
    ("*", "/", "%"),
)
_ASSIGN_OPS = frozenset("= += -= *= /= %= &= |= ^= <<= >>= ??=".split())
# Tokens after `(T)` that make it a cast of a non-predefined type (C# spec 12.9.7).
_CAST_FOLLOWERS_KW = frozenset("new typeof default true false null checked unchecked this base".split())


class _Backtrack(Exception):
    pass


class _Committed(Exception):
    """A syntax error after the parse committed to a construct (`T x = ...`): no backtracking may hide it."""

    def __init__(self, error: CSharpSyntaxError) -> None:
        super().__init__(str(error))
        self.error = error


class Parser:
    def __init__(self, src: Source, start: int = 0, end: int | None = None) -> None:
        self.src = src
        self.tokens = tokenize(src, start, end)
        self.i = 0

    # token helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def at(self, value: str, k: int = 0) -> bool:
        t = self.peek(k) if k else self.tok
        return t.kind in ("op", "name") and t.value == value

    def at_name(self, k: int = 0) -> bool:
        t = self.peek(k) if k else self.tok
        return t.kind == "name" and t.value not in KEYWORDS

    def accept(self, value: str) -> bool:
        if self.at(value):
            self.i += 1
            return True
        return False

    def expect(self, value: str) -> Token:
        if not self.at(value):
            self.fail(f"'{value}' expected")
        t = self.tok
        self.i += 1
        return t

    def expect_name(self) -> Token:
        if not self.at_name():
            self.fail("Identifier expected")
        t = self.tok
        self.i += 1
        return t

    def fail(self, message: str, pos: int | None = None) -> None:
        t = self.tok
        if pos is None and t.kind == "eof":
            message = f"{message}; found end of expression"
        elif pos is None:
            message = f"{message}; found '{self.src.text[t.pos : t.end]}'"
        raise self.src.error(message, t.pos if pos is None else pos)

    def _shift_assign(self) -> bool:
        """`>` directly followed by `>=` is the `>>=` operator."""
        return self.at(">") and self.at(">=", 1) and self.peek().pos == self.tok.end

    def _shift_right(self) -> bool:
        """Two adjacent `>` tokens are the `>>` operator (they are lexed apart for generics)."""
        return self.at(">") and self.at(">", 1) and self.peek().pos == self.tok.end

    # entry points

    def parse_policy_expression(self) -> n.Node:
        """`@(expr)` -> the expression; `@{ ... }` -> a Block."""
        try:
            return self._policy_expression()
        except _Committed as c:
            raise c.error from None

    def _policy_expression(self) -> n.Node:
        start = self.tok.pos
        if not self.accept("@"):
            self.fail("Policy expression must start with '@(' or '@{'", start)
        if self.at("("):
            self.i += 1
            expr = self.expression()
            self.expect(")")
            result: n.Node = expr
        elif self.at("{"):
            result = self.block()
        else:
            self.fail("Policy expression must start with '@(' or '@{'", start)
        if self.tok.kind != "eof":
            self.fail("Unexpected text after the end of the expression")
        return result

    # types

    def type_(self, *, allow_nullable: bool = True, allow_array: bool = True) -> n.TypeNode:
        start = self.tok
        if not (self.tok.kind == "name" and (self.tok.value not in KEYWORDS)):
            raise _Backtrack
        parts = [self.tok.value]
        self.i += 1
        args: tuple[n.TypeNode, ...] = ()
        while True:
            if self.at(".") and self.at_name(1):
                self.i += 1
                parts.append(self.tok.value)
                self.i += 1
            elif self.at("<") and not args:
                self.i += 1
                targs = [self.type_()]
                while self.accept(","):
                    targs.append(self.type_())
                if not self.at(">"):
                    raise _Backtrack
                self.i += 1
                args = tuple(targs)
            else:
                break
        nullable = False
        # `int? x` / `(int?)x`: a `?` followed by a name or `)` is not a conditional operator
        if allow_nullable and self.at("?") and (self.at_name(1) or self.at(")", 1)):
            self.i += 1
            nullable = True
        rank = 0
        while allow_array and self.at("[") and (self.at("]", 1) or self.at(",", 1)):
            self.i += 1
            while self.accept(","):
                pass
            self.expect("]")
            rank += 1
        return n.TypeNode(".".join(parts), args, rank, nullable, start.pos)

    def try_(self, fn):  # type: ignore[no-untyped-def]
        """Runs fn speculatively; on failure restores the position and returns None."""
        saved = self.i
        try:
            return fn()
        except (_Backtrack, CSharpSyntaxError):
            self.i = saved
            return None

    # statements

    def block(self) -> n.Block:
        start = self.expect("{").pos
        body = []
        while not self.at("}"):
            if self.tok.kind == "eof":
                self.fail("'}' expected")
            body.append(self.statement())
        self.i += 1
        return n.Block(tuple(body), start)

    def embedded(self) -> n.Node:
        return self.statement()

    def statement(self) -> n.Node:
        t = self.tok
        pos = t.pos
        if self.at("{"):
            return self.block()
        if self.accept(";"):
            return n.Empty(pos)
        if t.kind == "name":
            kw = t.value
            if kw == "if":
                self.i += 1
                self.expect("(")
                test = self.expression()
                self.expect(")")
                then = self.embedded()
                other = self.embedded() if self.accept("else") else None
                return n.If(test, then, other, pos)
            if kw == "while":
                self.i += 1
                self.expect("(")
                test = self.expression()
                self.expect(")")
                return n.While(test, self.embedded(), pos)
            if kw == "do":
                self.i += 1
                body = self.embedded()
                self.expect("while")
                self.expect("(")
                test = self.expression()
                self.expect(")")
                self.expect(";")
                return n.While(test, body, pos, do=True)
            if kw == "for":
                return self._for(pos)
            if kw == "foreach":
                self.i += 1
                self.expect("(")
                ftype = None
                if not (self.at("var") and self.at_name(1)):
                    ftype = self.type_() if self.at_name() else self.fail("Type expected")
                else:
                    self.i += 1
                name = self.expect_name().value
                self.expect("in")
                iterable = self.expression()
                self.expect(")")
                return n.Foreach(ftype, name, iterable, self.embedded(), pos)
            if kw == "return":
                self.i += 1
                value = None if self.at(";") else self.expression()
                self.expect(";")
                return n.Return(value, pos)
            if kw in ("break", "continue"):
                self.i += 1
                self.expect(";")
                return n.Jump(kw, pos)
            if kw == "throw":
                self.i += 1
                value = None if self.at(";") else self.expression()
                self.expect(";")
                return n.Throw(value, pos)
            if kw == "try":
                return self._try(pos)
            if kw == "switch":
                return self._switch(pos)
            if kw == "using":
                self.i += 1
                self.expect("(")
                resource = self.try_(self._declaration_head) or n.ExprStmt(self.expression(), self.tok.pos)
                self.expect(")")
                return n.Using(resource, self.embedded(), pos)
            if kw in ("checked", "unchecked") and self.at("{", 1):
                self.i += 1
                return n.CheckedBlock(self.block(), kw == "checked", pos)
            if kw == "const":
                self.i += 1
                decl = self._declaration_head()
                self.expect(";")
                return decl
            decl = self.try_(self._declaration_or_function)
            if decl is not None:
                return decl
        expr = self.expression()
        self.expect(";")
        return n.ExprStmt(expr, pos)

    def _declaration_head(self) -> n.LocalDecl:
        pos = self.tok.pos
        dtype: n.TypeNode | None
        if self.at("var") and self.at_name(1):
            self.i += 1
            dtype = None
        else:
            dtype = self.type_()
        if not self.at_name():
            raise _Backtrack
        decls = []
        while True:
            name = self.expect_name()
            init = None
            if self.accept("="):
                # `T x =` can only be a declaration: an error in the initializer is the error to report
                try:
                    init = self._initializer(dtype)
                except CSharpSyntaxError as e:
                    raise _Committed(e) from None
            elif not (self.at(";") or self.at(",") or self.at(")")):
                raise _Backtrack
            decls.append((name.value, init, name.pos))
            if not self.accept(","):
                break
        return n.LocalDecl(dtype, tuple(decls), pos)

    def _initializer(self, dtype: n.TypeNode | None) -> n.Node:
        # `int[] a = { 1, 2 };` is an array initializer without `new`
        if self.at("{") and dtype is not None and dtype.rank:
            pos = self.tok.pos
            items = self._brace_items()
            return n.NewArray(n.TypeNode(dtype.name, dtype.args, dtype.rank - 1), None, items, pos)
        return self.expression()

    def _declaration_or_function(self) -> n.Node:
        pos = self.tok.pos
        if (self.at_name() and self.at_name(1) and self.at("(", 2)) or (self.tok.kind == "name" and not self.at("var")):
            saved = self.i
            try:
                rtype = self.type_()
                if self.at_name() and self.at("(", 1):
                    return self._local_function(rtype, pos)
            except _Backtrack:
                pass
            self.i = saved
        decl = self._declaration_head()
        self.expect(";")
        return decl

    def _local_function(self, rtype: n.TypeNode, pos: int) -> n.LocalFunction:
        name = self.expect_name().value
        self.expect("(")
        params = []
        while not self.at(")"):
            ptype = self.type_()
            pname = self.expect_name().value
            params.append((pname, ptype))
            if not self.accept(","):
                break
        self.expect(")")
        if not (self.at("=>") or self.at("{")):
            raise _Backtrack
        # `T f(...) {` / `=>` can only be a local function: its body's errors are the ones to report
        try:
            if self.accept("=>"):
                body: n.Node = self.expression()
                self.expect(";")
            else:
                body = self.block()
        except CSharpSyntaxError as e:
            raise _Committed(e) from None
        return n.LocalFunction(name, tuple(params), rtype, body, pos)

    def _for(self, pos: int) -> n.For:
        self.i += 1
        self.expect("(")
        init: list[n.Node] = []
        if not self.at(";"):
            decl = self.try_(self._declaration_head)
            if decl is not None:
                init.append(decl)
            else:
                init.append(n.ExprStmt(self.expression(), self.tok.pos))
                while self.accept(","):
                    init.append(n.ExprStmt(self.expression(), self.tok.pos))
        self.expect(";")
        test = None if self.at(";") else self.expression()
        self.expect(";")
        update: list[n.Node] = []
        if not self.at(")"):
            update.append(n.ExprStmt(self.expression(), self.tok.pos))
            while self.accept(","):
                update.append(n.ExprStmt(self.expression(), self.tok.pos))
        self.expect(")")
        return n.For(tuple(init), test, tuple(update), self.embedded(), pos)

    def _try(self, pos: int) -> n.Try:
        self.i += 1
        body = self.block()
        catches = []
        while self.accept("catch"):
            ctype = cname = None
            if self.accept("("):
                ctype = self.type_()
                if self.at_name():
                    cname = self.expect_name().value
                self.expect(")")
            when = None
            if self.at("when"):
                self.i += 1
                self.expect("(")
                when = self.expression()
                self.expect(")")
            catches.append(n.Catch(ctype, cname, self.block(), when))
        final = self.block() if self.accept("finally") else None
        if not catches and final is None:
            self.fail("Expected catch or finally")
        return n.Try(body, tuple(catches), final, pos)

    def _switch(self, pos: int) -> n.Switch:
        self.i += 1
        self.expect("(")
        value = self.expression()
        self.expect(")")
        self.expect("{")
        sections = []
        while not self.accept("}"):
            labels: list[n.Node | None] = []
            while self.at("case") or self.at("default"):
                if self.accept("default"):
                    labels.append(None)
                else:
                    self.i += 1
                    labels.append(self.try_(self._case_pattern) or self.expression())
                self.expect(":")
            if not labels:
                self.fail("'case' or 'default' expected")
            body = []
            while not (self.at("case") or self.at("default") or self.at("}")):
                body.append(self.statement())
            sections.append(n.SwitchSection(tuple(labels), tuple(body)))
        return n.Switch(value, tuple(sections), pos)

    def _case_pattern(self) -> n.CasePattern:
        pos = self.tok.pos
        ptype = self.type_()
        name = self.expect_name().value if self.at_name() else None
        when = None
        if self.at("when"):
            self.i += 1
            when = self.expression()
        if not self.at(":") or (name is None and when is None and ptype.name not in PREDEFINED):
            raise _Backtrack  # a constant such as `case Kind.A:` is an expression, not a type
        return n.CasePattern(ptype, name, when, pos)

    # expressions

    def expression(self) -> n.Node:
        lam = self._lambda()
        if lam is not None:
            return lam
        pos = self.tok.pos
        left = self._conditional()
        if self.tok.kind == "op" and (self.tok.value in _ASSIGN_OPS or self._shift_assign()):
            if self.at(">"):
                op = ">>="
                self.i += 2
            else:
                op = self.tok.value
                self.i += 1
            if not isinstance(left, n.Name | n.Member | n.Index):
                self.fail("The left-hand side of an assignment must be a variable, property or indexer", pos)
            return n.Assign(op, left, self.expression(), pos)
        return left

    def _lambda(self) -> n.Lambda | None:
        pos = self.tok.pos
        if self.at_name() and self.at("=>", 1):
            name = self.tok.value
            self.i += 2
            return n.Lambda((name,), self._lambda_body(), pos)
        if not self.at("("):
            return None
        depth, k = 0, 0
        while True:
            t = self.peek(k)
            if t.kind == "eof":
                return None
            if t.kind == "op" and t.value in "([{":
                depth += 1
            elif t.kind == "op" and t.value in ")]}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        if not self.at("=>", k + 1):
            return None
        self.i += 1
        params = []
        while not self.at(")"):
            names = []
            while not (self.at(",") or self.at(")")):
                if self.tok.kind == "name":
                    names.append(self.tok.value)
                self.i += 1
            if not names:
                self.fail("Identifier expected")
            params.append(names[-1])
            self.accept(",")
        self.expect(")")
        self.expect("=>")
        return n.Lambda(tuple(params), self._lambda_body(), pos)

    def _lambda_body(self) -> n.Node:
        return self.block() if self.at("{") else self.expression()

    def _conditional(self) -> n.Node:
        pos = self.tok.pos
        test = self._coalesce()
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            return n.Conditional(test, then, self.expression(), pos)
        return test

    def _coalesce(self) -> n.Node:
        pos = self.tok.pos
        left = self._binary(0)
        if self.accept("??"):
            if self.at("throw"):
                tpos = self.tok.pos
                self.i += 1
                right: n.Node = n.Throw(self._coalesce(), tpos)
            else:
                right = self._coalesce()
            return n.Binary("??", left, right, pos)
        return left

    def _binary(self, level: int) -> n.Node:
        if level == len(_BINARY_LEVELS):
            return self._unary()
        ops = _BINARY_LEVELS[level]
        pos = self.tok.pos
        left = self._binary(level + 1)
        while True:
            if ">>" in ops and self._shift_right() and not self.at(">=", 1):
                self.i += 2
                left = n.Binary(">>", left, self._binary(level + 1), pos)
                continue
            t = self.tok
            if t.kind not in ("op", "name") or t.value not in ops:
                return left
            if t.value == ">" and (self._shift_right() or self._shift_assign()):
                return left
            self.i += 1
            if t.value == "is":
                left = self._is(left, pos)
            elif t.value == "as":
                left = n.AsType(left, self.type_(), pos)
            else:
                left = n.Binary(t.value, left, self._binary(level + 1), pos)

    def _is(self, operand: n.Node, pos: int) -> n.Node:
        negated = False
        if self.at("not"):
            self.i += 1
            negated = True
        if self.at("null") or self.tok.kind in ("int", "real", "string", "char") or self.at("true") or self.at("false"):
            return n.IsType(operand, None, self._unary(), None, negated, pos)
        itype = self.type_()
        name = self.expect_name().value if self.at_name() else None
        return n.IsType(operand, itype, None, name, negated, pos)

    def _unary(self) -> n.Node:
        t = self.tok
        pos = t.pos
        if t.kind == "op":
            if t.value in ("-", "+", "!", "~"):
                self.i += 1
                return n.Unary(t.value, self._unary(), pos)
            if t.value in ("++", "--"):
                self.i += 1
                return n.Step(t.value, self._unary(), True, pos)
            if t.value == "(":
                cast = self.try_(self._cast)
                if cast is not None:
                    return cast
        return self._postfix(self._primary())

    def _cast(self) -> n.Cast:
        pos = self.tok.pos
        self.i += 1
        ctype = self.type_()
        if not self.at(")"):
            raise _Backtrack
        self.i += 1
        t = self.tok
        predefined = ctype.name in PREDEFINED and not ctype.args
        follows = (
            t.kind in ("int", "real", "string", "char", "interp")
            or (t.kind == "name" and (t.value not in KEYWORDS or t.value in _CAST_FOLLOWERS_KW))
            or (t.kind == "op" and t.value in ("(", "~", "!", "@"))
            or (predefined and t.kind == "op" and t.value in ("-", "+", "++", "--"))
        )
        if not follows:
            raise _Backtrack
        return n.Cast(ctype, self._unary(), pos)

    def _args(self, close: str) -> tuple[n.Arg, ...]:
        args = []
        while not self.at(close):
            name = None
            if self.at_name() and self.at(":", 1):
                name = self.tok.value
                self.i += 2
            if self.at("out") or self.at("ref"):
                opos = self.tok.pos
                self.i += 1
                if self.at("var") and self.at_name(1):
                    self.i += 1
                    value: n.Node = n.OutArg(self.expect_name().value, None, True, opos)
                elif self.at_name() and not self.at_name(1):
                    value = n.OutArg(self.expect_name().value, None, False, opos)
                else:
                    otype = self.type_()
                    value = n.OutArg(self.expect_name().value, otype, True, opos)
            else:
                value = self.expression()
            args.append(n.Arg(value, name))
            if not self.accept(","):
                break
        self.expect(close)
        return tuple(args)

    def _type_args(self) -> tuple[n.TypeNode, ...]:
        """`<T, U>` directly before `(`: a generic method call; anything else backtracks."""
        self.expect("<")
        targs = [self.type_()]
        while self.accept(","):
            targs.append(self.type_())
        if not self.at(">") or not self.at("(", 1):
            raise _Backtrack
        self.i += 1
        return tuple(targs)

    def _primary(self) -> n.Node:
        t = self.tok
        pos = t.pos
        kind = t.kind
        if kind == "int":
            self.i += 1
            return n.Literal(*_int_literal(t, self))
        if kind == "real":
            self.i += 1
            return n.Literal(*_real_literal(t, self))
        if kind == "string":
            self.i += 1
            return n.Literal(t.value, pos, "string")
        if kind == "char":
            self.i += 1
            return n.Literal(t.value, pos, "char")
        if kind == "interp":
            self.i += 1
            return self._interpolated(t)
        if kind == "op":
            if t.value == "(":
                self.i += 1
                expr = self.expression()
                self.expect(")")
                return expr
            self.fail("Invalid expression term")
        if kind == "eof":
            self.fail("Expression expected")
        word = t.value
        if word in ("true", "false"):
            self.i += 1
            return n.Literal(word == "true", pos, "bool")
        if word == "null":
            self.i += 1
            return n.Literal(None, pos, "null")
        if word == "new":
            return self._new()
        if word in ("checked", "unchecked"):
            self.i += 1
            self.expect("(")
            expr = self.expression()
            self.expect(")")
            return n.Checked(expr, word == "checked", pos)
        if word == "default":
            self.i += 1
            if self.accept("("):
                dtype = self.type_()
                self.expect(")")
                return n.Default(dtype, pos)
            return n.Default(None, pos)
        if word == "typeof":
            self.i += 1
            self.expect("(")
            ttype = self.type_()
            self.expect(")")
            return n.TypeOf(ttype, pos)
        if word in KEYWORDS:
            self.fail(f"Invalid expression term '{word}'")
        self.i += 1
        if self.at("<"):
            targs = self.try_(self._type_args)
            if targs is not None:
                self.expect("(")
                return n.Call(n.Name(word, pos), self._args(")"), targs, pos)
        return n.Name(word, pos)

    def _postfix(self, expr: n.Node) -> n.Node:
        while True:
            t = self.tok
            if t.kind != "op":
                return expr
            v = t.value
            if v in (".", "?."):
                self.i += 1
                name = self.tok
                if name.kind != "name":
                    self.fail("Identifier expected")
                self.i += 1
                expr = n.Member(expr, name.value, name.pos, v == "?.")
                if self.at("<"):
                    targs = self.try_(self._type_args)
                    if targs is not None:
                        self.expect("(")
                        expr = n.Call(expr, self._args(")"), targs, name.pos)
            elif v == "(":
                self.i += 1
                expr = n.Call(expr, self._args(")"), (), t.pos)
            elif v == "[":
                self.i += 1
                expr = n.Index(expr, tuple(a.value for a in self._args("]")), t.pos)
            elif v == "?" and self.at("[", 1) and self.peek().pos == t.end:
                self.i += 2
                expr = n.Index(expr, tuple(a.value for a in self._args("]")), t.pos, True)
            elif v in ("++", "--"):
                self.i += 1
                expr = n.Step(v, expr, False, t.pos)
            else:
                return expr

    def _brace_items(self) -> tuple[n.Node, ...]:
        self.expect("{")
        items = []
        while not self.at("}"):
            items.append(self.expression())
            if not self.accept(","):
                break
        self.expect("}")
        return tuple(items)

    def _new(self) -> n.Node:
        pos = self.tok.pos
        self.i += 1
        if self.at("["):
            self.i += 1
            self.expect("]")
            return n.NewArray(None, None, self._brace_items(), pos)
        if self.at("{"):
            return self._anonymous(pos)
        ntype = self.type_(allow_array=False)
        if self.at("["):
            self.i += 1
            size = None if self.at("]") else self.expression()
            self.expect("]")
            rank = 0
            while self.at("[") and self.at("]", 1):
                self.i += 2
                rank += 1
            etype = n.TypeNode(ntype.name, ntype.args, rank, ntype.nullable, ntype.pos)
            items = self._brace_items() if self.at("{") else None
            if size is None and items is None:
                self.fail("Array creation must have array size or array initializer")
            return n.NewArray(etype, size, items, pos)
        args: tuple[n.Arg, ...] = ()
        if self.accept("("):
            args = self._args(")")
        elif not self.at("{"):
            self.fail("'(' or '{' expected")
        members = items2 = None
        if self.accept("{"):
            if self.at_name() and self.at("=", 1):
                mlist = []
                while not self.at("}"):
                    name = self.expect_name().value
                    self.expect("=")
                    mlist.append((name, self.expression()))
                    if not self.accept(","):
                        break
                members = tuple(mlist)
            else:
                ilist = []
                while not self.at("}"):
                    if self.at("{"):
                        ilist.append(self._brace_items())
                    else:
                        ilist.append((self.expression(),))
                    if not self.accept(","):
                        break
                items2 = tuple(ilist)
            self.expect("}")
        return n.New(ntype, args, members, items2, pos)

    def _anonymous(self, pos: int) -> n.NewAnonymous:
        """`new { a = 1, b, c.D }`: named members, or projections named after the simple name / member accessed."""
        self.expect("{")
        members: list[tuple[str, n.Node]] = []
        while not self.at("}"):
            mpos = self.tok.pos
            if self.at_name() and self.at("=", 1):
                name = self.tok.value
                self.i += 2
                value = self.expression()
                if isinstance(value, n.Literal) and value.type_name == "null":
                    self.fail("Cannot assign '<null>' to anonymous type property", value.pos)
            else:
                value = self.expression()
                if isinstance(value, n.Name):
                    name = value.name
                elif isinstance(value, n.Member) and not value.conditional:
                    name = value.name
                else:
                    self.fail(
                        "Invalid anonymous type member declarator. Anonymous type members must be declared with"
                        " a member assignment, simple name or member access",
                        mpos,
                    )
            if any(name == m for m, _ in members):
                self.fail("An anonymous type cannot have multiple properties with the same name", mpos)
            members.append((name, value))
            if not self.accept(","):
                break
        self.expect("}")
        return n.NewAnonymous(tuple(members), pos)

    def _interpolated(self, t: Token) -> n.Interpolated:
        parts: list[str | n.InterpHole] = []
        for part in t.value:
            if isinstance(part, Hole):
                sub = Parser(self.src, part.start, part.end)
                expr = sub.expression()
                if sub.tok.kind != "eof":
                    sub.fail("Unexpected text in interpolation hole")
                parts.append(n.InterpHole(expr, part.alignment, part.format, part.start))
            elif part:
                parts.append(part)
        return n.Interpolated(tuple(parts), t.pos)


def _int_literal(t: Token, p: Parser) -> tuple[object, int, str]:
    value = int(t.value) if isinstance(t.value, str) else t.value
    suffix = t.suffix
    if "l" in suffix:
        kind = "long"
    elif "u" in suffix:
        kind = "uint" if value <= 0xFFFFFFFF else "ulong"
    else:
        kind = "int" if value <= 0x7FFFFFFF else ("uint" if value <= 0xFFFFFFFF else "long")
    if value > 0xFFFFFFFFFFFFFFFF:
        p.fail("Integral constant is too large", t.pos)
    return value, t.pos, kind


def _real_literal(t: Token, p: Parser) -> tuple[object, int, str]:
    if t.suffix == "m":
        from decimal import Decimal

        return Decimal(t.value), t.pos, "decimal"
    return float(t.value), t.pos, "float" if t.suffix == "f" else "double"


def parse(text: str) -> n.Node:
    """Parses a whole `@(...)` or `@{...}` policy expression."""
    return Parser(Source(text)).parse_policy_expression()
