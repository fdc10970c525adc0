"""TimeZoneInfo: Windows and IANA zone ids on the host's tz database; the gateway's own zone (Local) is UTC."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from keyless.csharp.dotnet.datetime import TICKS_PER_SECOND, DateTime, DateTimeOffset, TimeSpan
from keyless.csharp.errors import DotNetException, argument_null
from keyless.csharp.members import DotNetType, define_type

# Windows zone ids (what Azure's gateway knows) -> IANA, from CLDR's windowsZones territory 001
WINDOWS_ZONES = {
    "UTC": "Etc/UTC",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "E. Europe Standard Time": "Europe/Chisinau",
    "FLE Standard Time": "Europe/Kiev",
    "GTB Standard Time": "Europe/Bucharest",
    "Russian Standard Time": "Europe/Moscow",
    "Turkey Standard Time": "Europe/Istanbul",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Africa Standard Time": "Africa/Johannesburg",
    "Egypt Standard Time": "Africa/Cairo",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Arabian Standard Time": "Asia/Dubai",
    "Arab Standard Time": "Asia/Riyadh",
    "Pakistan Standard Time": "Asia/Karachi",
    "India Standard Time": "Asia/Kolkata",
    "SE Asia Standard Time": "Asia/Bangkok",
    "China Standard Time": "Asia/Shanghai",
    "Singapore Standard Time": "Asia/Singapore",
    "Taipei Standard Time": "Asia/Taipei",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "E. Australia Standard Time": "Australia/Brisbane",
    "W. Australia Standard Time": "Australia/Perth",
    "New Zealand Standard Time": "Pacific/Auckland",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "US Mountain Standard Time": "America/Phoenix",
    "Pacific Standard Time": "America/Los_Angeles",
    "Alaskan Standard Time": "America/Anchorage",
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Atlantic Standard Time": "America/Halifax",
    "Canada Central Standard Time": "America/Regina",
    "Central Standard Time (Mexico)": "America/Mexico_City",
    "SA Pacific Standard Time": "America/Bogota",
    "E. South America Standard Time": "America/Sao_Paulo",
    "Argentina Standard Time": "America/Buenos_Aires",
}
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)


def _utc_datetime(ticks: int) -> datetime:
    return _EPOCH + timedelta(microseconds=ticks // 10)


def _ticks(dt: datetime) -> int:
    naive = dt.replace(tzinfo=None)
    return (naive - datetime(1, 1, 1)) // timedelta(microseconds=1) * 10


class TimeZoneInfo:
    __dotnet_name__ = "System.TimeZoneInfo"

    def __init__(self, zone_id: str) -> None:
        iana = WINDOWS_ZONES.get(zone_id, zone_id)
        try:
            self._zone = zoneinfo.ZoneInfo(iana)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise DotNetException(
                "TimeZoneNotFoundException", f"The time zone ID '{zone_id}' was not found on the local computer."
            ) from None
        self.Id = zone_id
        self.DisplayName = self.StandardName = zone_id

    def _offset(self, utc_ticks: int) -> timedelta:
        return _utc_datetime(utc_ticks).astimezone(self._zone).utcoffset() or timedelta(0)

    def from_utc(self, utc_ticks: int) -> int:
        return utc_ticks + int(self._offset(utc_ticks).total_seconds()) * TICKS_PER_SECOND

    def to_utc(self, local_ticks: int) -> int:
        local = _utc_datetime(local_ticks).replace(tzinfo=None).replace(tzinfo=self._zone)
        return _ticks(local.astimezone(UTC))

    @property
    def BaseUtcOffset(self) -> TimeSpan:
        january = _ticks(datetime(datetime.now(UTC).year, 1, 1))
        return TimeSpan(int(self._offset(january).total_seconds()) * TICKS_PER_SECOND)

    @property
    def SupportsDaylightSavingTime(self) -> bool:
        year = datetime.now(UTC).year
        return self._offset(_ticks(datetime(year, 1, 1))) != self._offset(_ticks(datetime(year, 7, 1)))

    def GetUtcOffset(self, value: Any) -> TimeSpan:
        return TimeSpan(int(self._offset(_as_utc(value, self)).total_seconds()) * TICKS_PER_SECOND)

    def IsDaylightSavingTime(self, value: Any) -> bool:
        utc = _as_utc(value, self)
        dst = _utc_datetime(utc).astimezone(self._zone).dst()
        return bool(dst)

    def ToString(self) -> str:
        return self.DisplayName


def _as_utc(value: Any, zone: TimeZoneInfo) -> int:
    """The UTC ticks of a DateTime (by its Kind: Unspecified counts as the zone's clock) or DateTimeOffset."""
    if isinstance(value, DateTimeOffset):
        return value.UtcTicks
    if int(value.Kind) == 0:
        return zone.to_utc(value.Ticks)
    return value.Ticks  # Utc, or Local (the gateway's local zone is UTC)


_UTC = TimeZoneInfo("UTC")


def _find(zone_id: Any) -> TimeZoneInfo:
    if zone_id is None:
        raise argument_null("id")
    return TimeZoneInfo(zone_id)


def _convert(value: Any, *zones: TimeZoneInfo) -> Any:
    if value is None:
        raise argument_null("dateTime")
    source, dest = (zones[0], zones[1]) if len(zones) == 2 else (_UTC, zones[0])
    if isinstance(value, DateTimeOffset):
        utc = value.UtcTicks
        local = dest.from_utc(utc)
        return DateTimeOffset.of(local, (local - utc) // (60 * TICKS_PER_SECOND))
    utc = value.Ticks if len(zones) == 1 and int(value.Kind) != 0 else _as_utc(value, source)
    if dest is _UTC or dest.Id == "UTC":
        return DateTime.of(utc, 1)
    return DateTime.of(dest.from_utc(utc), 0)


class _TimeZoneInfoStatics:
    Utc = _UTC
    Local = _UTC
    FindSystemTimeZoneById = staticmethod(_find)
    ConvertTime = staticmethod(_convert)

    @staticmethod
    def ConvertTimeFromUtc(value: DateTime, zone: TimeZoneInfo) -> DateTime:
        return DateTime.of(zone.from_utc(value.Ticks), 0)

    @staticmethod
    def ConvertTimeToUtc(value: DateTime, zone: TimeZoneInfo | None = None) -> DateTime:
        if zone is None or int(value.Kind) != 0:
            return DateTime.of(value.Ticks, 1)
        return DateTime.of(zone.to_utc(value.Ticks), 1)

    @staticmethod
    def ConvertTimeBySystemTimeZoneId(value: Any, *ids: str) -> Any:
        return _convert(value, *[_find(i) for i in ids])


define_type(DotNetType("TimeZoneInfo", "System.TimeZoneInfo", (TimeZoneInfo,), _TimeZoneInfoStatics))
