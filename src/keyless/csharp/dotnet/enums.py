"""Enums the expressions name: StringComparison, StringSplitOptions, Formatting, DateTimeKind, ..."""

from __future__ import annotations

from keyless.csharp.members import DotNetType, builtin_members, define_type


class DotNetEnum(int):
    """An enum value: an int that prints as its name."""

    enum_name: str
    member: str

    def __new__(cls, enum_name: str, member: str, value: int) -> DotNetEnum:
        self = super().__new__(cls, value)
        self.enum_name = enum_name
        self.member = member
        return self

    def ToString(self) -> str:
        return self.member

    def HasFlag(self, flag: int) -> bool:
        return (int(self) & int(flag)) == int(flag)

    def __repr__(self) -> str:
        return f"{self.enum_name}.{self.member}"


class _EnumStatics:
    def __init__(self, name: str, members: dict[str, int]) -> None:
        for member, value in members.items():
            setattr(self, member, DotNetEnum(name, member, value))


builtin_members(
    DotNetEnum,
    {
        "ToString": lambda v, *a: v.member,
        "HasFlag": DotNetEnum.HasFlag,
        "Equals": lambda a, b: isinstance(b, DotNetEnum) and a.enum_name == b.enum_name and int(a) == int(b),
        "GetHashCode": int,
    },
)


def enum(name: str, full_name: str, members: dict[str, int]) -> _EnumStatics:
    statics = _EnumStatics(name, members)
    define_type(DotNetType(name, full_name, (DotNetEnum,), statics))
    return statics


StringComparison = enum("StringComparison", "System.StringComparison", {
    "CurrentCulture": 0, "CurrentCultureIgnoreCase": 1, "InvariantCulture": 2, "InvariantCultureIgnoreCase": 3,
    "Ordinal": 4, "OrdinalIgnoreCase": 5,
})  # fmt: skip
StringSplitOptions = enum("StringSplitOptions", "System.StringSplitOptions", {"None": 0, "RemoveEmptyEntries": 1,
                                                                              "TrimEntries": 2})  # fmt: skip
Formatting = enum("Formatting", "Newtonsoft.Json.Formatting", {"None": 0, "Indented": 1})
DateTimeKind = enum("DateTimeKind", "System.DateTimeKind", {"Unspecified": 0, "Utc": 1, "Local": 2})
RegexOptions = enum("RegexOptions", "System.Text.RegularExpressions.RegexOptions", {
    "None": 0, "IgnoreCase": 1, "Multiline": 2, "ExplicitCapture": 4, "Compiled": 8, "Singleline": 16,
    "IgnorePatternWhitespace": 32, "RightToLeft": 64, "ECMAScript": 256, "CultureInvariant": 512,
})  # fmt: skip
UriPartial = enum("UriPartial", "System.UriPartial", {"Scheme": 0, "Authority": 1, "Path": 2, "Query": 3})
UriKind = enum("UriKind", "System.UriKind", {"RelativeOrAbsolute": 0, "Absolute": 1, "Relative": 2})
MidpointRounding = enum("MidpointRounding", "System.MidpointRounding", {"ToEven": 0, "AwayFromZero": 1})


def ignore_case(comparison: object) -> bool:
    """StringComparison's *IgnoreCase members are the odd ones."""
    if comparison is None:
        return False
    if isinstance(comparison, int):
        return int(comparison) % 2 == 1
    return bool(getattr(comparison, "ignore_case", False))
