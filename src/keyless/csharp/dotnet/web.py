"""Uri, WebUtility, StringBuilder and Regex with .NET semantics."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from keyless.csharp.dotnet.text import Char, composite_format, to_string
from keyless.csharp.errors import DotNetException, argument_null, argument_out_of_range
from keyless.csharp.members import DotNetType, Property, Ref, builtin_members, define_type

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}


class Uri:
    __dotnet_name__ = "System.Uri"

    def __init__(self, value: Any, *rest: Any) -> None:
        if isinstance(value, Uri) and rest:  # new Uri(baseUri, relative)
            from urllib.parse import urljoin

            value = urljoin(value.AbsoluteUri, to_string(rest[0]))
        if value is None:
            raise argument_null("uriString")
        self.OriginalString = value
        parts = urlsplit(value)
        if not parts.scheme or (not parts.netloc and parts.scheme in _DEFAULT_PORTS):
            raise DotNetException("UriFormatException", "Invalid URI: The format of the URI could not be determined.")
        self.Scheme = parts.scheme.lower()
        self.Host = (parts.hostname or "").lower()
        self.Port = parts.port if parts.port is not None else _DEFAULT_PORTS.get(self.Scheme, -1)
        self.AbsolutePath = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        self.Query = "?" + parts.query if parts.query else ""
        self.Fragment = "#" + parts.fragment if parts.fragment else ""
        self.UserInfo = parts.username or ""
        self.IsDefaultPort = self.Port == _DEFAULT_PORTS.get(self.Scheme)

    Authority = property(lambda self: self.Host if self.IsDefaultPort else f"{self.Host}:{self.Port}")
    PathAndQuery = property(lambda self: self.AbsolutePath + self.Query)
    AbsoluteUri = property(lambda self: f"{self.Scheme}://{self.Authority}{self.PathAndQuery}{self.Fragment}")
    IsAbsoluteUri = property(lambda self: True)

    @property
    def Segments(self) -> list[str]:
        """`/a/b` -> `["/", "a/", "b"]`."""
        parts = self.AbsolutePath.split("/")
        return ["/"] + [p + "/" for p in parts[1:-1]] + ([parts[-1]] if parts[-1] else [])

    DnsSafeHost = property(lambda self: self.Host)
    IdnHost = property(lambda self: self.Host)

    def GetLeftPart(self, part: int) -> str:
        p = int(part)
        if p == 0:
            return f"{self.Scheme}://"
        if p == 1:
            return f"{self.Scheme}://{self.Authority}"
        if p == 2:
            return f"{self.Scheme}://{self.Authority}{self.AbsolutePath}"
        return f"{self.Scheme}://{self.Authority}{self.PathAndQuery}"

    def ToString(self) -> str:
        return unquote(self.AbsoluteUri)

    def Equals(self, other: Any) -> bool:
        return isinstance(other, Uri) and self.AbsoluteUri == other.AbsoluteUri


def escape_data_string(s: Any) -> str:
    if s is None:
        raise argument_null("stringToEscape")
    return quote(s, safe="-._~")


class _UriStatics:
    EscapeDataString = staticmethod(escape_data_string)
    UnescapeDataString = staticmethod(
        lambda s: unquote(s) if s is not None else (_ for _ in ()).throw(argument_null("stringToUnescape"))
    )
    EscapeUriString = staticmethod(lambda s: quote(s, safe="-._~:/?#[]@!$&'()*+,;=%"))
    UriSchemeHttp = "http"
    UriSchemeHttps = "https"

    @staticmethod
    def IsWellFormedUriString(s: Any, kind: Any = None) -> bool:
        if s is None:
            return False
        try:
            Uri(s)
            return " " not in s
        except DotNetException:
            return kind is not None and int(kind) == 2 and bool(re.fullmatch(r"[^:\s]*", s))

    @staticmethod
    def TryCreate(s: Any, kind: Any, out: Ref) -> bool:
        try:
            out.value = Uri(s)
            return True
        except DotNetException:
            out.value = None
            return False


def url_encode(s: Any) -> Any:
    if s is None:
        return None
    return quote(s, safe="-_.!*()").replace("%20", "+")


def html_encode(s: Any) -> Any:
    if s is None:
        return None
    out = []
    for c in s:
        if c == "&":
            out.append("&amp;")
        elif c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == '"':
            out.append("&quot;")
        elif c == "'":
            out.append("&#39;")
        elif 160 <= ord(c) < 256:
            out.append(f"&#{ord(c)};")
        else:
            out.append(c)
    return "".join(out)


class _WebUtilityStatics:
    UrlEncode = staticmethod(url_encode)
    UrlDecode = staticmethod(lambda s: None if s is None else unquote(s.replace("+", " ")))
    HtmlEncode = staticmethod(html_encode)
    HtmlDecode = staticmethod(lambda s: None if s is None else html.unescape(s))


class StringBuilder:
    __dotnet_name__ = "System.Text.StringBuilder"

    def __init__(self, value: Any = None, *rest: Any) -> None:
        self._parts: list[str] = [value] if isinstance(value, str) else []

    def _s(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def Append(self, value: Any, *rest: Any) -> StringBuilder:
        if rest and isinstance(value, Char):  # Append(char, repeatCount)
            self._parts.append(value * rest[0])
        elif isinstance(value, list):
            self._parts.append("".join(value))
        else:
            self._parts.append(to_string(value))
        return self

    def AppendLine(self, value: Any = None) -> StringBuilder:
        self._parts.append(to_string(value) + "\r\n")
        return self

    def AppendFormat(self, fmt: str, *args: Any) -> StringBuilder:
        self._parts.append(composite_format(fmt, args))
        return self

    def Insert(self, index: int, value: Any) -> StringBuilder:
        s = self._s()
        if not 0 <= index <= len(s):
            raise argument_out_of_range("index")
        self._parts = [s[:index] + to_string(value) + s[index:]]
        return self

    def Remove(self, start: int, length: int) -> StringBuilder:
        s = self._s()
        if start < 0 or length < 0 or start + length > len(s):
            raise argument_out_of_range("length")
        self._parts = [s[:start] + s[start + length :]]
        return self

    def Replace(self, old: str, new: str | None) -> StringBuilder:
        self._parts = [self._s().replace(old, new or "")]
        return self

    def Clear(self) -> StringBuilder:
        self._parts = []
        return self

    @property
    def Length(self) -> int:
        return len(self._s())

    def __getitem__(self, i: int) -> Char:
        return Char(self._s()[i])

    def ToString(self, *args: Any) -> str:
        s = self._s()
        return s[args[0] : args[0] + args[1]] if len(args) == 2 else s


# Regex


def _py_pattern(pattern: str) -> str:
    p = re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)
    p = re.sub(r"\\k<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P=\1)", p)
    return p


def _flags(options: Any) -> int:
    o = int(options or 0)
    return (re.I if o & 1 else 0) | (re.M if o & 2 else 0) | (re.S if o & 16 else 0) | (re.X if o & 32 else 0)


@lru_cache(maxsize=512)
def _compile(pattern: Any, options: Any) -> re.Pattern[str]:
    if pattern is None:
        raise argument_null("pattern")
    try:
        return re.compile(_py_pattern(pattern), _flags(options))
    except re.error as exc:
        raise DotNetException("RegexParseException", f"Invalid pattern '{pattern}': {exc}") from None


class Group:
    __dotnet_name__ = "System.Text.RegularExpressions.Group"

    def __init__(self, m: re.Match[str] | None, key: Any) -> None:
        value = m.group(key) if m is not None else None
        self.Success = value is not None
        self.Value = value or ""
        self.Index = m.start(key) if value is not None and m is not None else 0
        self.Length = len(self.Value)
        self.Name = str(key)

    @property
    def Captures(self) -> list[Group]:
        """Python's re keeps a group's last capture only, so a successful group has one."""
        return [self] if self.Success else []

    def ToString(self) -> str:
        return self.Value


class GroupCollection:
    def __init__(self, m: re.Match[str] | None) -> None:
        self._m = m

    def __getitem__(self, key: Any) -> Group:
        m = self._m
        if m is None:
            return Group(None, 0)
        try:
            return Group(m, key)
        except (IndexError, error_type()):
            return Group(None, 0)

    @property
    def Count(self) -> int:
        return 1 + (self._m.re.groups if self._m is not None else 0)


def error_type() -> type[Exception]:
    return IndexError


class Match(Group):
    __dotnet_name__ = "System.Text.RegularExpressions.Match"

    def __init__(self, m: re.Match[str] | None, regex: re.Pattern[str] | None = None, text: str = "") -> None:
        super().__init__(m, 0)
        self._m = m
        self._regex = regex
        self._text = text
        self.Groups = GroupCollection(m)

    def NextMatch(self) -> Match:
        if self._m is None or self._regex is None:
            return Match(None)
        pos = self._m.end() + (1 if self._m.end() == self._m.start() else 0)
        return Match(self._regex.search(self._text, pos), self._regex, self._text)

    def Result(self, replacement: str) -> str:
        return _expand(self._m, replacement) if self._m else ""


def _expand(m: re.Match[str] | None, replacement: str) -> str:
    def sub(r: re.Match[str]) -> str:
        token = r.group(0)
        if token == "$$":
            return "$"
        key = r.group(1) or r.group(2)
        if m is None:
            return ""
        if key == "&":
            key = "0"
        try:
            return m.group(int(key) if key.isdigit() else key) or ""
        except (IndexError, re.error):
            return token

    return re.sub(r"\$\$|\$\{([^}]+)\}|\$(\d+|&)", sub, replacement)


class Regex:
    __dotnet_name__ = "System.Text.RegularExpressions.Regex"

    def __init__(self, pattern: Any, options: Any = None, *rest: Any) -> None:
        self._re = _compile(pattern, int(options or 0))
        self._pattern = pattern

    def IsMatch(self, text: Any) -> bool:
        if text is None:
            raise argument_null("input")
        return self._re.search(text) is not None

    def Match(self, text: Any, start: int = 0) -> Match:
        if text is None:
            raise argument_null("input")
        return Match(self._re.search(text, start), self._re, text)

    def Matches(self, text: Any) -> list[Match]:
        if text is None:
            raise argument_null("input")
        return [Match(m, self._re, text) for m in self._re.finditer(text)]

    def Replace(self, text: Any, replacement: Any, count: int = -1) -> str:
        if text is None:
            raise argument_null("input")
        if callable(replacement):
            fn = lambda m: to_string(replacement(Match(m, self._re, text)))  # noqa: E731
        else:
            fn = lambda m: _expand(m, replacement)  # noqa: E731
        return self._re.sub(fn, text, count=max(count, 0))

    def Split(self, text: Any) -> list[str]:
        return [p for p in self._re.split(text) if p is not None]

    def ToString(self) -> str:
        return str(self._pattern)


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    return {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}.get(c, "\\" + c)


class _MatchStatics:
    Empty = Match(None)


class _RegexStatics:
    IsMatch = staticmethod(lambda text, pattern, options=None, *r: Regex(pattern, options).IsMatch(text))
    Match = staticmethod(lambda text, pattern, options=None, *r: Regex(pattern, options).Match(text))
    Matches = staticmethod(lambda text, pattern, options=None, *r: Regex(pattern, options).Matches(text))
    Replace = staticmethod(lambda text, pattern, repl, options=None, *r: Regex(pattern, options).Replace(text, repl))
    Split = staticmethod(lambda text, pattern, options=None, *r: Regex(pattern, options).Split(text))
    Escape = staticmethod(lambda s: re.sub(r"[\\*+?|{\[()^$.# \t\n\r\f]", _escape_char, s))
    Unescape = staticmethod(lambda s: re.sub(r"\\(.)", r"\1", s))


builtin_members(GroupCollection, {"Count": Property(lambda g: g.Count)})
define_type(DotNetType("Uri", "System.Uri", (Uri,), _UriStatics, Uri))
define_type(DotNetType("WebUtility", "System.Net.WebUtility", (), _WebUtilityStatics))
define_type(DotNetType("StringBuilder", "System.Text.StringBuilder", (StringBuilder,), None, StringBuilder))
define_type(DotNetType("Regex", "System.Text.RegularExpressions.Regex", (Regex,), _RegexStatics, Regex))
define_type(DotNetType("Match", "System.Text.RegularExpressions.Match", (Match,), _MatchStatics))
define_type(DotNetType("Group", "System.Text.RegularExpressions.Group", (Group,)))
