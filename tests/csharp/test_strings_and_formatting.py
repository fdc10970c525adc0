"""`string` members and .NET formatting: ToString of every value, numeric and composite formats."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.csharp import ExpressionRuntimeError, compile_expression


def run(text: str) -> Any:
    return compile_expression(text).evaluate(None)


STRINGS = [
    ('@("hello".Length)', 5),
    ('@("hello".Substring(1, 3))', "ell"),
    ('@("hello".Substring(2))', "llo"),
    ('@("hello".IndexOf("l"))', 2),
    ("@(\"hello\".IndexOf('l', 3))", 3),
    ('@("hello".IndexOf("L", StringComparison.OrdinalIgnoreCase))', 2),
    ('@("hello".LastIndexOf("l"))', 3),
    ('@("hello".Contains("ell"))', True),
    ('@("Hello".StartsWith("he", StringComparison.OrdinalIgnoreCase))', True),
    ('@("Hello".EndsWith("LO"))', False),
    ('@("a-b-c".Replace("-", "+"))', "a+b+c"),
    ("@(\"a,b,,c\".Split(',').Length)", 4),
    ("@(\"a,b,,c\".Split(new[] {','}, StringSplitOptions.RemoveEmptyEntries).Length)", 3),
    ('@("a::b::c".Split(new[] {"::"}, StringSplitOptions.None)[2])', "c"),
    ('@("a b\\tc".Split().Length)', 3),
    ("@(\"k=v=w\".Split('=', 2)[1])", "v=w"),
    ('@("  x  ".Trim() + "|" + "  x  ".TrimStart() + "|" + "xxaxx".TrimEnd(\'x\'))', "x|x  |xxa"),
    ('@("MiXed".ToUpper() + "MiXed".ToLowerInvariant())', "MIXEDmixed"),
    ('@("straße".ToUpperInvariant())', "STRAßE"),
    ('@("7".PadLeft(3, \'0\') + "7".PadRight(3))', "007" + "7  "),
    ('@("abc".Equals("ABC", StringComparison.OrdinalIgnoreCase))', True),
    ('@(string.IsNullOrEmpty("") && string.IsNullOrWhiteSpace("  ") && !String.IsNullOrEmpty("a"))', True),
    ('@(string.Join(",", new[] {"a", "b"}) + string.Join("-", 1, 2, 3))', "a,b1-2-3"),
    ('@(string.Concat("a", 1, true))', "a1True"),
    ('@(string.Compare("a", "B", true))', -1),
    ('@(String.Format("{0}-{1:D3}-{2,4}-{0}", "x", 5, "y"))', "x-005-   y-x"),
    ('@(string.Format("{{{0}}}", 1))', "{1}"),
    ('@("abc"[1])', "b"),
    ('@("abc".ToCharArray().Length)', 3),
    ('@("abc".Insert(1, "X").Remove(0, 1))', "Xbc"),
    ('@("abcdef".Remove(1, 0) + "|" + "abcdef".Remove(4))', "abcdef|abcd"),
]


@pytest.mark.parametrize(("text", "expected"), STRINGS)
def test_string_members(text: str, expected: Any) -> None:
    assert run(text) == expected


TO_STRING = [
    ("@(true.ToString())", "True"),
    ("@(1.5.ToString())", "1.5"),
    ("@((0.1 + 0.2).ToString())", "0.30000000000000004"),
    ("@(1e15.ToString())", "1E+15"),
    ("@(123456789012345.0.ToString())", "123456789012345"),
    ("@(0.00001.ToString())", "1E-05"),
    ("@(0.0001.ToString())", "0.0001"),
    ("@(2.0.ToString())", "2"),
    ("@((-0.0).ToString())", "-0"),
    ('@(1234567.891.ToString("N2"))', "1,234,567.89"),
    ('@(0.125.ToString("F2"))', "0.13"),
    ('@(42.ToString("D5"))', "00042"),
    ('@(255.ToString("X") + 255.ToString("x4"))', "FF00ff"),
    ('@((-1).ToString("X"))', "FFFFFFFF"),
    ('@(0.256.ToString("P1"))', "25.6 %"),
    ('@(1234.5.ToString("E2"))', "1.23E+003"),
    ('@(1234.5.ToString("0.00"))', "1234.50"),
    ('@(1234567.ToString("#,##0"))', "1,234,567"),
    ('@(5.ToString("0000"))', "0005"),
    ("@(1.5m.ToString())", "1.5"),
    ("@(Math.Round(2.5) + Math.Round(3.5))", 6.0),
    ("@(Math.Round(2.345, 2))", 2.35),  # 2.345 * 100 is 234.50000000000003 in binary, in .NET too
    ("@(Math.Round(2.335, 2) + Math.Round(-2.5, MidpointRounding.AwayFromZero))", 2.34 - 3),
    ("@(Math.Max(3, 7) + Math.Abs(-2) + Math.Floor(2.7))", 11.0),
]


@pytest.mark.parametrize(("text", "expected"), TO_STRING)
def test_to_string_and_number_formats(text: str, expected: Any) -> None:
    assert run(text) == expected


PARSING = [
    ('@(int.Parse(" 42 "))', 42),
    ('@(long.Parse("-9000000000"))', -9000000000),
    ('@(double.Parse("1.5e2"))', 150.0),
    ('@(bool.Parse("TRUE"))', True),
    ('@(double.TryParse("2.5", out var d) ? d * 2 : -1)', 5.0),
    ('@(bool.TryParse("nope", out var b) || b)', False),
    ('@(long.TryParse("12345678901", out var l) ? l : 0)', 12345678901),
    ('@(int.TryParse("12345678901", out var i) ? i : -1)', -1),
    ('@(Convert.ToInt32("17") + Convert.ToInt32(2.5) + Convert.ToInt32(3.5))', 23),
    ('@(Convert.ToBoolean("false") || Convert.ToBoolean(1))', True),
    ('@(Convert.ToDouble("2.25"))', 2.25),
    ("@(Convert.ToString(12) + Convert.ToString(255, 16))", "12ff"),
    ("@(Convert.ToByte(200))", 200),
    ('@(Convert.ToBase64String(Encoding.UTF8.GetBytes("héllo")))', "aMOpbGxv"),
    ('@(Encoding.UTF8.GetString(Convert.FromBase64String("aMOpbGxv")))', "héllo"),
    ('@(Encoding.ASCII.GetString(Encoding.ASCII.GetBytes("é")))', "?"),
    ('@(Encoding.Unicode.GetBytes("A").Length)', 2),
    ("@(BitConverter.ToString(new byte[] {1, 171, 255}))", "01-AB-FF"),
    ("@(BitConverter.ToInt32(new byte[] {1, 0, 0, 0}, 0))", 1),
    ('@(int.Parse("ff", NumberStyles.HexNumber) + int.Parse("FFFFFFFF", NumberStyles.HexNumber))', 254),
    ('@(int.TryParse("7f", NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v : -1)', 127),
    ('@(double.Parse("1,234.5", CultureInfo.InvariantCulture))', 1234.5),
    ('@(3.ToString("D2", CultureInfo.InvariantCulture) + 1.5.ToString(CultureInfo.InvariantCulture))', "031.5"),
]


@pytest.mark.parametrize(("text", "expected"), PARSING)
def test_parse_and_convert(text: str, expected: Any) -> None:
    assert run(text) == expected


FAILURES = [
    ('@(int.Parse("x"))', "FormatException: Input string was not in a correct format."),
    ('@(int.Parse("99999999999"))', "OverflowException: Value was either too large or too small for an Int32."),
    ('@(bool.Parse("yes"))', "FormatException: String 'yes' was not recognized as a valid Boolean."),
    ('@(Convert.FromBase64String("abc"))', "FormatException: The input is not a valid Base-64 string"),
    ("@(Convert.ToByte(256))", "OverflowException: Value was either too large or too small for an unsigned byte."),
    (
        '@("abc".Substring(5))',
        "ArgumentOutOfRangeException: startIndex cannot be larger than length of string. (Parameter 'startIndex')",
    ),
    ('@(string.Format("{1}", 1))', "FormatException: Index (zero based) must be greater than or equal to zero"),
    ('@("abc"[3])', "IndexOutOfRangeException: Index was outside the bounds of the array."),
    ("@(1 / 0)", "DivideByZeroException: Attempted to divide by zero."),
]


@pytest.mark.parametrize(("text", "message"), FAILURES)
def test_library_failures_carry_the_dotnet_exception(text: str, message: str) -> None:
    with pytest.raises(ExpressionRuntimeError) as info:
        run(text)
    assert str(info.value).startswith(message)
