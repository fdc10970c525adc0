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
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11",
    "Aleutian Standard Time": "America/Adak",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "UTC-09": "Etc/GMT+9",
    "UTC-08": "Etc/GMT+8",
    "Pacific Standard Time (Mexico)": "America/Tijuana",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Yukon Standard Time": "America/Whitehorse",
    "Central America Standard Time": "America/Guatemala",
    "Easter Island Standard Time": "Pacific/Easter",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "SA Eastern Standard Time": "America/Cayenne",
    "Greenland Standard Time": "America/Nuuk",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Jordan Standard Time": "Asia/Amman",
    "Middle East Standard Time": "Asia/Beirut",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "South Sudan Standard Time": "Africa/Juba",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Belarus Standard Time": "Europe/Minsk",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Iran Standard Time": "Asia/Tehran",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu",
    "Central Asia Standard Time": "Asia/Almaty",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "West Pacific Standard Time": "Pacific/Port_Moresby",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}
_WINDOWS_BY_LOWER = {name.lower(): name for name in WINDOWS_ZONES}
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
        # an ambiguous clock time (the hour repeated when daylight saving ends) is standard time, as in .NET
        local = _utc_datetime(local_ticks).replace(tzinfo=None).replace(tzinfo=self._zone, fold=1)
        return _ticks(local.astimezone(UTC))

    def is_invalid_time(self, local_ticks: int) -> bool:
        """True for a clock time skipped when daylight saving starts (TimeZoneInfo.IsInvalidTime)."""
        return self.from_utc(self.to_utc(local_ticks)) != local_ticks

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


def find_windows_zone(zone_id: str) -> TimeZoneInfo | None:
    """A zone by its Windows id only (case-insensitive, as the Windows registry compares), None when unknown.

    Logic Apps' time zone arguments are Windows names; an IANA id is not one there, so it is not accepted."""
    name = _WINDOWS_BY_LOWER.get(zone_id.lower())
    return TimeZoneInfo(name) if name is not None else None


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
