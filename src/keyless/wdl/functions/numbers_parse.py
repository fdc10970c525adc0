""".NET's lenient number parsing (`Number.TryParseNumber`), which `int()`, `float()`, `decimal()`, `isInt()` and
`isFloat()` inherit from the Logic Apps host.

.NET accepts more than a grammar would suggest: group separators anywhere in the integer part
(`float('12,3,4,5678')` = 12345678), a trailing sign (`float('200-')` = -200), surrounding white space, and
culture-specific separators and NaN/infinity symbols. The parser below follows the .NET state machine step by
step so those quirks come out the same; the result is exact digits plus a decimal exponent, converted by the
caller (double, System.Decimal or Int64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext

from keyless.wdl.errors import ExpressionError

# NumberStyles flags, as .NET numbers them.
LEADING_WHITE = 0x1
TRAILING_WHITE = 0x2
LEADING_SIGN = 0x4
TRAILING_SIGN = 0x8
PARENTHESES = 0x10
DECIMAL_POINT = 0x20
THOUSANDS = 0x40
EXPONENT = 0x80

INTEGER_STYLE = LEADING_WHITE | TRAILING_WHITE | LEADING_SIGN
FLOAT_STYLE = LEADING_WHITE | TRAILING_WHITE | LEADING_SIGN | DECIMAL_POINT | EXPONENT
NUMBER_STYLE = LEADING_WHITE | TRAILING_WHITE | LEADING_SIGN | TRAILING_SIGN | DECIMAL_POINT | THOUSANDS

DECIMAL_MAX = Decimal("79228162514264337593543950335")

_MINUS_SIGNS = ("\u2212", "\u2012", "\u2013", "\u2014", "\u2015", "\u207b", "\u208b", "\ufe63", "\uff0d")


@dataclass(frozen=True)
class Culture:
    """The NumberFormatInfo fields the parser reads (ICU data, as .NET 5+ has them)."""

    decimal_separator: str
    group_separator: str
    nan: str = "NaN"
    positive_infinity: str = "\u221e"
    negative_infinity: str = "-\u221e"
    negative_sign: str = "-"
    positive_sign: str = "+"


INVARIANT = Culture(".", ",", "NaN", "Infinity", "-Infinity")
_POINT_COMMA = Culture(".", ",")
_COMMA_POINT = Culture(",", ".")
_COMMA_NBSP = Culture(",", "\u00a0")
_COMMA_NNBSP = Culture(",", "\u202f")
_COMMA_NBSP_MINUS = Culture(",", "\u00a0", negative_infinity="\u2212\u221e", negative_sign="\u2212")

# Language defaults; a region overrides where ICU differs from its language.
_LANGUAGES: dict[str, Culture] = {
    "en": _POINT_COMMA,
    "ja": _POINT_COMMA,
    "zh": _POINT_COMMA,
    "ko": _POINT_COMMA,
    "hi": _POINT_COMMA,
    "th": _POINT_COMMA,
    "he": _POINT_COMMA,
    "ms": _POINT_COMMA,
    "fil": _POINT_COMMA,
    "de": _COMMA_POINT,
    "es": _COMMA_POINT,
    "it": _COMMA_POINT,
    "nl": _COMMA_POINT,
    "pt": _COMMA_POINT,
    "da": _COMMA_POINT,
    "tr": _COMMA_POINT,
    "id": _COMMA_POINT,
    "el": _COMMA_POINT,
    "ro": _COMMA_POINT,
    "hr": _COMMA_POINT,
    "sl": _COMMA_POINT,
    "vi": _COMMA_POINT,
    "fr": _COMMA_NNBSP,
    "ru": _COMMA_NBSP,
    "pl": _COMMA_NBSP,
    "cs": _COMMA_NBSP,
    "sk": _COMMA_NBSP,
    "uk": _COMMA_NBSP,
    "hu": _COMMA_NBSP,
    "bg": _COMMA_NBSP,
    "sv": _COMMA_NBSP_MINUS,
    "nb": _COMMA_NBSP_MINUS,
    "no": _COMMA_NBSP_MINUS,
    "fi": _COMMA_NBSP_MINUS,
}
_REGIONS: dict[str, Culture] = {
    "de-ch": Culture(".", "\u2019"),
    "de-at": _COMMA_NBSP,
    "de-li": Culture(".", "\u2019"),
    "pt-pt": _COMMA_NBSP,
    "es-mx": _POINT_COMMA,
    "es-us": _POINT_COMMA,
    "fr-ch": Culture(",", "\u202f"),
    "it-ch": Culture(".", "\u2019"),
    "en-za": _COMMA_NBSP,
}


def culture(name: str | None) -> Culture:
    """CultureInfo.GetCultureInfo(name).NumberFormat; "" is the invariant culture. Unknown names fail loudly."""
    if name is None or name == "":
        return INVARIANT
    key = name.lower().replace("_", "-")
    if key in ("iv", "invariant"):
        return INVARIANT
    if key in _REGIONS:
        return _REGIONS[key]
    language = key.split("-", 1)[0]
    if language in _LANGUAGES:
        return _LANGUAGES[language]
    raise ExpressionError(f"The culture '{name}' is not supported by keyless's number parsing.")


# The host's current culture: one-argument float() and int() parse with it. en-US is what the recorded host shows
# (`float('Infinity')` fails there, while the invariant culture accepts it).
HOST_CULTURE = _LANGUAGES["en"]


@dataclass(frozen=True)
class ParsedNumber:
    negative: bool
    digits: str  # significant digits, no leading zeros ("" for zero)
    exponent: int  # value = int(digits) * 10**exponent
    fraction_digits: int  # digits written after the decimal separator (System.Decimal keeps them: `5.0000`)

    def exact(self) -> Decimal:
        if not self.digits:
            return Decimal("-0") if self.negative else Decimal(0)
        return Decimal(f"{'-' if self.negative else ''}{self.digits}E{self.exponent}")


def _is_white(ch: str) -> bool:
    return ch == " " or "\t" <= ch <= "\r"


def _match(text: str, pos: int, token: str) -> int:
    """MatchChars: the position after `token` at `pos`, or -1. A plain space matches a no-break space in the
    culture's data (.NET's IsSpaceReplacingChar)."""
    if not token:
        return -1
    end = pos + len(token)
    if end > len(text):
        return -1
    for got, want in zip(text[pos:end], token, strict=True):
        if got != want and not (want in ("\u00a0", "\u202f") and got == " "):
            return -1
    return end


def _match_negative(text: str, pos: int, info: Culture) -> int:
    end = _match(text, pos, info.negative_sign)
    if end < 0 and info.negative_sign in _MINUS_SIGNS:
        end = _match(text, pos, "-")  # AllowHyphenDuringParsing
    return end


def parse_number(text: str, styles: int, info: Culture) -> ParsedNumber | None:
    """Number.TryParseNumber followed by the check that the whole string was consumed; None if not a number."""
    n = len(text)
    pos = 0
    negative = False
    signed = parens = False

    def char(at: int) -> str:
        return text[at] if at < n else "\0"

    # Leading white space, sign and parenthesis.
    while pos < n:
        ch = text[pos]
        if not _is_white(ch) or not (styles & LEADING_WHITE) or signed:
            nxt = -1
            if styles & LEADING_SIGN and not signed:
                nxt = _match(text, pos, info.positive_sign)
                if nxt < 0:
                    nxt = _match_negative(text, pos, info)
                    if nxt >= 0:
                        negative = True
            if nxt >= 0:
                signed = True
                pos = nxt
                continue
            if ch == "(" and styles & PARENTHESES and not signed:
                signed = parens = True
                negative = True
                pos += 1
                continue
            break
        pos += 1

    digits: list[str] = []
    scale = 0  # digits before the decimal point that are kept (after the first non-zero)
    seen_digit = seen_nonzero = seen_point = False
    fraction_digits = 0
    while True:
        ch = char(pos)
        if "0" <= ch <= "9":
            seen_digit = True
            fraction_digits += seen_point
            if ch != "0" or seen_nonzero:
                digits.append(ch)
                if not seen_point:
                    scale += 1
                seen_nonzero = True
            elif seen_point:
                scale -= 1
            pos += 1
            continue
        if styles & DECIMAL_POINT and not seen_point:
            nxt = _match(text, pos, info.decimal_separator)
            if nxt >= 0:
                seen_point = True
                pos = nxt
                continue
        if styles & THOUSANDS and seen_digit and not seen_point:
            nxt = _match(text, pos, info.group_separator)
            if nxt >= 0:
                pos = nxt
                continue
        break

    if not seen_digit:
        return None

    ch = char(pos)
    if ch in ("e", "E") and styles & EXPONENT:
        start = pos
        pos += 1
        negative_exponent = False
        nxt = _match(text, pos, info.positive_sign)
        if nxt >= 0:
            pos = nxt
        else:
            nxt = _match_negative(text, pos, info)
            if nxt >= 0:
                pos = nxt
                negative_exponent = True
        if "0" <= char(pos) <= "9":
            exponent = 0
            while "0" <= char(pos) <= "9":
                exponent = min(exponent * 10 + int(char(pos)), 9999)  # .NET saturates huge exponents
                pos += 1
            scale += -exponent if negative_exponent else exponent
        else:
            pos = start

    # Trailing white space, sign and closing parenthesis.
    while pos < n:
        ch = text[pos]
        if not _is_white(ch) or not (styles & TRAILING_WHITE):
            nxt = -1
            if styles & TRAILING_SIGN and not signed:
                nxt = _match(text, pos, info.positive_sign)
                if nxt < 0:
                    nxt = _match_negative(text, pos, info)
                    if nxt >= 0:
                        negative = True
            if nxt >= 0:
                signed = True
                pos = nxt
                continue
            if ch == ")" and parens:
                parens = False
                pos += 1
                continue
            break
        pos += 1

    if parens or text[pos:].strip("\0"):
        return None
    stripped = "".join(digits).rstrip("0")
    exponent = scale - len(stripped)
    return ParsedNumber(negative, stripped, exponent, fraction_digits)


def _symbol_double(text: str, styles: int, info: Culture) -> float | None:
    """Double parsing's fallback for NaN and infinity symbols (ordinal, case-insensitive)."""
    trimmed = text
    if styles & (LEADING_WHITE | TRAILING_WHITE):
        trimmed = text.strip(" \t\n\v\f\r")
    folded = trimmed.casefold()
    if folded == info.positive_infinity.casefold():
        return math.inf
    if folded == info.negative_infinity.casefold():
        return -math.inf
    if folded == info.nan.casefold():
        return math.nan
    if folded.startswith(info.positive_sign.casefold()):
        rest = folded[len(info.positive_sign) :]
        if rest == info.positive_infinity.casefold():
            return math.inf
        if rest == info.nan.casefold():
            return math.nan
        return None
    for sign in {info.negative_sign, "-"} if info.negative_sign in _MINUS_SIGNS else {info.negative_sign}:
        if folded.startswith(sign.casefold()) and folded[len(sign) :] == info.nan.casefold():
            return math.nan
    return None


