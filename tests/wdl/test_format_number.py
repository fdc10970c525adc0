"""formatNumber: .NET numeric format strings by culture, end to end through the expression evaluator.

The first table is Microsoft's documented examples (expression-functions-reference.md, formatNumber).
"""

from __future__ import annotations

import pytest

from keyless.wdl.errors import ExpressionError
from tests.wdl.helpers import ev


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@formatNumber(1234567890, '#,##0.00', 'en-US')", "1,234,567,890.00"),
        ("@formatNumber(1234567890, '#,##0.00', 'is-IS')", "1.234.567.890,00"),
        ("@formatNumber(17.35, 'C2')", "$17.35"),
        ("@formatNumber(17.35, 'C2', 'is-IS')", "17,35 kr"),
    ],
)
def test_documented_examples(text: str, expected: str) -> None:
    assert ev(text) == expected


NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # standard formats, en-US by default
        ("@formatNumber(-1234.5, 'C')", "-$1,234.50"),
        ("@formatNumber(42, 'D5')", "00042"),
        ("@formatNumber(-42, 'D5')", "-00042"),
        ("@formatNumber(1234.5678, 'E2')", "1.23E+003"),
        ("@formatNumber(1234.5678, 'e')", "1.234568e+003"),
        ("@formatNumber(1234.5678, 'F3')", "1234.568"),
        ("@formatNumber(2.5, 'F0')", "3"),
        ("@formatNumber(1234.5678, 'G')", "1234.5678"),
        ("@formatNumber(1234.5678, 'G3')", "1.23E+03"),
        ("@formatNumber(1234.5678, 'N')", "1,234.57"),
        ("@formatNumber(1234567, 'N0')", "1,234,567"),
        ("@formatNumber(0.256, 'P')", "25.60%"),
        ("@formatNumber(-0.256, 'P1')", "-25.6%"),
        ("@formatNumber(0.1, 'R')", "0.1"),
        ("@formatNumber(255, 'X')", "FF"),
        ("@formatNumber(255, 'x4')", "00ff"),
        ("@formatNumber(-1, 'X')", "FFFFFFFFFFFFFFFF"),  # WDL integers are Int64
        ("@formatNumber(decimal('1234.565'), 'N2')", "1,234.57"),
        # custom formats
        ("@formatNumber(3, '00.0')", "03.0"),
        ("@formatNumber(1234567.891, '#,##0')", "1,234,568"),
        ("@formatNumber(0.5, '#.##')", ".5"),
        ("@formatNumber(0.4567, '0.0%')", "45.7%"),
        ("@formatNumber(-5, '0;(0)')", "(5)"),
        # cultures: separators and currency and percent patterns
        ("@formatNumber(1234.5678, 'N1', 'de-DE')", "1.234,6"),
        ("@formatNumber(-1234.5, 'C', 'de-DE')", f"-1.234,50{NBSP}€"),
        ("@formatNumber(1234.5, 'C', 'en-GB')", "£1,234.50"),
        ("@formatNumber(1234.5, 'C', 'nl-NL')", f"€{NBSP}1.234,50"),
        ("@formatNumber(1234.5, 'C', 'pt-BR')", f"R${NBSP}1.234,50"),
        ("@formatNumber(1234567, '#,##0', 'fr-FR')", f"1{NNBSP}234{NNBSP}567"),
        ("@formatNumber(0.256, 'P0', 'fr-FR')", f"26{NNBSP}%"),
        ("@formatNumber(1234.5678, 'E2', 'de-DE')", "1,23E+003"),
        ("@formatNumber(1234.5, 'F2', 'it-IT')", "1234,50"),
        ("@formatNumber(1234.5, 'N2', 'EN-us')", "1,234.50"),
        ("@formatNumber(1234.5, 'N2', 'de')", "1.234,50"),
    ],
)
def test_formats(text: str, expected: str) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@formatNumber(1.5, 'D')", ["formatNumber", "'D'", "Float"]),
        ("@formatNumber(1.5, 'X')", ["formatNumber", "'X'"]),
        ("@formatNumber(15, 'Q9')", ["formatNumber", "'Q9'"]),
        ("@formatNumber(15, 'N2', 'xx-YY')", ["formatNumber", "'xx-YY'"]),
        ("@formatNumber('15', 'N2')", ["formatNumber", "number", "String"]),
        ("@formatNumber(true, 'N2')", ["formatNumber", "number", "Boolean"]),
        ("@formatNumber(15, 2)", ["formatNumber", "string", "Integer"]),
    ],
)
def test_refusals_name_what_is_wrong(text: str, names: list[str]) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(text)
    for name in names:
        assert name in caught.value.message
