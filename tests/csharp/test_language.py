"""The language: literals, operators with C# precedence and semantics, statements, lambdas, casts, `?.`/`??`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from keyless.csharp import CSharpSyntaxError, ExpressionRuntimeError, compile_expression
from tests.csharp.fake_context import Context


def run(text: str, ctx: Any = None) -> Any:
    return compile_expression(text).evaluate(ctx if ctx is not None else Context())


LITERALS = [
    ('@("a\\tb\\u0041\\\\")', "a\tbA\\"),
    ('@(@"c:\\path ""q""")', 'c:\\path "q"'),
    ("@('x')", "x"),
    ("@('\\n')", "\n"),
    ("@(42)", 42),
    ("@(0xFF)", 255),
    ("@(0b1010 + 1_000)", 1010),
    ("@(10L)", 10),
    ("@(1.5)", 1.5),
    ("@(2d)", 2.0),
    ("@(1.25m)", Decimal("1.25")),
    ("@(1e3)", 1000.0),
    ("@(true)", True),
    ("@(null)", None),
    ('@($"a{1 + 2}b")', "a3b"),
    ('@($"{{x}} {"in" + "ner"}")', "{x} inner"),
    ('@($"{(true ? "y" : "n")}")', "y"),
    ('@($"[{42,5}][{42,-5}]")', "[   42][42   ]"),
    ('@($"{3.14159:F2}")', "3.14"),
    ('@($"{TimeSpan.FromMinutes(90):hh\\\\:mm}")', "01:30"),
    ('@($@"{TimeSpan.FromMinutes(90):hh\\:mm}")', "01:30"),
    ('@($@"c:\\{1}\\""")', 'c:\\1\\"'),
    ('@(@$"{2}\\x")', "2\\x"),
]


@pytest.mark.parametrize(("text", "expected"), LITERALS)
def test_literals(text: str, expected: Any) -> None:
    assert run(text) == expected


