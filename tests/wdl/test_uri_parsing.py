from __future__ import annotations

import pytest

from keyless.wdl.api import ExpressionError
from tests.wdl.helpers import ev

URL = "https://www.contoso.com/catalog/shownew.htm?whatever"


@pytest.mark.parametrize(
    ("text", "result"),
    [
        (f"@uriHost('{URL}')", "www.contoso.com"),
        (f"@uriPath('{URL}')", "/catalog/shownew.htm"),
        (f"@uriPathAndQuery('{URL}')", "/catalog/shownew.htm?whatever"),
        (f"@uriQuery('{URL}')", "?whatever"),
        (f"@uriScheme('{URL}')", "https"),
        (f"@uriPort('{URL}')", 443),
        ("@uriPort('https://www.localhost:8080')", 8080),
        ("@uriPort('http://x')", 80),
        ("@uriPort('ftp://x')", 21),
        ("@uriPort('custom://x')", -1),
        ("@uriHost('HTTPS://User:pw@WWW.Contoso.COM:99/a')", "www.contoso.com"),
        ("@uriScheme('HTTP://x')", "http"),
        ("@uriHost('http://[::1]:8080/')", "[::1]"),
        ("@uriPath('https://x')", "/"),
        ("@uriPath('https://x/a/./b/../c')", "/a/c"),
        ("@uriPath('https://x\\a\\b')", "/a/b"),
        ("@uriPathAndQuery('https://x/a b?c d#frag')", "/a%20b?c%20d"),
        ("@uriPath('https://x/%C3%A9/é')", "/%C3%A9/%C3%A9"),
        ("@uriQuery('https://x/a')", ""),
        ("@uriQuery('https://x/a#q?not')", ""),
    ],
)
def test_uri_parts_as_system_uri_reads_them(text: str, result: object) -> None:
    assert ev(text) == result


@pytest.mark.parametrize(
    "text",
    [
        "@uriHost('/relative/path')",
        "@uriHost('not a uri')",
        "@uriPort('http://x:99999')",
        "@uriHost(1)",
        "@uriPath('http:x')",
    ],
)
def test_relative_or_malformed_uris_fail(text: str) -> None:
    with pytest.raises(ExpressionError):
        ev(text)
