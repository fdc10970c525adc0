"""The Liquid subset of set-body `template="liquid"` (DotLiquid in C# mode): tags, filters, whitespace, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from keyless.gateway.policies._liquid import LiquidError, compile_template, format_dotnet_date

BODY: dict[str, Any] = {
    "name": "ada lovelace",
    "n": 7,
    "price": 2.5,
    "tags": ["b", "a", "b", None],
    "items": [{"sku": "x", "qty": 2}, {"sku": "y", "qty": 1}],
    "empty": [],
    "text": "",
    "flag": False,
    "html": "<p>a & b</p>",
    "Mixed": {"Case": "found"},
}


def render(template: str, **variables: Any) -> str:
    return compile_template(template).render({"body": BODY, **variables})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ body.name | Capitalize }}", "Ada lovelace"),
        ("{{ body.name | Upcase | Truncate: 6 }}", "ADA..."),
        ("{{ body.name | TruncateWords: 1 }}", "ada..."),
        ("{{ body.name | Split: ' ' | Last }}", "lovelace"),
        ("{{ body.name | Replace: 'a', 'A' }}|{{ body.name | ReplaceFirst: 'a', 'A' }}", "AdA lovelAce|Ada lovelace"),
        ("{{ body.name | Remove: 'a' }}|{{ body.name | RemoveFirst: 'a' }}", "d lovelce|da lovelace"),
        ("{{ body.name | Prepend: '[' | Append: ']' }}", "[ada lovelace]"),
        ("{{ body.name | Slice: 4, 4 }}|{{ body.name | Slice: -4, 2 }}", "love|la"),
        ("{{ '  x  ' | Strip }}|{{ '  x' | Lstrip }}|{{ 'x  ' | Rstrip }}", "x|x|x"),
        ("{{ body.html | Escape }}|{{ body.html | StripHtml }}", "&lt;p&gt;a &amp; b&lt;/p&gt;|a & b"),
        ("{{ 'a b&c' | UrlEncode }}|{{ 'a+b%26c' | UrlDecode }}", "a+b%26c|a b&c"),
        ("{{ body.n | Plus: 3 }}|{{ body.n | Minus: 10 }}|{{ body.n | Times: 2 }}", "10|-3|14"),
        ("{{ body.n | DividedBy: 2 }}|{{ body.n | DividedBy: 2.0 }}|{{ body.n | Modulo: 4 }}", "3|3.5|3"),
        ("{{ body.price | Times: 2 }}|{{ body.price | Round }}|{{ -3 | Abs }}", "5|2|3"),
        ("{{ body.n | AtLeast: 9 }}|{{ body.n | AtMost: 5 }}", "9|5"),
        ("{{ body.tags | Compact | Uniq | Sort | Join: ',' }}", "a,b"),
        ("{{ body.items | Map: 'sku' | Join: '-' }}|{{ body.items | Size }}|{{ body.items.size }}", "x-y|2|2"),
        ("{{ body.items.first.sku }}{{ body.items.last.sku }}{{ body.items[1].qty }}", "xy1"),
        (
            "{{ body.missing | Default: 'none' }}|{{ body.text | Default: 'blank' }}|{{ body.n | Default: 0 }}",
            "none|blank|7",
        ),
        ("{{ body.mixed.case }}", "found"),
        ("{{ 'a\nb' | NewlineToBr }}|{{ 'a\nb' | StripNewlines }}", "a<br />\nb|ab"),
    ],
)
def test_filters(template: str, expected: str) -> None:
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% if body.n > 5 and body.flag %}a{% elsif body.n == 7 %}b{% else %}c{% endif %}", "b"),
        ("{% if body.flag or body.n <= 7 %}y{% endif %}", "y"),
        ("{% if body.name contains 'love' %}y{% endif %}{% if body.tags contains 'z' %}n{% endif %}", "y"),
        ("{% if body.empty == empty %}e{% endif %}{% if body.text == blank %}b{% endif %}", "eb"),
        ("{% if body.missing == nil %}nil{% endif %}{% if body.n != 7 %}x{% endif %}", "nil"),
        ("{% if body.n <> 8 %}!{% endif %}", "!"),
        ("{% unless body.flag %}u{% endunless %}", "u"),
        ("{% case body.n %}{% when 1 %}one{% when 7, 8 %}seven{% else %}other{% endcase %}", "seven"),
        ("{% for i in (1..5) limit: 2 offset: 1 %}{{ i }}{% endfor %}", "23"),
        ("{% for i in body.empty %}x{% else %}none{% endfor %}", "none"),
        ("{% for t in body.tags reversed %}{{ forloop.index0 }}{{ t }}{% endfor %}", "01b2a3b"),
        ("{% for i in body.items %}{{ i.sku }}{% if forloop.first %}^{% endif %}{% endfor %}", "x^y"),
        ("{% capture c %}{{ body.n }}-{{ body.n }}{% endcapture %}[{{ c }}]", "[7-7]"),
        ("{% assign total = body.n | Plus: 1 %}{{ total }}", "8"),
        ("a{% comment %}{{ ignored }}{% if %}{% endcomment %}b", "ab"),
        ("{% raw %}{{ kept }}{% endraw %}", "{{ kept }}"),
    ],
)
def test_tags(template: str, expected: str) -> None:
    assert render(template) == expected


def test_whitespace_control() -> None:
    template = "<a>\n  {%- for i in body.items -%}\n    {{ i.sku }}\n  {%- endfor -%}\n</a>"
    assert render(template) == "<a>xy</a>"
    assert render("[ {{- body.n -}} ]") == "[7]"


def test_dictionaries_iterate_as_key_value_pairs() -> None:
    headers = {"Accept": ["*/*"], "X-A": ["1"]}
    out = render("{% for h in headers %}{{ h.Key }}={{ h.Value }};{% endfor %}", headers=headers)
    assert out == "Accept=*/*;X-A=1;"


def test_csharp_objects_resolve_by_member_name_and_indexer() -> None:
    class IUrl:
        Path = "/p"

        def ToString(self) -> str:
            return "http://h/p"

    class IRequest:
        Url = IUrl()
        MatchedParameters = {"id": "42"}

    class Context:
        Request = IRequest()

    out = render(
        "{{ context.Request.Url.Path }} {{ context.Request.Url.ToString }} "
        "{{ context.Request.MatchedParameters['id'] }}",
        context=Context(),
    )
    assert out == "/p http://h/p 42"


def test_dates() -> None:
    moment = datetime(2024, 3, 5, 7, 8, 9, 120000, tzinfo=UTC)
    assert format_dotnet_date(moment, "yyyy-MM-ddTHH:mm:ss.fffK") == "2024-03-05T07:08:09.120Z"
    assert format_dotnet_date(moment, "dd MMM yyyy h:mm tt") == "05 Mar 2024 7:08 AM"
    assert format_dotnet_date(moment, "'day' d\\/M") == "day 5/3"
    assert render("{{ d | Date: 'yyyy' }}|{{ d }}", d=moment) == "2024|03/05/2024 07:08:09"
    assert render("{{ 'not a date' | Date: 'yyyy' }}") == "not a date"


@pytest.mark.parametrize(
    ("template", "fragment", "line"),
    [
        ("{{ x | upcase }}", "unknown filter 'upcase'", 1),
        ("ok\n{{ x | Currency }}", "unknown filter 'Currency'", 2),
        ("\n\n{% include 'a' %}", "unknown tag 'include'", 3),
        ("{% for x in %}{% endfor %}", "bad 'for'", 1),
        ("{% for x in y sorted %}{% endfor %}", "unsupported 'for' option", 1),
        ("{% if x %}", "missing '{% endif %}'", 1),
        ("{% endif %}", "unexpected 'endif'", 1),
        ("{% assign = 1 %}", "bad 'assign'", 1),
        ("{{ x y }}", "unexpected 'y'", 1),
        ("{% if a = b %}{% endif %}", "unexpected '= b'", 1),
        ("{% comment %}never closed", "missing '{% endcomment %}'", 1),
    ],
)
def test_errors_name_the_problem_and_line(template: str, fragment: str, line: int) -> None:
    with pytest.raises(LiquidError) as err:
        compile_template(template)
    assert fragment in str(err.value)
    assert err.value.line == line


def test_division_by_zero_fails_when_rendered() -> None:
    template = compile_template("{{ body.n | DividedBy: 0 }}")
    with pytest.raises(LiquidError):
        template.render({"body": BODY})


def test_a_missing_key_of_a_gateway_dictionary_is_nil() -> None:
    class Headers:
        def __getitem__(self, name: str) -> list[str]:
            raise RuntimeError(f"The given key '{name}' was not present in the dictionary.")

    assert render("[{{ h.Missing }}]{% if h.Missing == nil %}nil{% endif %}", h=Headers()) == "[]nil"


def test_a_filter_failing_on_its_input_is_a_liquid_error() -> None:
    template = compile_template("{{ body.tags | Sort | Join: ',' }}")  # None and strings do not sort together
    with pytest.raises(LiquidError) as err:
        template.render({"body": BODY})
    assert "TypeError" in str(err.value)
