"""The .NET library with .NET's answers: DateTime/TimeSpan, Newtonsoft JSON, LINQ, Guid, Uri, Regex, hashing."""

from __future__ import annotations

from typing import Any

import pytest

from keyless.csharp import ExpressionRuntimeError, compile_expression


def run(text: str) -> Any:
    return compile_expression(text).evaluate(None)


def table(cases: list[tuple[str, Any]]) -> Any:
    return pytest.mark.parametrize(("text", "expected"), cases)


DATES = [
    ('@(new DateTime(2024, 1, 2, 3, 4, 5).ToString("o"))', "2024-01-02T03:04:05.0000000"),
    (
        '@(DateTime.SpecifyKind(new DateTime(2024, 1, 2, 3, 4, 5), DateTimeKind.Utc).ToString("o"))',
        "2024-01-02T03:04:05.0000000Z",
    ),
    ('@(new DateTime(2024, 1, 2, 3, 4, 5).ToString("R"))', "Tue, 02 Jan 2024 03:04:05 GMT"),
    ('@(new DateTime(2024, 1, 2, 3, 4, 5).ToString("s"))', "2024-01-02T03:04:05"),
    ('@(new DateTime(2024, 1, 2, 3, 4, 5).ToString("u"))', "2024-01-02 03:04:05Z"),
    ('@(new DateTime(2024, 1, 2, 13, 4, 5).ToString("yyyy-MM-ddTHH:mm:ssZ"))', "2024-01-02T13:04:05Z"),
    ('@(new DateTime(2024, 1, 2, 13, 4, 5).ToString("dd/MMM/yy h:mm tt"))', "02/Jan/24 1:04 PM"),
    ('@(new DateTime(2024, 1, 31).AddMonths(1).ToString("yyyy-MM-dd"))', "2024-02-29"),
    ('@(new DateTime(2024, 1, 1).AddDays(1.5).AddHours(-12).ToString("s"))', "2024-01-02T00:00:00"),
    ("@(new DateTime(2024, 1, 1).DayOfWeek.ToString())", "Monday"),
    ("@(new DateTime(1970, 1, 1).Ticks)", 621355968000000000),
    ("@((new DateTime(2024, 1, 2) - new DateTime(2024, 1, 1)).TotalHours)", 24.0),
    ('@(new DateTime(2024, 1, 2).Subtract(TimeSpan.FromMinutes(1)).ToString("s"))', "2024-01-01T23:59:00"),
    ("@(new DateTime(2024, 1, 2) > new DateTime(2024, 1, 1))", True),
    ('@(DateTime.Parse("2024-01-02T03:04:05Z").ToUniversalTime().ToString("o"))', "2024-01-02T03:04:05.0000000Z"),
    ('@(DateTime.Parse("Tue, 02 Jan 2024 03:04:05 GMT").Hour)', 3),
    ('@(DateTime.ParseExact("20240102", "yyyyMMdd", null).Day)', 2),
    ("@(DateTime.UtcNow.Kind.ToString())", "Utc"),
    ("@(DateTime.UtcNow > new DateTime(2020, 1, 1))", True),
    ("@(TimeSpan.FromSeconds(1802).ToString())", "00:30:02"),
    ("@(new TimeSpan(14, 7, 13, 56).ToString())", "14.07:13:56"),
    ("@(TimeSpan.FromMilliseconds(1500).ToString())", "00:00:01.5000000"),
    ("@(TimeSpan.FromHours(-1.5).ToString())", "-01:30:00"),
    ('@(TimeSpan.FromMinutes(90).ToString(@"hh\\:mm"))', "01:30"),
    ("@(TimeSpan.FromDays(1).TotalSeconds)", 86400.0),
    ('@(TimeSpan.Parse("1.02:03:04").TotalMinutes)', 1563.0 + 4 / 60),
    ('@(DateTimeOffset.FromUnixTimeSeconds(10).ToString("o"))', "1970-01-01T00:00:10.0000000+00:00"),
    ("@(new DateTimeOffset(new DateTime(1970, 1, 1, 0, 0, 10, DateTimeKind.Utc)).ToUnixTimeSeconds())", 10),
    ("@(((DateTimeOffset)new DateTime(1970, 1, 1, 0, 1, 0)).ToUnixTimeMilliseconds())", 60000),
    ("@(DateTimeOffset.UtcNow.ToUnixTimeSeconds() > 1600000000)", True),
    (
        "@(TimeZoneInfo.ConvertTimeFromUtc(new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Utc), "
        'TimeZoneInfo.FindSystemTimeZoneById("W. Europe Standard Time")).ToString("s"))',
        "2024-07-01T14:00:00",
    ),
    (
        "@(TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTime(2024, 1, 1, 12, 0, 0, DateTimeKind.Utc), "
        '"Eastern Standard Time").ToString("HH:mm"))',
        "07:00",
    ),
    (
        "@(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 7, 1, 14, 0, 0), "
        'TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin")).ToString("o"))',
        "2024-07-01T12:00:00.0000000Z",
    ),
    ('@(TimeZoneInfo.FindSystemTimeZoneById("Tokyo Standard Time").BaseUtcOffset.ToString())', "09:00:00"),
    (
        '@(TimeZoneInfo.ConvertTimeBySystemTimeZoneId(DateTimeOffset.FromUnixTimeSeconds(0), "India Standard Time")'
        '.ToString("o"))',
        "1970-01-01T05:30:00.0000000+05:30",
    ),
]


