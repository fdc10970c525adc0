"""keyless's why of a gateway refusal: Azure's status and body unchanged, `x-keyless-reason` added, one INFO line on
`keyless.gateway` with the correlation id; never for a response the pipeline did not fail (return-response, a
backend's own error)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import pytest

from keyless.gateway.app import GatewayService
from keyless.gateway.diagnostics import REASON_HEADER, one_line
from keyless.gateway.snapshot import build_snapshot
from keyless.gateway.state import GatewayServices

SECRET = b"diagnostics-test-signing-key-32b"
KEY = "sub-key-0123456789abcdef"
POLICY = f"""<policies>
  <inbound>
    <validate-jwt header-name="Authorization" require-scheme="Bearer">
      <issuer-signing-keys><key>{base64.b64encode(SECRET).decode()}</key></issuer-signing-keys>
      <audiences><audience>api://orders</audience></audiences>
      <required-claims><claim name="roles" match="any"><value>AddRole</value></claim></required-claims>
    </validate-jwt>
    <return-response><set-status code="200" reason="OK" /></return-response>
  </inbound>
  <backend /><outbound /><on-error />
</policies>"""
TEAPOT = """<policies>
  <inbound><return-response><set-status code="418" reason="Teapot" /></return-response></inbound>
  <backend /><outbound /><on-error />
</policies>"""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(**claims: Any) -> str:
    now = int(time.time())
    body = {"aud": "api://orders", "iss": "https://sts.windows.net/t/", "nbf": now, "exp": now + 600, **claims}
    signing = f"{b64url(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64url(json.dumps(body).encode())}"
    signature = hmac.new(SECRET, signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{b64url(signature)}"


@pytest.fixture
def gateway() -> GatewayService:
    snapshot = build_snapshot(
        {"name": "contoso", "location": "westeurope"},
        apis=[
            {"name": "orders", "properties": {"path": "orders", "serviceUrl": "http://127.0.0.1:9"}},
            {"name": "plain", "properties": {"path": "plain", "subscriptionRequired": False}},
        ],
        operations={
            "orders": [{"name": "add", "properties": {"method": "POST", "urlTemplate": "/add"}}],
            "plain": [{"name": "brew", "properties": {"method": "GET", "urlTemplate": "/brew"}}],
        },
        subscriptions=[
            {
                "name": "seed",
                "properties": {"scope": "/apis/orders", "state": "active", "primaryKey": KEY, "secondaryKey": "k2"},
            }
        ],
        policies={("api", "orders"): POLICY, ("api", "plain"): TEAPOT},
    )
    return GatewayService("contoso", snapshot, GatewayServices())


async def call(gateway: GatewayService, path: str, headers: dict[str, str], method: str = "POST") -> Any:
    return await gateway.respond(method, path, list(headers.items()), b"", "127.0.0.1")


async def test_a_validate_jwt_refusal_keeps_azure_body_and_names_the_missing_claim(
    gateway: GatewayService, caplog: pytest.LogCaptureFixture
) -> None:
    bearer = token(appid="caller")  # no roles
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {bearer}", "x-ms-correlation-id": "corr-1"}
    with caplog.at_level(logging.INFO, logger="keyless.gateway"):
        r = await call(gateway, "/orders/add", headers)
    assert r.status == 401
    assert r.body == b'{ "statusCode": 401, "message": "Invalid JWT." }'  # Azure's body, unchanged
    reason = r.headers.get(REASON_HEADER)
    assert reason is not None
    assert reason.startswith("validate-jwt: the token has no 'roles' claim value 'AddRole' (roles: none)")
    assert "\n" not in reason and bearer not in reason and "eyJ" not in reason
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "keyless.gateway"]
    assert len(lines) == 1
    assert lines[0].startswith("gateway refused: correlation=corr-1 service=contoso api=orders operation=add ")
    assert "status=401 reason=validate-jwt: the token has no 'roles' claim value 'AddRole'" in lines[0]
    assert bearer not in lines[0] and KEY not in lines[0]


async def test_a_role_present_but_another_value(gateway: GatewayService) -> None:
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token(roles=['Reader'])}"}
    r = await call(gateway, "/orders/add", headers)
    assert r.status == 401
    assert r.headers.get(REASON_HEADER, "").startswith(
        "validate-jwt: the token has no 'roles' claim value 'AddRole' (roles: 'Reader')"
    )


async def test_the_accepted_token_gets_no_reason(gateway: GatewayService) -> None:
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token(roles=['AddRole'])}"}
    r = await call(gateway, "/orders/add", headers)
    assert r.status == 200
    assert REASON_HEADER not in r.headers


async def test_subscription_key_refusals_say_which(gateway: GatewayService, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="keyless.gateway"):
        missing = await call(gateway, "/orders/add", {})
        wrong = await call(gateway, "/orders/add", {"Ocp-Apim-Subscription-Key": "not-a-key"})
    assert missing.status == wrong.status == 401
    assert json.loads(missing.body)["message"].startswith("Access denied due to missing subscription key.")
    assert missing.headers.get(REASON_HEADER) == (
        "authorization: API 'orders' requires a subscription key (header 'Ocp-Apim-Subscription-Key' or query "
        "parameter 'subscription-key') and the request has none"
    )
    assert wrong.headers.get(REASON_HEADER) == "authorization: the key is not the key of any subscription"
    lines = [rec.getMessage() for rec in caplog.records if rec.name == "keyless.gateway"]
    assert len(lines) == 2 and all("correlation=" in line and "status=401" in line for line in lines)
    assert all("not-a-key" not in line for line in lines)


async def test_unrouted_and_unmatched_requests(gateway: GatewayService) -> None:
    nowhere = await call(gateway, "/nowhere", {}, "GET")
    assert nowhere.status == 404 and nowhere.body == b'{ "statusCode": 404, "message": "Resource not found" }'
    assert nowhere.headers.get(REASON_HEADER) == "routing: no API of service 'contoso' matches GET /nowhere"
    wrong_op = await call(gateway, "/orders/remove", {"Ocp-Apim-Subscription-Key": KEY})
    assert wrong_op.status == 404
    assert wrong_op.headers.get(REASON_HEADER) == (
        "configuration: no operation of API 'orders' matches POST /orders/remove"
    )


async def test_a_response_the_policy_chose_is_not_a_refusal(gateway: GatewayService) -> None:
    r = await call(gateway, "/plain/brew", {}, "GET")
    assert r.status == 418
    assert REASON_HEADER not in r.headers


def test_one_line_is_ascii_and_masks_tokens_and_secrets() -> None:
    text = "the token eyJhbGciOi.eyJzdWIiOi.c2ln was refused \u2014 key s3cret\nnext line \u00e9"
    assert one_line(text, ("s3cret",)) == "the token *** was refused - key *** next line \\xe9"
