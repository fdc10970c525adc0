"""Compile errors: one CSharpSyntaxError type with the line, column and source line of the fault."""

from __future__ import annotations

import pytest

from keyless.csharp import CSharpSyntaxError, compile_expression

ERRORS = [
    ("@(1 +)", "Invalid expression term", 1, 6),
    ("@{\n  var x = 1;\n  return x\n}", "';' expected", 4, 1),
    ("@{ var x = 1; }", "Not all code paths return a value", 1, 2),
    ('@{ if (context.Request.Method == "GET") { return 1; } }', "Not all code paths return a value", 1, 2),
    ("@{ return; }", "An object of a type convertible to 'object' is required", 1, 4),
    ("@(foo.Bar)", "The name 'foo' does not exist in the current context", 1, 3),
    ("@{\n\tvar y = zz;\n\treturn y; }", "The name 'zz' does not exist in the current context", 2, 10),
    ('@("abc)', "Newline in constant", 1, 3),
    ("@(1) extra", "Unexpected text after the end of the expression", 1, 6),
    ('@($"{}")', "Empty interpolation hole", 1, 6),
    ("@((Foo)context)", "The type or namespace name 'Foo' could not be found", 1, 4),
    (
        '@(context.Variables.GetValueOrDefault<Nope>("x"))',
        "The type or namespace name 'Nope' could not be found",
        1,
        39,
    ),
    ("@(DateTime.Yesterday)", "'DateTime' does not contain a definition for 'Yesterday'", 1, 12),
    ("@(Convert.mro())", "'Convert' does not contain a definition for 'mro'", 1, 11),
    (
        '@(System.IO.File.ReadAllText("x"))',
        "The type or namespace name 'File' does not exist in the namespace 'System.IO'",
        1,
        13,
    ),
    (
        "@(System.Text.Encodin.UTF8)",
        "The type or namespace name 'Encodin' does not exist in the namespace 'System.Text'",
        1,
        15,
    ),
    ("@(Convert.ToBase64String())", "No overload for method 'Convert.ToBase64String' takes 0 arguments", 1, 25),
    ("@(new Guid(1, 2, 3))", "No overload for constructor of 'Guid' takes 3 arguments", 1, 3),
    ("@(System.Text)", "'System.Text' is a namespace, which is not valid in the given context", 1, 10),
    ("@{ var a = 1; var a = 2; return a; }", "A local variable named 'a' is already defined in this scope", 1, 19),
    ("@{ var v; return 1; }", "Implicitly-typed variables must be initialized", 1, 8),
    ("@{ 1 + 1; return 1; }", "Only assignment, call, increment, decrement and new object expressions", 1, 4),
    ("@{ throw; }", "A throw statement with no arguments is not allowed outside of a catch clause", 1, 4),
    ("@('ab')", "Too many characters in character literal", 1, 3),
    ("@(/* never closed )", "End-of-file found, '*/' expected", 1, 3),
    ('@("\\q")', "Unrecognized escape sequence", 1, 4),
    ("context.Request", "Policy expression must start with '@(' or '@{'", 1, 1),
    ("@(new { a = null })", "Cannot assign '<null>' to anonymous type property", 1, 13),
    ("@(new { a = 1, a = 2 })", "An anonymous type cannot have multiple properties with the same name", 1, 16),
    ("@(new { 1 + 2 })", "Invalid anonymous type member declarator", 1, 9),
    ("@(new { context?.Request })", "Invalid anonymous type member declarator", 1, 9),
    # a declaration that fails inside its initializer reports that fault, not "';' expected; found 'x'"
    ("@{ var x = new { a = 1 + }; return x; }", "Invalid expression term; found '}'", 1, 26),
    ("@{\n  string s = Foo(1,;\n  return s; }", "Invalid expression term; found ';'", 2, 20),
    ("@{ int f(int a) { return a +; } return f(1); }", "Invalid expression term; found ';'", 1, 29),
    ('@{ string f(string a) => a +; return f("x"); }', "Invalid expression term; found ';'", 1, 29),
    ("@{ using (var r = new StringReader(,)) { } return 1; }", "Invalid expression term; found ','", 1, 36),
    ("@(typeof(string))", "typeof is not supported by keyless", 1, 3),
]


@pytest.mark.parametrize(("text", "message", "line", "column"), ERRORS)
def test_syntax_errors_carry_their_position(text: str, message: str, line: int, column: int) -> None:
    with pytest.raises(CSharpSyntaxError) as info:
        compile_expression(text)
    err = info.value
    assert err.message.startswith(message)
    assert (err.line, err.column) == (line, column)
    assert err.source_line == text.split("\n")[line - 1]
    assert err.source_line in str(err) and f"line {line}, column {column}" in str(err)


def test_a_block_whose_every_path_returns_or_throws_compiles() -> None:
    ok = [
        "@{ if (true) { return 1; } else { return 2; } }",
        "@{ try { return 1; } catch (Exception) { return 2; } }",
        "@{ while (true) { return 1; } }",
        '@{ switch (1) { case 1: return "a"; default: throw new Exception("x"); } }',
        '@{ throw new Exception("always"); }',
        "@{ if (true) return 1; }",
        "@{ if (false) { } else { return 2; } }",
    ]
    for text in ok:
        compile_expression(text)
    with pytest.raises(CSharpSyntaxError, match="Not all code paths"):
        compile_expression("@{ while (true) { break; } }")
    with pytest.raises(CSharpSyntaxError, match="Not all code paths"):
        compile_expression("@{ try { return 1; } catch (Exception) { } }")


def test_absurd_nesting_is_a_syntax_error_not_a_crash() -> None:
    with pytest.raises(CSharpSyntaxError, match="nested too deeply"):
        compile_expression("@(" + "(" * 5000 + "1" + ")" * 5000 + ")")
