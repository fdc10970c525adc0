"""The `Jwt` object in policy expressions: validate-jwt's output variable, `AsJwt()`, `TryParseJwt(out …)`."""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace

import pytest

from keyless.csharp import compile_expression
from keyless.csharp.dotnet.jwt import Jwt, parse_jwt


def segment(value: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


TOKEN = (
    segment({"alg": "RS256", "typ": "JWT"})
    + "."
    + segment({"sub": "alice", "aud": ["api://a", "api://b"], "roles": ["Read", "Write"], "nonce": "n-1",
               "exp": 2_000_000_000, "nbf": 1_900_000_000, "iat": 1_900_000_000, "jti": "id-1", "edit": True})
    + ".c2ln"
)  # fmt: skip


def test_as_jwt_reads_without_validating() -> None:
    jwt = parse_jwt(f"Bearer {TOKEN}")
    assert isinstance(jwt, Jwt)
    assert (jwt.Subject, jwt.Id, jwt.Algorithm, jwt.Type) == ("alice", "id-1", "RS256", "JWT")
    assert jwt.Audiences == ["api://a", "api://b"]
    assert jwt.Claims["edit"] == ["true"]
    assert jwt.ExpirationTime is not None and jwt.ExpirationTime.Year == 2033
    assert parse_jwt("not a token") is None and parse_jwt(None) is None
    context = SimpleNamespace(T=TOKEN, Bad="x.y")
    assert compile_expression('@(context.T.TryParseJwt(out var j) ? j.Subject : "no")').evaluate(context) == "alice"
    assert compile_expression('@(context.Bad.TryParseJwt(out var j) ? "yes" : "no")').evaluate(context) == "no"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('@(((Jwt)context.Variables["jwt"]).Claims["roles"][1])', "Write"),
        ('@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("roles", ""))', "Read,Write"),
        ('@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("missing", "none"))', "none"),
        ('@(((Jwt)context.Variables["jwt"]).Claims.ContainsKey("nonce"))', True),
        ('@(context.Variables["jwt"] is Jwt)', True),
        ('@(((Jwt)context.Variables["jwt"]).Subject)', "alice"),
    ],
)
def test_expressions_see_the_jwt(expression: str, expected: object) -> None:
    context = SimpleNamespace(Variables={"jwt": parse_jwt(TOKEN)})
    assert compile_expression(expression).evaluate(context) == expected