OPERATORS = [
    ("@(7 / 2)", 3),
    ("@(-7 / 2)", -3),
    ("@(7 % 3)", 1),
    ("@(-7 % 3)", -1),
    ("@(7.0 / 2)", 3.5),
    ("@(1 + 2 * 3)", 7),
    ("@((1 + 2) * 3)", 9),
    ('@("a" + 1 + 2)', "a12"),
    ('@(1 + 2 + "a")', "3a"),
    ('@("v=" + true)', "v=True"),
    ('@("v=" + null)', "v="),
    ('@("v=" + 1.5)', "v=1.5"),
    ('@("abc" == "a" + "bc")', True),
    ("@(1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 4 == false)", True),
    ("@(!(1 == 1) || 2 != 3)", True),
    ("@(false && (1 / 0 == 0))", False),
    ("@(true || (1 / 0 == 0))", True),
    ("@(6 & 3 | 8 ^ 1)", 11),
    ("@(~5)", -6),
    ("@(1 << 4 >> 2)", 4),
    ("@(-1 << 31)", -(2**31)),
    ("@(1 << 32)", 1),
    ("@(unchecked(2147483647 + 1))", -(2**31)),
    ("@(2147483647 + 1L)", 2**31),
    ('@(1 > 0 ? "yes" : "no")', "yes"),
    ('@(null ?? "d")', "d"),
    ('@((string)null ?? "x" ?? "y")', "x"),
    ("@(5 is int)", True),
    ('@("s" is string)', True),
    ('@("s" as string)', "s"),
    ("@(5 as string)", None),
    ("@((int)3.99)", 3),
    ("@((int)-3.99)", -3),
    ("@((byte)300)", 44),
    ("@((short)70000)", 4464),
    ("@((double)1 / 4)", 0.25),
    ("@((char)65)", "A"),
    ("@((int)'A')", 65),
    ("@('a' + 1)", 98),
    ("@(1.0 / 0)", float("inf")),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_operators(text: str, expected: Any) -> None:
    assert run(text) == expected


STATEMENTS = [
    ("@{ return 1; }", 1),
    ("@{ var x = 1; x += 2; x *= 3; x -= 1; x /= 2; return x; }", 4),
    ("@{ int i = 0; i++; ++i; i--; return i; }", 1),
    ("@{ var x = 5; x <<= 2; x >>= 1; x |= 1; x &= 7; x ^= 2; x %= 4; return x; }", 1),
    ('@{ string s = null; s ??= "d"; s ??= "e"; return s; }', "d"),
    ("@{ double d = 5; return d / 2; }", 2.5),
    ("@{ var s = 0; for (var i = 0; i < 5; i++) { if (i == 3) continue; s += i; } return s; }", 7),
    ("@{ var s = 0; var i = 0; while (true) { if (++i > 4) break; s += i; } return s; }", 10),
    ("@{ var s = 0; do { s++; } while (s < 3); return s; }", 3),
    ('@{ var s = ""; foreach (var c in new[] {"a", "b"}) { s += c; } return s; }', "ab"),
    (
        '@{ var d = new Dictionary<string, int> { {"a", 1}, {"b", 2} }; var t = 0; foreach (var kv in d) { t += kv.Value; } return t; }',  # noqa: E501
        3,
    ),
    ('@{ if (1 > 2) { return "a"; } else if (2 > 1) { return "b"; } else { return "c"; } }', "b"),
    (
        '@{ try { throw new InvalidOperationException("boom"); } catch (ArgumentException) { return "arg"; } catch (Exception ex) { return ex.Message; } }',  # noqa: E501
        "boom",
    ),
    ('@{ var log = ""; try { log += "t"; } finally { log += "f"; } return log; }', "tf"),
    (
        '@{ try { var x = ((string)null).Length; return "no"; } catch (NullReferenceException) { return "npe"; } }',
        "npe",
    ),
    ('@{ switch ("b") { case "a": return 1; case "b": case "c": return 2; default: return 3; } }', 2),
    (
        '@{ object o = JObject.Parse("{}"); switch (o) { case string s: return s; '
        'case JObject j when j.Count > 0: return "full"; case JObject j2: return "empty"; default: return "?"; } }',
        "empty",
    ),
    ("@{ switch (5) { case int n when n > 3: return n * 2; case null: return -1; } return 0; }", 10),
    ("@{ int Twice(int v) { return v * 2; } return Twice(Twice(3)); }", 12),
    ("@{ int F(int n) => n <= 1 ? 1 : n * F(n - 1); return F(5); }", 120),
    ("@{ var n = 1; void Bump() { n += 10; } Bump(); return n; }", 11),
    ('@{ string a = "x", b = "y"; return a + b; }', "xy"),
    ("@{ const int K = 3; return K * 2; }", 6),
    (
        "@{ long time = 0x1122334455; byte[] b = new byte[2]; unchecked { b[0] = (byte)(time >> 8); b[1] = (byte)time; } return b[0] * 1000 + b[1]; }",  # noqa: E501
        68085,
    ),
    ("@{ var f = (object)null; return f == null; }", True),
    (
        '@(default(int) + "|" + default(bool) + "|" + default(string) + "|" + default(DateTime).Ticks + "|" + default(int?))',  # noqa: E501
        "0|False||0|",
    ),
    ("@{ var total = 1; return nameof(total) + nameof(context.Request); }", "totalRequest"),
    ('@{ int.TryParse("12", out var v); return v; }', 12),
    ('@{ int v; var ok = int.TryParse("zz", out v); return ok + ":" + v; }', "False:0"),
    ('@{ var x = "abc"; if (x is string s && s.Length == 3) { return s; } return "no"; }', "abc"),
    ("@{ var a = new int[3]; a[1] = 5; return a[0] + a[1] + a.Length; }", 8),
]


@pytest.mark.parametrize(("text", "expected"), STATEMENTS)
def test_statements(text: str, expected: Any) -> None:
    assert run(text) == expected


LAMBDAS_AND_NEW = [
    ('@(new[] {"a", "bb", "ccc"}.Where(s => s.Length > 1).Select(s => s.ToUpper()).ToArray())', ["BB", "CCC"]),
    ("@(new List<int> {3, 1, 2}.OrderBy(x => x).ToList())", [1, 2, 3]),
    ("@(new[] {1, 2, 3}.Aggregate((a, b) => a * b))", 6),
    ('@(new[] {"x", "y"}.Select((s, i) => s + i).ToArray())', ["x0", "y1"]),
    ('@(new string[] {"a", "b"}.Length)', 2),
    ("@(new byte[] {1, 2, 255}.Length)", 3),
    ('@(new Dictionary<string, string> {{"a", "b"}}["a"])', "b"),
    ('@(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) {{"Key", "v"}}["KEY"])', "v"),
    ('@(new HashSet<string> {"a", "a", "b"}.Count)', 2),
    ('@(new JObject(new JProperty("a", 1), new JProperty("b", "x")).ToString(Formatting.None))', '{"a":1,"b":"x"}'),
    ('@(new System.Text.StringBuilder().Append("a").Append(1).AppendFormat("{0:D3}", 7).ToString())', "a1007"),
    ('@(new HMACSHA256(Encoding.UTF8.GetBytes("k")).ComputeHash(Encoding.UTF8.GetBytes("m")).Length)', 32),
    (
        '@(new System.Security.Cryptography.HMACSHA256 { Key = Encoding.UTF8.GetBytes("k") }.ComputeHash(new byte[0]).Length)',  # noqa: E501
        32,
    ),
    ("@(new Random(42).Next(1, 3))", 2),
]


@pytest.mark.parametrize(("text", "expected"), LAMBDAS_AND_NEW)
def test_lambdas_and_new(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_null_conditional_short_circuits_the_whole_chain() -> None:
    ctx = Context()
    ctx.Product = None
    assert run("@(context.Product?.Name.Length)", ctx) is None
    assert run('@(context.Product?.Name ?? "none")', ctx) == "none"
    assert run("@(context.Request?.Method.ToLower())", ctx) == "get"
    assert run("@(((string[])null)?[0])", ctx) is None
    assert run('@(new[] {"a"}?[0])', ctx) == "a"


def test_context_is_bound_and_read_only() -> None:
    assert run("@(context.Request.Method)") == "GET"
    with pytest.raises(CSharpSyntaxError):
        compile_expression("@{ context = null; return 1; }")


def test_compiled_once_and_cached_by_text() -> None:
    a = compile_expression("@(1 + 1)")
    assert compile_expression("@(1 + 1)") is a
    assert a.evaluate(None) == 2 and a.evaluate(None) == 2


def test_locals_do_not_leak_between_evaluations() -> None:
    e = compile_expression("@{ var x = 0; x++; return x; }")
    assert [e.evaluate(None) for _ in range(3)] == [1, 1, 1]


def test_closures_capture_variables_by_reference() -> None:
    # LINQ is eager here (C# defers Select until First): documented; the lambda reads n when it runs
    assert run("@{ var n = 1; var f = new[] {1}.Select(x => x + n).ToList(); n = 10; return f.First(); }") == 2
    assert run("@{ var n = 1; Func<int> get = () => n; n = 5; return get(); }") == 5
    assert run("@{ var total = 0; new[] {1, 2}.Where(x => (total += x) > 0).ToList(); return total; }") == 3


def test_unsupported_types_fail_at_run_time_naming_the_type() -> None:
    e = compile_expression("@(new XmlDocument())")
    with pytest.raises(
        ExpressionRuntimeError,
        match=r"NotSupportedException: keyless does not implement the type 'System\.Xml\.XmlDocument'",
    ):
        e.evaluate(Context())


def test_every_value_has_system_object_members() -> None:
    class Plain:
        pass

    ctx = Context(thing=Plain())
    assert run('@(context.Variables["thing"].ToString())', ctx) == "Plain"
    assert run('@(context.Variables["thing"].Equals(context.Variables["thing"]))', ctx) is True
    assert run('@(new InvalidOperationException("x").GetType().Name)', ctx) == "InvalidOperationException"
    assert run("@(5.GetType().FullName)", ctx) == "System.Int32"
    assert run('@("a" + context.Variables["thing"])', ctx) == "aPlain"


def test_nullable_value_and_has_value() -> None:
    assert run("@{ int? n = null; return n.HasValue; }") is False
    assert run("@{ int? n = 5; return n.HasValue && n.Value == 5; }") is True
    assert run('@(new KeyValuePair<string, string>("k", "v").Value)') == "v"
    assert (
        run('@(JObject.Parse("{\\"a\\": 1}")["a"].Value<int>() + JObject.Parse("{\\"a\\": 1}")["a"].ToObject<int>())')
        == 2
    )
    with pytest.raises(ExpressionRuntimeError, match="InvalidOperationException: Nullable object must have a value"):
        run("@{ DateTime? d = null; return d.Value; }")


def test_named_arguments_reach_library_methods() -> None:
    assert run('@("abc".Substring(startIndex: 1, length: 1))') == "b"
    assert run("@(JsonConvert.SerializeObject(new[] {1}, formatting: Formatting.None))") == "[1]"


ANONYMOUS = [
    ('@(new { typ = "JWT", alg = "HS256" }.ToString())', "{ typ = JWT, alg = HS256 }"),
    ('@(JsonConvert.SerializeObject(new { typ = "JWT", alg = "HS256" }))', '{"typ":"JWT","alg":"HS256"}'),
    # projection initializers take the simple name or the accessed member's name
    ('@{ var a = 1; var b = new { C = "x" }; var o = new { a, b.C }; return o.ToString(); }', "{ a = 1, C = x }"),
    ('@(new { n = (string)null, d = 1.5, t = true }.ToString())', "{ n = , d = 1.5, t = True }"),
    ("@(new { }.ToString())", "{ }"),
    ('@(JsonConvert.SerializeObject(new { a = 1, b = new { c = new[] { "x" } }, n = (string)null }))',
     '{"a":1,"b":{"c":["x"]},"n":null}'),
    ("@(JObject.FromObject(new { a = 2 })[\"a\"].Value<int>())", 2),
    ('@(context.Request.Method == "GET" ? new { m = "get" }.m : "other")', "get"),
    # Equals is by value, `==` by reference (no operator overload on anonymous types)
    ("@(new { a = 1, b = \"x\" }.Equals(new { a = 1, b = \"x\" }))", True),
    ("@(new { a = 1 } == new { a = 1 })", False),
    ("@{ var o = new { a = 1 }; var p = o; return o == p; }", True),
    ("@(new { a = 1 }.Equals(new { b = 1 }))", False),
    ("@(new { a = 1 }.GetHashCode() == new { a = 1 }.GetHashCode())", True),
    # LINQ: Select into anonymous objects, Distinct / GroupBy by value
    ("@(string.Join(\",\", new[] { 3, 1 }.Select(x => new { x, sq = x * x }).Select(o => o.x + \":\" + o.sq)))",
     "3:9,1:1"),
    ("@(new[] { 1, 2, 1 }.Select(x => new { x }).Distinct().Count())", 2),
    ('@(new[] { "a", "bb", "c" }.GroupBy(s => new { s.Length }).First().Key.Length)', 1),
    ("@{ var f = new { twice = (Func<int, int>)(x => x * 2) }; return f.twice(21); }", 42),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), ANONYMOUS)
def test_anonymous_types(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_anonymous_type_members_are_read_only_and_named() -> None:
    with pytest.raises(ExpressionRuntimeError, match="does not contain a definition for 'b'"):
        run("@(new { a = 1 }.b)")
    with pytest.raises(ExpressionRuntimeError, match="cannot be assigned to -- it is read only"):
        run("@{ var o = new { a = 1 }; o.a = 2; return o; }")
