"""CultureInfo and NumberStyles: keyless formats and parses with the invariant culture, so only it is offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keyless.csharp.dotnet.enums import enum
from keyless.csharp.errors import DotNetException
from keyless.csharp.members import DotNetType, define_type

NumberStyles = enum("NumberStyles", "System.Globalization.NumberStyles", {
    "None": 0, "AllowLeadingWhite": 1, "AllowTrailingWhite": 2, "AllowLeadingSign": 4, "Integer": 7,
    "AllowTrailingSign": 8, "AllowParentheses": 16, "AllowDecimalPoint": 32, "AllowThousands": 64, "Number": 111,
    "AllowExponent": 128, "Float": 167, "AllowCurrencySymbol": 256, "Currency": 383, "Any": 511,
    "AllowHexSpecifier": 512, "HexNumber": 515,
})  # fmt: skip


class CultureInfo:
    """An IFormatProvider; passing it changes nothing because every format here is already invariant."""

    __dotnet_name__ = "System.Globalization.CultureInfo"

    def __init__(self, name: Any = "", *rest: Any) -> None:
        if name not in ("", "iv", "Invariant Language (Invariant Country)"):
            raise DotNetException(
                "NotSupportedException", f"keyless formats with the invariant culture only, not '{name}'"
            )
        self.Name = ""
        self.DisplayName = "Invariant Language (Invariant Country)"

    def ToString(self) -> str:
        return self.Name


class _CultureInfoStatics:
    InvariantCulture = CultureInfo()
    CurrentCulture = InvariantCulture
    CurrentUICulture = InvariantCulture
    GetCultureInfo = staticmethod(lambda name: CultureInfo(name))


define_type(
    DotNetType("CultureInfo", "System.Globalization.CultureInfo", (CultureInfo,), _CultureInfoStatics(), CultureInfo)
)


# --- Culture data for culture-aware formatting (Logic Apps' formatDateTime, parseDateTime, formatNumber) ---
# The C# engine above stays invariant; these tables serve callers that pass a locale explicitly. Values follow
# .NET 5+ on ICU (the Logic Apps Standard runtime); Microsoft's documented examples are the tests.


@dataclass(frozen=True)
class CultureData:
    """The slice of NumberFormatInfo and DateTimeFormatInfo that formatting and parsing need."""

    name: str
    decimal_sep: str = "."
    group_sep: str = ","
    currency_symbol: str = "¤"
    currency_positive: str = "$n"  # `$` stands for the symbol, `n` for the digits (CurrencyPositivePattern)
    currency_negative: str = "-$n"
    percent_positive: str = "n %"
    percent_negative: str = "-n %"
    days: tuple[str, ...] = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
    days_abbr: tuple[str, ...] = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    months: tuple[str, ...] = ("January", "February", "March", "April", "May", "June", "July", "August",
                               "September", "October", "November", "December")  # fmt: skip
    months_abbr: tuple[str, ...] = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                    "Dec")  # fmt: skip
    am: str = "AM"
    pm: str = "PM"
    date_sep: str = "/"
    time_sep: str = ":"
    short_date: str = "MM/dd/yyyy"
    long_date: str = "dddd, dd MMMM yyyy"
    short_time: str = "HH:mm"
    long_time: str = "HH:mm:ss"
    month_day: str = "MMMM dd"
    year_month: str = "yyyy MMMM"

    def standard(self, spec: str) -> str | None:
        """The pattern of a one-letter standard date/time format, or None when `spec` is not one."""
        d, dd, t, tt = self.short_date, self.long_date, self.short_time, self.long_time
        return {
            "d": d, "D": dd, "f": f"{dd} {t}", "F": f"{dd} {tt}", "g": f"{d} {t}", "G": f"{d} {tt}",
            "m": self.month_day, "M": self.month_day, "t": t, "T": tt, "U": f"{dd} {tt}",
            "y": self.year_month, "Y": self.year_month,
            "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK", "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
            "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'", "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
            "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss", "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
        }.get(spec)  # fmt: skip


INVARIANT = CultureData("")
_NBSP, _NNBSP = "\u00a0", "\u202f"
# fmt: off
_CULTURES = {
    c.name.lower(): c
    for c in (
        INVARIANT,
        CultureData(
            "en-US", currency_symbol="$", percent_positive="n%", percent_negative="-n%",
            short_date="M/d/yyyy", long_date="dddd, MMMM d, yyyy", short_time="h:mm tt", long_time="h:mm:ss tt",
            month_day="MMMM d", year_month="MMMM yyyy",
        ),
        CultureData(
            "en-GB", currency_symbol="£", percent_positive="n%", percent_negative="-n%", am="am", pm="pm",
            short_date="dd/MM/yyyy", long_date="dddd, d MMMM yyyy", month_day="d MMMM", year_month="MMMM yyyy",
        ),
        CultureData(
            "de-DE", decimal_sep=",", group_sep=".", currency_symbol="€", currency_positive=f"n{_NBSP}$",
            currency_negative=f"-n{_NBSP}$", percent_positive=f"n{_NBSP}%", percent_negative=f"-n{_NBSP}%",
            days=("Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"),
            days_abbr=("So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."),
            months=("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                    "November", "Dezember"),
            months_abbr=("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
                         "Dez."),
            date_sep=".", short_date="dd.MM.yyyy", long_date="dddd, d. MMMM yyyy", month_day="d. MMMM",
            year_month="MMMM yyyy",
        ),
        CultureData(
            "fr-FR", decimal_sep=",", group_sep=_NNBSP, currency_symbol="€", currency_positive=f"n{_NBSP}$",
            currency_negative=f"-n{_NBSP}$", percent_positive=f"n{_NNBSP}%", percent_negative=f"-n{_NNBSP}%",
            days=("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"),
            days_abbr=("dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."),
            months=("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                    "novembre", "décembre"),
            months_abbr=("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                         "déc."),
            short_date="dd/MM/yyyy", long_date="dddd d MMMM yyyy", month_day="d MMMM", year_month="MMMM yyyy",
        ),
        CultureData(
            "es-ES", decimal_sep=",", group_sep=".", currency_symbol="€", currency_positive=f"n{_NBSP}$",
            currency_negative=f"-n{_NBSP}$", percent_positive=f"n{_NBSP}%", percent_negative=f"-n{_NBSP}%",
            days=("domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"),
            days_abbr=("dom", "lun", "mar", "mié", "jue", "vie", "sáb"),
            months=("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
                    "octubre", "noviembre", "diciembre"),
            months_abbr=("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
            am="a.\u00a0m.", pm="p.\u00a0m.", short_date="dd/MM/yyyy", long_date="dddd, d 'de' MMMM 'de' yyyy",
            short_time="H:mm", long_time="H:mm:ss", month_day="d 'de' MMMM", year_month="MMMM 'de' yyyy",
        ),
        CultureData(
            "it-IT", decimal_sep=",", group_sep=".", currency_symbol="€", currency_positive=f"n{_NBSP}$",
            currency_negative=f"-n{_NBSP}$", percent_positive="n%", percent_negative="-n%",
            days=("domenica", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato"),
            days_abbr=("dom", "lun", "mar", "mer", "gio", "ven", "sab"),
            months=("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
                    "ottobre", "novembre", "dicembre"),
            months_abbr=("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
            short_date="dd/MM/yyyy", long_date="dddd d MMMM yyyy", month_day="d MMMM", year_month="MMMM yyyy",
        ),
        CultureData(
            "nl-NL", decimal_sep=",", group_sep=".", currency_symbol="€", currency_positive=f"${_NBSP}n",
            currency_negative=f"${_NBSP}-n", percent_positive="n%", percent_negative="-n%",
            days=("zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"),
            days_abbr=("zo", "ma", "di", "wo", "do", "vr", "za"),
            months=("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                    "oktober", "november", "december"),
            months_abbr=("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
            date_sep="-", short_date="d-M-yyyy", long_date="dddd d MMMM yyyy", month_day="d MMMM",
            year_month="MMMM yyyy",
        ),
        CultureData(
            "pt-BR", decimal_sep=",", group_sep=".", currency_symbol="R$", currency_positive=f"${_NBSP}n",
            currency_negative=f"-${_NBSP}n", percent_positive="n%", percent_negative="-n%",
            days=("domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
                  "sábado"),
            days_abbr=("dom.", "seg.", "ter.", "qua.", "qui.", "sex.", "sáb."),
            months=("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
                    "outubro", "novembro", "dezembro"),
            months_abbr=("jan.", "fev.", "mar.", "abr.", "mai.", "jun.", "jul.", "ago.", "set.", "out.", "nov.",
                         "dez."),
            short_date="dd/MM/yyyy", long_date="dddd, d 'de' MMMM 'de' yyyy", month_day="d 'de' MMMM",
            year_month="MMMM 'de' yyyy",
        ),
        CultureData(
            "is-IS", decimal_sep=",", group_sep=".", currency_symbol="kr", currency_positive="n $",
            currency_negative="-n $", percent_positive="n%", percent_negative="-n%",
            days=("sunnudagur", "mánudagur", "þriðjudagur", "miðvikudagur", "fimmtudagur", "föstudagur",
                  "laugardagur"),
            days_abbr=("sun.", "mán.", "þri.", "mið.", "fim.", "fös.", "lau."),
            months=("janúar", "febrúar", "mars", "apríl", "maí", "júní", "júlí", "ágúst", "september", "október",
                    "nóvember", "desember"),
            months_abbr=("jan.", "feb.", "mar.", "apr.", "maí", "jún.", "júl.", "ágú.", "sep.", "okt.", "nóv.",
                         "des."),
            am="f.h.", pm="e.h.", date_sep=".", short_date="d.M.yyyy", long_date="dddd, d. MMMM yyyy",
            month_day="d. MMMM", year_month="MMMM yyyy",
        ),
    )
}
# a neutral culture name formats as its default specific culture
_NEUTRAL = {"en": "en-us", "de": "de-de", "fr": "fr-fr", "es": "es-es", "it": "it-it", "nl": "nl-nl", "pt": "pt-br",
            "is": "is-is"}
# fmt: on


def culture_data(name: str) -> CultureData | None:
    """The culture named `name` (case-insensitive, `""` is the invariant culture), or None when keyless has no data
    for it; callers say so naming the culture rather than fall back silently."""
    key = name.lower()
    return _CULTURES.get(_NEUTRAL.get(key, key))


def culture_names() -> list[str]:
    return sorted(c.name for c in _CULTURES.values() if c.name)
