"""The dateTime functions, end to end through the expression evaluator with "now" pinned by the context.

The first table is every example of Microsoft's expression-functions-reference.md for these functions (the one
with a typo, `convertTimeZone('2018-01-01T80:00:00.0000000Z', ...)`, is left out: hour 80 is no timestamp).
"""

from __future__ import annotations

from typing import Any

import pytest

from keyless.wdl.api import evaluate_text
from keyless.wdl.errors import ExpressionError
from keyless.wdl.static_context import StaticContext


def ev(text: str, now: str = "2018-03-01T00:00:00Z") -> Any:
    return evaluate_text(text, StaticContext({"now": now}))


DOCUMENTED = [
    ("@addDays('2018-03-15T00:00:00Z', 10)", "2018-03-25T00:00:00.0000000Z"),
    ("@addDays('2018-03-15T00:00:00Z', -5)", "2018-03-10T00:00:00.0000000Z"),
    ("@addHours('2018-03-15T00:00:00Z', 10)", "2018-03-15T10:00:00.0000000Z"),
    ("@addHours('2018-03-15T15:00:00Z', -5)", "2018-03-15T10:00:00.0000000Z"),
    ("@addMinutes('2018-03-15T00:10:00Z', 10)", "2018-03-15T00:20:00.0000000Z"),
    ("@addMinutes('2018-03-15T00:20:00Z', -5)", "2018-03-15T00:15:00.0000000Z"),
    ("@addSeconds('2018-03-15T00:00:00Z', 10)", "2018-03-15T00:00:10.0000000Z"),
    ("@addSeconds('2018-03-15T00:00:30Z', -5)", "2018-03-15T00:00:25.0000000Z"),
    ("@addToTime('2018-01-01T00:00:00Z', 1, 'Day')", "2018-01-02T00:00:00.0000000Z"),
    ("@addToTime('2018-01-01T00:00:00Z', 1, 'Day', 'D')", "Tuesday, January 2, 2018"),
    ("@convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time')", "2018-01-01T00:00:00.0000000"),
    ("@convertFromUtc('2018-01-01T08:00:00.0000000Z', 'Pacific Standard Time', 'D')", "Monday, January 1, 2018"),
    ("@convertTimeZone('2018-01-01T08:00:00.0000000Z', 'UTC', 'Pacific Standard Time')", "2018-01-01T00:00:00.0000000"),
    ("@convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time')", "2018-01-01T08:00:00.0000000Z"),
    ("@convertToUtc('01/01/2018 00:00:00', 'Pacific Standard Time', 'D')", "Monday, January 1, 2018"),
    ("@dateDifference('2015-02-08', '2018-07-30')", "1268.00:00:00"),
    ("@dayOfMonth('2018-03-15T13:27:36Z')", 15),
    ("@dayOfWeek('2018-03-15T13:27:36Z')", 4),
    ("@dayOfYear('2018-03-15T13:27:36Z')", 74),
    ("@formatDateTime('03/15/2018')", "2018-03-15T00:00:00.0000000"),
    ("@formatDateTime('03/15/2018 12:00:00', 'yyyy-MM-ddTHH:mm:ss')", "2018-03-15T12:00:00"),
    ("@formatDateTime('01/31/2016', 'dddd MMMM d')", "Sunday January 31"),
    ("@formatDateTime('01/31/2016', 'dddd MMMM d', 'fr-fr')", "dimanche janvier 31"),
    ("@formatDateTime('01/31/2016', 'dddd MMMM d', 'fr-FR')", "dimanche janvier 31"),
    ("@formatDateTime('01/31/2016', 'dddd MMMM d', 'es-es')", "domingo enero 31"),
    ("@parseDateTime('20/10/2014', 'fr-fr')", "2014-10-20T00:00:00.0000000"),
    ("@parseDateTime('20 octobre 2010', 'fr-FR')", "2010-10-20T00:00:00.0000000"),
    ("@parseDateTime('martes 20 octubre 2020', 'es-es')", "2020-10-20T00:00:00.0000000"),
    ("@parseDateTime('21052019', 'fr-fr', 'ddMMyyyy')", "2019-05-21T00:00:00.0000000"),
    ("@parseDateTime('20190521', 'fr-fr', 'yyyyMMdd')", "2019-05-21T00:00:00.0000000"),
    ("@parseDateTime('10/20/2014 15h', 'en-US', 'MM/dd/yyyy HH\\h')", "2014-10-20T15:00:00.0000000"),
    ("@startOfDay('2018-03-15T13:30:30Z')", "2018-03-15T00:00:00.0000000Z"),
    ("@startOfHour('2018-03-15T13:30:30Z')", "2018-03-15T13:00:00.0000000Z"),
    ("@startOfMonth('2018-03-15T13:30:30Z')", "2018-03-01T00:00:00.0000000Z"),
    ("@startOfMonth('2018-03-15T13:30:30Z', 'yyyy-MM-dd')", "2018-03-01"),
    ("@subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day')", "2018-01-01T00:00:00.0000000Z"),
    # the docs print "Monday, January, 1, 2018", which no .NET "D" pattern gives; en-US "D" is below
    ("@subtractFromTime('2018-01-02T00:00:00Z', 1, 'Day', 'D')", "Monday, January 1, 2018"),
]


