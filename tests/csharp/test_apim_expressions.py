"""The typical expressions of reference apim.md §5, against a fake `context`; runtime errors as APIM reports them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from keyless.csharp import ExpressionRuntimeError, compile_expression
from keyless.csharp.dotnet import Jwt, parse_jwt
from tests.csharp.fake_context import Context, Request, Response


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


TOKEN = ".".join([
    _b64({"alg": "RS256", "typ": "JWT"}),
    _b64({"sub": "alice", "iss": "https://sts.windows.net/t/", "aud": ["api://a", "api://b"], "exp": 1700000000,
          "nbf": 1699990000, "iat": 1699990000, "jti": "id-1", "roles": ["Reader", "Writer"],
          "preferred_username": "alice@contoso.com", "admin": True}),
    "c2ln",
])  # fmt: skip


def run(text: str, ctx: Any) -> Any:
    return compile_expression(text).evaluate(ctx)


def test_typical_expressions_of_the_reference() -> None:
    response = Response(200, '{"status": "ok", "n": 2}')
    ctx = Context(
        request=Request("POST", {"Authorization": [f"Bearer {TOKEN}"], "X-Many": ["a", "b"]}, body="x" * 10),
        response=Response(403),
        **{"msi-access-token": "tok", "bearerToken": "bt", "authorizer": response, "Request": _jarray(),
           "idTokenJwt": Jwt({"alg": "none"}, {"preferred_username": "bob"}), "count": 3},
    )  # fmt: skip
    cases = [
        ('@(context.Request.Headers.GetValueOrDefault("Authorization","").AsJwt()?.Subject)', "alice"),
        ('@((string)context.Variables["msi-access-token"])', "tok"),
        ('@("Bearer " + (string)context.Variables["bearerToken"])', "Bearer bt"),
        ('@(!context.Variables.ContainsKey("bearerToken"))', False),
        (
            '@(((IResponse)context.Variables["authorizer"]).Body.As<JObject>(preserveContent: true)["status"].ToString())',  # noqa: E501
            "ok",
        ),
        ("@(context.Response.StatusCode == 401 || context.Response.StatusCode == 403)", True),
        ('@(context.LastError.Source == "validate-jwt")', True),
        ('@(context.Request.Url.Query.GetValueOrDefault("param1", "value1"))', "a,b"),
        ('@(context.Request.Url.Query.GetValueOrDefault("nope", "value1"))', "value1"),
        ("@(context.Request.Body.As<string>(preserveContent: true).Length<256000)", True),
        ("@(new Random(context.RequestId.GetHashCode()).Next(1, 3) >= 1)", True),
        ("@{ return Guid.NewGuid().ToString().Length; }", 36),
        ('@(((Jwt)context.Variables["idTokenJwt"]).Claims["preferred_username"][0])', "bob"),
        ('@(context.Variables.GetValueOrDefault<JArray>("Request").Count != 1)', True),
        ('@(context.Variables.GetValueOrDefault<int>("count", 0) + 1)', 4),
        ('@(context.Request.Headers.GetValueOrDefault("X-Many"))', "a,b"),
        ('@(context.Request.MatchedParameters["id"])', "42"),
        ('@(context.Deployment.Region.Replace(" ", "").ToLower())', "westeurope"),
        ('@($"{context.Api.Path}/{context.Request.OriginalUrl.Host}")', "echo/contoso.azure-api.net"),
        ("@(context.Request.OriginalUrl.ToString())", "https://contoso.azure-api.net/echo/items?param1=a&param1=b"),
        ('@(context.Timestamp.ToString("yyyy-MM-ddTHH:mm:ssZ"))', "2024-01-02T03:04:05Z"),
        ("@(context.Elapsed.TotalMilliseconds)", 62500.0),
        ('@{ context.Trace("hi"); return context.Request.IpAddress; }', "10.1.2.3"),
    ]
    for text, expected in cases:
        assert run(text, ctx) == expected, text
    assert ctx.traces == ["hi"]


def _jarray() -> Any:
    from keyless.csharp.dotnet.jsontext import parse_token

    return parse_token("[1, 2]")


def test_jwt_members_as_apim_exposes_them() -> None:
    # the library's Jwt itself: the gateway may register its own AsJwt extension over it
    ctx = Context()
    jwt = parse_jwt(f"Bearer {TOKEN}")
    assert isinstance(jwt, Jwt)
    cases = [
        ('@(((Jwt)context.Variables["j"]).Algorithm)', "RS256"),
        ('@(((Jwt)context.Variables["j"]).Type)', "JWT"),
        ('@(((Jwt)context.Variables["j"]).Issuer)', "https://sts.windows.net/t/"),
        ('@(((Jwt)context.Variables["j"]).Id)', "id-1"),
        ('@(string.Join(" ", ((Jwt)context.Variables["j"]).Audiences))', "api://a api://b"),
        ('@(((Jwt)context.Variables["j"]).Claims.GetValueOrDefault("roles", ""))', "Reader,Writer"),
        ('@(((Jwt)context.Variables["j"]).Claims.GetValueOrDefault("missing", "none"))', "none"),
        ('@(((Jwt)context.Variables["j"]).Claims["admin"][0])', "true"),
        ('@(((Jwt)context.Variables["j"]).Claims.ContainsKey("sub"))', True),
        ('@(((Jwt)context.Variables["j"]).ExpirationTime.ToString("o"))', "2023-11-14T22:13:20.0000000Z"),
        ('@(((Jwt)context.Variables["j"]).NotBefore < ((Jwt)context.Variables["j"]).ExpirationTime)', True),
        ('@(Array.Exists(((Jwt)context.Variables["j"]).Claims["roles"], r => r == "Writer"))', True),
    ]
    ctx.Variables._d["j"] = jwt
    for text, expected in cases:
        assert run(text, ctx) == expected, text


def test_try_parse_jwt_and_basic_use_out_arguments() -> None:
    ctx = Context(request=Request(headers={"Authorization": ["Basic " + base64.b64encode(b"user:p:w").decode()]}))
    text = '@{ Jwt jwt; return context.Request.Headers.GetValueOrDefault("Authorization", "").TryParseJwt(out jwt) ? jwt.Subject : "not a jwt"; }'  # noqa: E501
    assert run(text, ctx) == "not a jwt"
    basic = (
        '@{ BasicAuthCredentials c; if (context.Request.Headers.GetValueOrDefault("Authorization","").TryParseBasic(out c))'  # noqa: E501
        ' { return c.UserId + "/" + c.Password; } return ""; }'
    )
    assert run(basic, ctx) == "user/p:w"
    assert run('@(context.Request.Headers.GetValueOrDefault("Authorization","").AsBasic().UserId)', ctx) == "user"
    assert run(f'@("{TOKEN}".TryParseJwt(out var j) && j.Subject == "alice")', ctx) is True
    assert run('@("not.a.jwt".AsJwt() == null)', ctx) is True


RUNTIME_ERRORS = [
    (
        '@((string)context.Variables["missing"])',
        "KeyNotFoundException: The given key 'missing' was not present in the dictionary.",
    ),
    (
        '@((string)context.Variables["count"])',
        "InvalidCastException: Unable to cast object of type 'System.Int32' to type 'System.String'.",
    ),
    (
        '@((Jwt)context.Variables["count"])',
        "InvalidCastException: Unable to cast object of type 'System.Int32' to type 'Jwt'.",
    ),
    ("@(context.Product.Name)", "NullReferenceException: Object reference not set to an instance of an object."),
    ("@(((string)null).Length)", "NullReferenceException"),
    ('@(context.Variables.GetValueOrDefault<string>("count"))', "InvalidCastException"),
    ("@(new[] {1}.First(x => x > 5))", "InvalidOperationException: Sequence contains no matching element"),
    ("@(new int[0].Single())", "InvalidOperationException: Sequence contains no elements"),
    (
        '@(new Dictionary<string, string>()["x"])',
        "KeyNotFoundException: The given key 'x' was not present in the dictionary.",
    ),
    ("@(new[] {1, 2}[2])", "IndexOutOfRangeException: Index was outside the bounds of the array."),
    ('@{ throw new ArgumentException("bad input"); }', "ArgumentException: bad input"),
    ("@(context.Request.NoSuchMember)", "RuntimeBinderException"),
    ('@(JObject.Parse("{oops"))', "JsonReaderException"),
]


@pytest.mark.parametrize(("text", "message"), RUNTIME_ERRORS)
def test_runtime_errors_name_the_dotnet_exception(text: str, message: str) -> None:
    ctx = Context(count=3)
    with pytest.raises(ExpressionRuntimeError) as info:
        run(text, ctx)
    assert str(info.value).startswith(message)
    assert info.value.type_name == message.split(":")[0]


def test_body_as_consumes_unless_preserved() -> None:
    ctx = Context(request=Request("POST", body='{"a": 1}'))
    assert run('@(context.Request.Body.As<JObject>(preserveContent: true)["a"].ToString())', ctx) == "1"
    assert run('@((int)context.Request.Body.As<JObject>()["a"])', ctx) == 1
    with pytest.raises(ExpressionRuntimeError, match="InvalidOperationException"):
        run("@(context.Request.Body.As<string>())", ctx)


def test_casting_a_variable_unboxes_it_without_conversions() -> None:
    from keyless.csharp.dotnet.jsontext import parse_token

    ctx = Context(d=1.5, n=7, token=parse_token('{"a": "x"}')["a"])
    assert run('@((double)context.Variables["d"])', ctx) == 1.5
    assert run('@((int)context.Variables["n"])', ctx) == 7
    assert run('@((int)(double)context.Variables["d"])', ctx) == 1
    with pytest.raises(
        ExpressionRuntimeError, match=r"Unable to cast object of type 'System\.Double' to type 'System\.Int32'"
    ):
        run('@((int)context.Variables["d"])', ctx)
    with pytest.raises(ExpressionRuntimeError, match="InvalidCastException"):
        run('@((string)context.Variables.GetValueOrDefault("token"))', ctx)
    assert run('@((string)((JToken)context.Variables["token"]))', ctx) == "x"


def test_the_examples_of_the_policy_expressions_page() -> None:
    ctx = Context(
        request=Request(headers={"Authorization": [base64.b64encode(b"user:pw").decode()]}),
        response=Response(200),
        maxAge="60",
    )
    ctx.Response.Headers = type(ctx.Response.Headers)({"Cache-Control": ["public, max-age=300"]})
    assert run("@(true)", ctx) is True
    assert run("@((1+1).ToString())", ctx) == "2"
    assert run('@("Hi There".Length)', ctx) == 8
    text = '@(Regex.Match(context.Response.Headers.GetValueOrDefault("Cache-Control",""), @"max-age=(?<maxAge>\\d+)").Groups["maxAge"]?.Value)'  # noqa: E501
    assert run(text, ctx) == "300"
    assert (
        run('@(context.Variables.ContainsKey("maxAge") ? int.Parse((string)context.Variables["maxAge"]) : 3600)', ctx)
        == 60
    )
    block = """@{
  string[] value;
  if (context.Request.Headers.TryGetValue("Authorization", out value))
  {
      if(value != null && value.Length > 0)
      {
          return Encoding.UTF8.GetString(Convert.FromBase64String(value[0]));
      }
  }
  return null;
}"""
    assert run(block, ctx) == "user:pw"
    assert run(block, Context()) is None
