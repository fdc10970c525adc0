"""The .NET library policy expressions see; importing it registers every type and member."""

from __future__ import annotations

from keyless.csharp.dotnet import (  # noqa: F401
    apim,
    collections,
    convert,
    crypto,
    culture,
    datetime,
    enums,
    exceptions,
    json,
    jsontext,
    jwt,
    linq,
    misc,
    numbers,
    strings,
    symmetric,
    text,
    timezones,
    unsupported,
    web,
    xml,
    xmlreader,
)
from keyless.csharp.dotnet.collections import KeyValuePair
from keyless.csharp.dotnet.convert import Guid, Random
from keyless.csharp.dotnet.datetime import DateTime, DateTimeOffset, TimeSpan
from keyless.csharp.dotnet.json import JArray, JObject, JProperty, JToken, JValue
from keyless.csharp.dotnet.jsontext import parse_token, serialize
from keyless.csharp.dotnet.jwt import BasicAuthCredentials, Jwt, parse_basic, parse_jwt
from keyless.csharp.dotnet.text import Char, to_string

__all__ = [
    "BasicAuthCredentials",
    "Char",
    "DateTime",
    "DateTimeOffset",
    "Guid",
    "JArray",
    "JObject",
    "JProperty",
    "JToken",
    "JValue",
    "Jwt",
    "KeyValuePair",
    "Random",
    "TimeSpan",
    "parse_basic",
    "parse_jwt",
    "parse_token",
    "serialize",
    "to_string",
]