@pytest.mark.parametrize(("text", "expected"), DOCUMENTED)
def test_documented_examples(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("@getFutureTime(5, 'Day')", "2018-03-01T00:00:00Z", "2018-03-06T00:00:00.0000000Z"),
        ("@getFutureTime(5, 'Day', 'D')", "2018-03-01T00:00:00Z", "Tuesday, March 6, 2018"),
        ("@getPastTime(5, 'Day')", "2018-02-01T00:00:00Z", "2018-01-27T00:00:00.0000000Z"),
        ("@getPastTime(5, 'Day', 'D')", "2018-02-01T00:00:00Z", "Saturday, January 27, 2018"),
    ],
)
def test_documented_relative_to_now(text: str, now: str, expected: str) -> None:
    assert ev(text, now) == expected


# utcNow's documented examples, at the documented instant (the pinned clock carries microseconds, not ticks)
@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("u", "2025-09-25 05:18:31Z"),
        ("U", "Thursday, September 25, 2025 5:18:31 AM"),
        ("d", "9/25/2025"),
        ("D", "Thursday, September 25, 2025"),
        ("t", "5:18 AM"),
        ("T", "5:18:31 AM"),
        ("y", "September 2025"),
        ("yyyy", "2025"),
        ("ddd, d MMM yyyy", "Thu, 25 Sep 2025"),
    ],
)
def test_utc_now_formats(fmt: str, expected: str) -> None:
    assert ev(f"@utcNow('{fmt}')", "2025-09-25T05:18:31.338479Z") == expected


def test_utc_now_default_is_round_trip_utc() -> None:
    assert ev("@utcNow()", "2025-09-25T05:18:31.338479Z") == "2025-09-25T05:18:31.3384790Z"