def parse_double(text: str, styles: int, info: Culture) -> float | None:
    """Double.TryParse: correctly rounded; too large is ±Infinity, too small is 0."""
    parsed = parse_number(text, styles, info)
    if parsed is None:
        return _symbol_double(text, styles, info)
    if not parsed.digits:
        return -0.0 if parsed.negative else 0.0
    return float(parsed.exact())


def parse_decimal(text: str, styles: int, info: Culture) -> Decimal | None:
    """Decimal.TryParse: at most 28 decimal places and 29 significant digits, None on overflow."""
    parsed = parse_number(text, styles, info)
    if parsed is None:
        return None
    value = parsed.exact()
    if abs(value) > DECIMAL_MAX:
        return None
    places = min(28, parsed.fraction_digits)
    with localcontext() as ctx:
        ctx.prec = 80
        try:
            result = value.quantize(Decimal(1).scaleb(-places))
            digits = len(result.as_tuple().digits)
            if digits > 29:
                # More digits than a System.Decimal holds: the excess fraction digits are rounded away.
                result = result.quantize(Decimal(1).scaleb(-max(0, places - (digits - 29))))
        except InvalidOperation:
            return None
    return result


def parse_int64(text: str, styles: int, info: Culture) -> int | None:
    """Int64.TryParse: the value must be a whole number within Int64 (an exponent may make it one: `1e3`)."""
    parsed = parse_number(text, styles, info)
    if parsed is None:
        return None
    value = parsed.exact()
    if value != value.to_integral_value():
        return None
    result = int(value)
    if not -(2**63) <= result <= 2**63 - 1:
        return None
    return result


def decimal_from_double(value: float) -> Decimal:
    """(decimal)double in .NET: 15 significant digits, trailing zeros dropped (`decimal(float('0'))` is 0)."""
    if math.isnan(value) or math.isinf(value) or abs(value) >= 7.922816251426434e28:
        raise ExpressionError("Value was either too large or too small for a Decimal.")
    result = Decimal(format(value, ".15g"))
    if result == result.to_integral_value():
        return result.quantize(Decimal(1))
    return result.normalize()