@table(DATES)
def test_datetime_and_timespan(text: str, expected: Any) -> None:
    assert run(text) == expected


J = '@{ var o = JObject.Parse("{\\"a\\": 1, \\"b\\": [1, 2.5, \\"x\\"], \\"c\\": {\\"d\\": true}}"); return %s; }'
JSON = [
    (
        J % "o.ToString()",
        '{\r\n  "a": 1,\r\n  "b": [\r\n    1,\r\n    2.5,\r\n    "x"\r\n  ],\r\n  "c": {\r\n    "d": true\r\n  }\r\n}',
    ),
    (J % "o.ToString(Formatting.None)", '{"a":1,"b":[1,2.5,"x"],"c":{"d":true}}'),
    (J % 'o["a"].ToString()', "1"),
    (J % 'o["b"][2].ToString()', "x"),
    (J % '(string)o["b"][2]', "x"),
    (J % '(int)o["a"] + 1', 2),
    (J % '(double)o["b"][1]', 2.5),
    (J % '(bool)o["c"]["d"]', True),
    (J % 'o.Value<string>("a")', "1"),
    (J % 'o["c"].Value<bool>("d")', True),
    (J % 'o["missing"] == null', True),
    (J % '(string)o["missing"]', None),
    (J % 'o.SelectToken("$.b[1]").ToString()', "2.5"),
    (J % 'o.SelectToken("c.d").ToString()', "True"),
    (J % 'o.SelectToken("$.nope") == null', True),
    (J % 'o.SelectToken("$..d").ToString()', "True"),
    (J % "o.SelectToken(\"['c'].d\").ToString()", "True"),
    (J % 'o.SelectTokens("$.b[*]").Count()', 3),
    (J % '((JArray)o["b"]).Count', 3),
    (J % "o.Properties().Select(p => p.Name).ToArray()", ["a", "b", "c"]),
    (J % "o.Count", 3),
    (J % 'o.ContainsKey("c") && o.Property("c") != null', True),
    (
        '@{ var o = new JObject(); o["x"] = "y"; o.Add("n", 1); o.Add(new JProperty("z", null)); return o.ToString(Formatting.None); }',  # noqa: E501
        '{"x":"y","n":1,"z":null}',
    ),
    (
        '@{ var o = JObject.Parse("{\\"a\\":1,\\"b\\":2}"); o.Remove("a"); o.Property("b").Remove(); return o.ToString(); }',  # noqa: E501
        "{}",
    ),
    (
        '@{ var a = new JArray(); a.Add(1); a.Add(new JObject(new JProperty("k", "v"))); return a.ToString(Formatting.None); }',  # noqa: E501
        '[1,{"k":"v"}]',
    ),
    ('@(JToken.Parse("[1,2]").Children().Count())', 2),
    ('@(JArray.Parse("[\\"a\\",\\"b\\"]").Where(t => (string)t == "b").Count())', 1),
    ('@(JsonConvert.SerializeObject(new[] {"a", "b"}))', '["a","b"]'),
    ('@(JsonConvert.SerializeObject(new Dictionary<string, object> {{"k", 1.0}}))', '{"k":1.0}'),
    ('@(JsonConvert.DeserializeObject<Dictionary<string, string>>("{\\"k\\":\\"v\\"}")["k"])', "v"),
    ('@(JsonConvert.DeserializeObject<JObject>("{\\"k\\":[1]}")["k"][0].ToString())', "1"),
    ('@(JObject.FromObject(new Dictionary<string, string> {{"a", "b"}}).ToString(Formatting.None))', '{"a":"b"}'),
    ('@((string)JObject.Parse("{\\"d\\":\\"2024-01-02T03:04:05Z\\"}")["d"])', "01/02/2024 03:04:05"),
    (
        '@(JObject.Parse("{\\"d\\":\\"2024-01-02T03:04:05Z\\"}").ToString(Formatting.None))',
        '{"d":"2024-01-02T03:04:05Z"}',
    ),
    ('@(JObject.Parse("{\\"s\\":\\"a\\\\\\"b\\"}").ToString(Formatting.None))', '{"s":"a\\"b"}'),
]


