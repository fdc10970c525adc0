"""Real corpus blocks evaluated end to end: bit twiddling with local functions, Guid bytes, HMAC signing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import urllib.parse
from typing import Any

import pytest

from keyless.csharp import compile_expression
from tests.csharp.corpus_scan import CORPUS, corpus_expressions
from tests.csharp.fake_context import Context, Request

EXAMPLES = "Azure__api-management-policy-snippets/examples/"


def block(file: str, marker: str) -> str:
    if not CORPUS.is_dir():
        pytest.skip(f"policy corpus not present at {CORPUS}")
    found = [e for path, e in corpus_expressions() if path == EXAMPLES + file and marker in e]
    assert found, f"no expression with {marker!r} in {file}"
    return found[0]


def test_ip_filter_with_local_functions_and_shifts() -> None:
    text = block("Filter on IP Address when using Application Gateway.policy.xml", "HostToNetworkOrder")
    expr = compile_expression(text.replace("{{ipValidated}}", "inside"))

    def run(ip: str) -> Any:
        return expr.evaluate(Context(request=Request(headers={"X-Forwarded-For": [ip]})))

    assert run("10.1.2.3:4431") == "inside"
    assert run("192.168.7.9") == "inside"
    assert run("172.20.0.1") == "inside"
    assert run("172.32.0.1") == "172.32.0.1"
    assert run("8.8.8.8") == "8.8.8.8"


def test_correlation_id_from_guid_bytes_and_ticks() -> None:
    text = block("Add correlation id to inbound request.policy.xml", "guidBinary")
    value = compile_expression(text).evaluate(Context())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value)


def test_relay_sas_token_is_signed_like_dotnet() -> None:
    text = block("Generate Azure Relay Token.policy.xml", "sinceEpoch")
    key = "c2VjcmV0"
    ctx = Context(
        resourceUri="https://ns.servicebus.windows.net/hc", accessKey=key, keyName="RootManageSharedAccessKey"
    )
    token = compile_expression(text).evaluate(ctx)
    fields = dict(p.split("=", 1) for p in token.removeprefix("SharedAccessSignature ").split("&"))
    expiry = fields["se"]
    resource = urllib.parse.quote("https://ns.servicebus.windows.net/hc", safe="-._~")
    expected = base64.b64encode(
        hmac.new(key.encode(), f"{resource}\n{expiry}".encode(), hashlib.sha256).digest()
    ).decode()
    assert fields["sr"] == resource
    assert urllib.parse.unquote(fields["sig"]) == expected
    assert fields["skn"] == "RootManageSharedAccessKey"


def test_hmac_signed_jwt_from_anonymous_types_verifies_with_pyjwt() -> None:
    import jwt

    text = block("Create HMAC SHA256-Signed JWT.policy.xml", "HMACSHA256")
    secret = "a-named-value-secret-of-32-bytes!"
    header = compile_expression(text.replace("{{hashing-secret}}", secret)).evaluate(Context())
    assert header.startswith("Bearer ")
    token = header.removeprefix("Bearer ")
    # Newtonsoft writes an anonymous type's properties in declaration order: the header is the constant
    # the snippet itself quotes
    assert token.split(".")[0] == "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9"
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    assert claims["username"] == "john_doe"
    assert isinstance(claims["exp"], int)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, secret + "x", algorithms=["HS256"])
