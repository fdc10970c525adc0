"""CultureInfo and NumberStyles: keyless formats and parses with the invariant culture, so only it is offered."""

from __future__ import annotations

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