@table(JSON)
def test_newtonsoft_json(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_an_unknown_time_zone_is_refused_as_dotnet_does() -> None:
    with pytest.raises(
        ExpressionRuntimeError, match="TimeZoneNotFoundException: The time zone ID 'Mars' was not found"
    ):
        run('@(TimeZoneInfo.FindSystemTimeZoneById("Mars"))')


def test_double_parameters_take_no_string_as_csharp_does() -> None:
    # `DateTime.UtcNow.AddSeconds((string)...)` (a corpus snippet) does not compile in C#; a char is its code
    with pytest.raises(ExpressionRuntimeError, match="cannot convert from 'string' to 'double'"):
        run('@(DateTime.UtcNow.AddSeconds("5"))')
    with pytest.raises(ExpressionRuntimeError, match="cannot convert from 'bool' to 'double'"):
        run("@(TimeSpan.FromMinutes(true))")
    assert run("@(TimeSpan.FromSeconds('a').TotalSeconds)") == 97.0
    assert run('@(new DateTime(2024, 1, 1).AddHours(1.5).ToString("HH:mm"))') == "01:30"


def test_json_conversions_fail_as_newtonsoft_does() -> None:
    with pytest.raises(ExpressionRuntimeError, match=r"ArgumentException: Can not convert Object to String\."):
        run('@((string)JObject.Parse("{\\"a\\":{}}")["a"])')
    with pytest.raises(ExpressionRuntimeError, match="ArgumentException: Can not add property a"):
        run('@{ var o = new JObject(); o.Add("a", 1); o.Add("a", 2); return o; }')
    with pytest.raises(ExpressionRuntimeError, match="JsonReaderException: Error reading JObject from JsonReader"):
        run('@(JObject.Parse("[1]"))')


LINQ = [
    ("@(new[] {1, 2, 3}.Any(x => x > 2) && new[] {1, 2}.All(x => x > 0) && !new int[0].Any())", True),
    ("@(new[] {1, 2, 3, 4}.Count(x => x % 2 == 0))", 2),
    ("@(new[] {1, 2, 3}.Sum() + new[] {1, 5, 3}.Max() + new[] {4, 2}.Min())", 13),
    ('@(new[] {"b", "a", "B"}.OrderBy(s => s).ToArray())', ["a", "b", "B"]),
    ("@(new[] {1, 3, 2}.OrderByDescending(x => x).First())", 3),
    ('@(new[] {"a", "A", "b"}.Distinct(StringComparer.OrdinalIgnoreCase).Count())', 2),
    ('@(new [] {"POST", "PUT"}.Contains("post", StringComparer.OrdinalIgnoreCase))', True),
    ('@(new [] {"POST", "PUT"}.Contains("post"))', False),
    ("@(new[] {1, 2, 3, 4}.Skip(1).Take(2).ToArray())", [2, 3]),
    ("@(new[] {1, 2}.Concat(new[] {3}).ToList().Count)", 3),
    ('@(new[] {"a", "bb"}.ToDictionary(s => s, s => s.Length)["bb"])', 2),
    ("@(new[] {5}.FirstOrDefault(x => x > 9))", None),
    ("@(new[] {5, 6}.Last() + new[] {7}.Single() + new[] {8}.SingleOrDefault())", 21),
    ('@(new Dictionary<string, int> {{"a", 1}, {"b", 2}}.Where(kv => kv.Value > 1).Select(kv => kv.Key).First())', "b"),
    ('@(new Dictionary<string, int> {{"a", 1}}.Keys.Contains("a"))', True),
    ('@(string.Join(",", "cab".OrderBy(c => c)))', "a,b,c"),
    ("@(new[] {1, 2, 3}.Average())", 2.0),
    ("@(Enumerable.Range(1, 3).Select(i => i * i).ToArray())", [1, 4, 9]),
    ('@(new List<string> {"x"}.Count + new List<string>().Count())', 1),
    (
        '@{ var d = new Dictionary<string, string>(); d.Add("k", "v"); string v; var ok = d.TryGetValue("k", out v); return ok + v + d.ContainsKey("z") + d.Count; }',  # noqa: E501
        "TruevFalse1",
    ),
    ('@{ var l = new List<int> {1, 2, 3}; l.Remove(2); l.Add(9); return string.Join("", l); }', "139"),
]


@table(LINQ)
def test_linq_and_collections(text: str, expected: Any) -> None:
    assert run(text) == expected


MISC = [
    ('@(Guid.Parse("5B1F2C4E-8A3D-4B6F-9C2E-1D0A7E6F5C4B").ToString())', "5b1f2c4e-8a3d-4b6f-9c2e-1d0a7e6f5c4b"),
    ('@(Guid.Parse("5b1f2c4e-8a3d-4b6f-9c2e-1d0a7e6f5c4b").ToString("N"))', "5b1f2c4e8a3d4b6f9c2e1d0a7e6f5c4b"),
    ('@(Guid.NewGuid().ToString("N").Length)', 32),
    (
        "@(new Guid(new byte[] {1, 0, 0, 0, 2, 0, 3, 0, 4, 5, 6, 7, 8, 9, 10, 11}).ToString())",
        "00000001-0002-0003-0405-060708090a0b",
    ),
    ("@(Guid.Empty.ToString())", "00000000-0000-0000-0000-000000000000"),
    ('@(Uri.EscapeDataString("a b&c/d~"))', "a%20b%26c%2Fd~"),
    ('@(Uri.UnescapeDataString("a%20b"))', "a b"),
    ('@(System.Net.WebUtility.UrlEncode("a b&c"))', "a+b%26c"),
    ('@(WebUtility.HtmlEncode("<a href=\\"x\\">\'&\'"))', "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"),
    ('@(new Uri("https://Host.com:8443/p/a?q=1").Host)', "host.com"),
    ('@(new Uri("https://host.com:8443/p/a?q=1").Port + new Uri("https://h/").Port)', 8443 + 443),
    ('@(new Uri("https://host.com/p/a?q=1").AbsolutePath + new Uri("https://host.com/p/a?q=1").Query)', "/p/a?q=1"),
    ('@(Regex.IsMatch("abc123", @"\\d+"))', True),
    ('@(Regex.Match("key=val", @"(?<k>\\w+)=(?<v>\\w+)").Groups["v"].Value)', "val"),
    ('@(Regex.Match("x", @"\\d").Success)', False),
    ('@(Regex.Replace("a1b2", @"\\d", "#"))', "a#b#"),
    ('@(Regex.Replace("john smith", @"(\\w+) (\\w+)", "$2 $1"))', "smith john"),
    ('@(Regex.IsMatch("ABC", "abc", RegexOptions.IgnoreCase))', True),
    (
        '@(Convert.ToBase64String(SHA256.Create().ComputeHash(Encoding.UTF8.GetBytes("abc"))))',
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
    ),
    (
        '@(BitConverter.ToString(MD5.Create().ComputeHash(new byte[0])).Replace("-", "").ToLower())',
        "d41d8cd98f00b204e9800998ecf8427e",
    ),
    (
        '@(BitConverter.ToString(new HMACSHA256(Encoding.UTF8.GetBytes("key")).ComputeHash(Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog"))).Replace("-", ""))',  # noqa: E501
        "F7BC83F430538424B13298E6AA6FB143EF4D59A14946175997479DBC2D1A3CD8",
    ),
    (
        "@(new HMACSHA1(new byte[] {1}).ComputeHash(new byte[] {2}).Length + SHA1.Create().ComputeHash(new byte[0]).Length)",  # noqa: E501
        40,
    ),
    (
        '@{ var k = new byte[16]; var iv = new byte[16]; var c = Encoding.UTF8.GetBytes("secret").Encrypt("Aes", k, iv); return Encoding.UTF8.GetString(c.Decrypt("Aes", k, iv)) + c.Length; }',  # noqa: E501
        "secret16",
    ),
]


@table(MISC)
def test_guid_uri_regex_hashing(text: str, expected: Any) -> None:
    assert run(text) == expected


OTHERS = [
    ("@{ var q = new Queue<int>(); q.Enqueue(1); q.Enqueue(2); return q.Dequeue() * 10 + q.Count; }", 11),
    (
        '@{ var s = new Stack<string>(); s.Push("a"); s.Push("b"); return string.Join(",", s) + s.Pop() + s.Count; }',
        "b,ab1",
    ),
    ('@(Tuple.Create(1, "a").Item2 + Tuple.Create(1, 2).ToString())', "a(1, 2)"),
    ('@(IPAddress.Parse("10.0.0.1").GetAddressBytes()[0] + IPAddress.Parse("::1").GetAddressBytes().Length)', 26),
    ('@(IPAddress.Parse("::ffff:10.0.0.1").MapToIPv4().ToString())', "10.0.0.1"),
    ('@(IPAddress.TryParse("nope", out var ip) || ip != null)', False),
    ('@{ using (var r = new StringReader("a\\nb")) { return r.ReadLine() + "|" + r.ReadToEnd(); } }', "a|b"),
    ('@{ var w = new StringWriter(); w.Write("x{0}", 1); w.WriteLine(); return w.ToString(); }', "x1\r\n"),
    ("@{ var b = new byte[8]; RandomNumberGenerator.Create().GetBytes(b); return b.Length; }", 8),
    ("@(HashAlgorithmName.SHA256.Name)", "SHA256"),
    (
        '@{ var aes = Aes.Create(); var c = Encoding.UTF8.GetBytes("hello").Encrypt(aes); '
        "return Encoding.UTF8.GetString(c.Decrypt(aes)) + c.Length + aes.KeySize; }",
        "hello16256",
    ),
    (
        "@{ var aes = Aes.Create(); aes.Mode = CipherMode.ECB; aes.Padding = PaddingMode.Zeros; "
        "return aes.CreateEncryptor().TransformFinalBlock(new byte[5], 0, 5).Length; }",
        16,
    ),
    (
        '@(Convert.ToBase64String(Encoding.UTF8.GetBytes("secret").Encrypt("Aes", new byte[16], new byte[16])))',
        "HWqEqL2vZ3XK4bXvH3zRWA==",
    ),
]


@table(OTHERS)
def test_the_rest_of_the_allow_list(text: str, expected: Any) -> None:
    assert run(text) == expected


def test_decrypting_a_partial_block_fails_as_dotnet_does() -> None:
    with pytest.raises(ExpressionRuntimeError, match="CryptographicException: The input data is not a complete block"):
        run('@(new byte[3].Decrypt("Aes", new byte[16], new byte[16]))')


def test_python_methods_never_show_through() -> None:
    for text in ('@("abc".upper())', "@(new List<int>().append(1))", "@(new Dictionary<string, int>().keys())"):
        with pytest.raises(ExpressionRuntimeError, match=r"RuntimeBinderException: .* does not contain a definition"):
            run(text)