def test_utc_now_follows_the_pinned_clock() -> None:
    assert ev("@utcNow()", "2030-12-31T23:59:59Z") == "2030-12-31T23:59:59.0000000Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # DateTimeKind: Z stays Utc, no zone stays Unspecified, an offset is adjusted to UTC
        ("@addDays('2018-03-15', 1)", "2018-03-16T00:00:00.0000000"),
        ("@addDays('2018-03-15T10:00:00+05:00', 1)", "2018-03-16T05:00:00.0000000Z"),
        ("@formatDateTime('2018-03-15T13:27:36.1234567Z')", "2018-03-15T13:27:36.1234567Z"),
        ("@formatDateTime('2018-03-15T13:27:36.123456789Z')", "2018-03-15T13:27:36.1234567Z"),
        ("@formatDateTime('Thu, 15 Mar 2018 13:27:36 GMT')", "2018-03-15T13:27:36.0000000Z"),
        ("@formatDateTime('3/15/2018 1:27 PM', 'HH:mm')", "13:27"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'r')", "Thu, 15 Mar 2018 13:27:36 GMT"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 's')", "2018-03-15T13:27:36"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'hh:mm tt')", "01:27 PM"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'MMM')", "Mar"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'D', 'de-DE')", "Donnerstag, 15. März 2018"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'd', 'de-DE')", "15.03.2018"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'd', 'en-GB')", "15/03/2018"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'g', 'fr-FR')", "15/03/2018 13:27"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'r', 'fr-FR')", "Thu, 15 Mar 2018 13:27:36 GMT"),
        ("@formatDateTime('2018-03-15T13:27:36Z', 'yyyy/MM/dd', 'de-DE')", "2018.03.15"),
        # the arithmetic is DateTime's: month ends clamp, weeks are seven days, years keep the day
        ("@addToTime('2018-01-31T00:00:00Z', 1, 'Month')", "2018-02-28T00:00:00.0000000Z"),
        ("@addToTime('2020-02-29T00:00:00Z', 1, 'Year')", "2021-02-28T00:00:00.0000000Z"),
        ("@addToTime('2018-01-01T00:00:00Z', 2, 'Week')", "2018-01-15T00:00:00.0000000Z"),
        ("@addToTime('2018-01-01T00:00:00Z', 90, 'minute')", "2018-01-01T01:30:00.0000000Z"),
        ("@subtractFromTime('2018-03-31T00:00:00Z', 1, 'Month', 'yyyy-MM-dd')", "2018-02-28"),
        ("@addDays('2018-03-15T00:00:00Z', 1.5)", "2018-03-16T12:00:00.0000000Z"),
        ("@dateDifference('2018-07-30', '2015-02-08')", "-1268.00:00:00"),
        ("@dateDifference('2018-01-01T00:00:00Z', '2018-01-01T01:30:15.5Z')", "01:30:15.5000000"),
        ("@dayOfWeek('2018-03-18')", 0),
        ("@dayOfYear('2016-12-31')", 366),
        ("@ticks('2022-09-09T10:00:00Z')", 637983144000000000),
        ("@ticks('0001-01-01T00:00:00Z')", 0),
        ("@startOfDay('2018-03-15T13:30:30')", "2018-03-15T00:00:00.0000000"),
        # time zones: Windows names, daylight saving time, UTC as a destination gives Utc
        ("@convertFromUtc('2018-07-01T08:00:00Z', 'Pacific Standard Time')", "2018-07-01T01:00:00.0000000"),
        ("@convertFromUtc('2018-07-01T08:00:00Z', 'W. Europe Standard Time', 'HH:mm')", "10:00"),
        ("@convertToUtc('2018-07-01T10:00:00', 'W. Europe Standard Time')", "2018-07-01T08:00:00.0000000Z"),
        (
            "@convertTimeZone('2018-07-01T12:00:00', 'W. Europe Standard Time', 'Tokyo Standard Time')",
            "2018-07-01T19:00:00.0000000",
        ),
        ("@convertTimeZone('2018-07-01T12:00:00', 'India Standard Time', 'UTC')", "2018-07-01T06:30:00.0000000Z"),
        ("@convertFromUtc('2018-01-01T08:00:00Z', 'pacific standard time')", "2018-01-01T00:00:00.0000000"),
        # the repeated hour when daylight saving ends is read as standard time, as TimeZoneInfo does
        ("@convertToUtc('2018-11-04T01:30:00', 'Pacific Standard Time')", "2018-11-04T09:30:00.0000000Z"),
        ("@convertToUtc('2018-03-11T03:30:00', 'Pacific Standard Time')", "2018-03-11T10:30:00.0000000Z"),
        ("@parseDateTime('2018-03-15T13:27:36Z')", "2018-03-15T13:27:36.0000000Z"),
        ("@parseDateTime('15.03.2018 13:27', 'de-DE')", "2018-03-15T13:27:00.0000000"),
        ("@parseDateTime('Donnerstag, 15. März 2018', 'de-DE', 'D')", "2018-03-15T00:00:00.0000000"),
        ("@parseDateTime('3/15/2018 1:27 PM', 'en-US', 'g')", "2018-03-15T13:27:00.0000000"),
        (
            "@parseDateTime('2018-03-15 13:27:36 +02:00', 'en-US', 'yyyy-MM-dd HH:mm:ss zzz')",
            "2018-03-15T11:27:36.0000000Z",
        ),
    ],
)
def test_behaviour(text: str, expected: Any) -> None:
    assert ev(text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@formatDateTime('15/03/2018')", ["formatDateTime", "15/03/2018", "ISO 8601"]),
        ("@addDays('not a date', 1)", ["addDays", "not a date"]),
        ("@formatDateTime('2018-03-15', 'Q')", ["formatDateTime", "'Q'"]),
        ("@formatDateTime('2018-03-15', 'o', 'xx-YY')", ["formatDateTime", "'xx-YY'"]),
        ("@parseDateTime('2018-03-15', 'tlh-KX')", ["parseDateTime", "'tlh-KX'"]),
        ("@convertFromUtc('2018-03-15', 'Mars Standard Time')", ["convertFromUtc", "'Mars Standard Time'"]),
        ("@convertToUtc('2018-03-15', 'Europe/Berlin')", ["convertToUtc", "'Europe/Berlin'"]),
        ("@convertToUtc('2018-03-11T02:30:00', 'Pacific Standard Time')", ["convertToUtc", "does not exist"]),
        ("@addToTime('2018-03-15', 1, 'Fortnight')", ["addToTime", "'Fortnight'"]),
        ("@getFutureTime(1, 'Decade')", ["getFutureTime", "'Decade'"]),
        ("@addToTime('2018-03-15', 1.5, 'Day')", ["addToTime", "integer", "Float"]),
        ("@addDays(20180315, 1)", ["addDays", "string", "Integer"]),
        ("@addDays('2018-03-15', 'one')", ["addDays", "number", "String"]),
        ("@addToTime('9999-12-31', 1, 'Day')", ["addToTime", "range"]),
        ("@convertToUtc('9999-12-31T23:00:00', 'Pacific Standard Time')", ["convertToUtc", "range"]),
        ("@convertFromUtc('0001-01-01T01:00:00Z', 'Pacific Standard Time')", ["convertFromUtc", "range"]),
        ("@formatDateTime('0001-01-01T00:00:00+05:00')", ["formatDateTime", "0001-01-01T00:00:00+05:00"]),
        ("@parseDateTime('2018/03/15', 'en-US', 'ddMMyyyy')", ["parseDateTime", "2018/03/15", "ddMMyyyy"]),
        ("@formatTimeSpan('1.00:00:00', 'c')", ["formatTimeSpan"]),
    ],
)
def test_refusals_name_what_is_wrong(text: str, names: list[str]) -> None:
    with pytest.raises(ExpressionError) as caught:
        ev(text)
    for name in names:
        assert name in caught.value.message
