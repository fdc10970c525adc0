"""End to end through keyless's own gateway listener (real compiler, pipeline and services): the seed's
validate-jwt policy in front of a local backend, with tokens from msal and azure-identity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msal
import pytest
import requests
from aiohttp import web
from azure.identity import ClientSecretCredential
from tests.gateway.policies._security_doubles import keyless_gateway
from tests.platform.inprocess import InProcessKeyless, grant, make_api, make_client

from keyless.gateway.snapshot import build_snapshot

API = "gw-e2e-orders"
SEED = """<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401"
                  output-token-variable-name="jwt">
      <openid-config url="https://login.microsoftonline.com/{{tenant}}/v2.0/.well-known/openid-configuration" />
      <audiences><audience>api://gw-e2e-orders</audience></audiences>
      <issuers><issuer>https://sts.windows.net/{{tenant}}/</issuer></issuers>
      <required-claims><claim name="roles" match="any"><value>Orders.Write</value></claim></required-claims>
    </validate-jwt>
    <set-header name="X-Caller" exists-action="override">
      <value>@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("appid", "?"))</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error>
    <base />
    <set-header name="X-Failed" exists-action="override">
      <value>@(context.LastError.Source + "/" + context.LastError.Reason)</value>
    </set-header>
  </on-error>
</policies>"""


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    for gateway in keyless_gateway(tmp_path_factory.mktemp("jwt-e2e")):
        yield gateway.kl


@pytest.fixture(scope="module")
def base(kl: InProcessKeyless) -> Iterator[str]:
    """An echo backend and a gateway listener for one APIM service, both on keyless's loop."""

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"path": request.path, "caller": request.headers.get("X-Caller")})

    async def start() -> tuple[web.AppRunner, int]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", echo)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        backend = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        snapshot = build_snapshot(
            {"name": "gwjwt", "location": "westeurope"},
            apis=[
                {
                    "name": "orders",
                    "properties": {"path": "orders", "serviceUrl": backend, "subscriptionRequired": False},
                }
            ],
            operations={"orders": [{"name": "list", "properties": {"method": "GET", "urlTemplate": "/items"}}]},
            named_values=[{"name": "tenant", "properties": {"displayName": "tenant", "value": kl.tenant}}],
            policies={("api", "orders"): SEED},
        )
        port = await kl.svc.gateways.start("gwjwt", snapshot)
        return runner, port

    runner, port = kl.run(start())
    try:
        yield f"http://127.0.0.1:{port}/orders/items"
    finally:
        kl.run(kl.svc.gateways.stop("gwjwt"))
        kl.run(runner.cleanup())


@pytest.fixture(scope="module")
def tokens(kl: InProcessKeyless) -> dict[str, Any]:
    async def build() -> dict[str, Any]:
        _, api_sp = await make_api(kl.svc, API, roles={"Orders.Write": True})
        client, client_sp, secret = await make_client(kl.svc, "gw-e2e-client")
        await grant(kl.svc, client_sp, api_sp, "Orders.Write")
        bare, _, bare_secret = await make_client(kl.svc, "gw-e2e-bare")
        return {"client": client, "secret": secret, "bare": bare, "bare_secret": bare_secret}

    world = kl.run(build())
    bare = msal.ConfidentialClientApplication(
        world["bare"]["appId"], client_credential=world["bare_secret"], authority=kl.authority,
        instance_discovery=False, verify=kl.ca,
    ).acquire_token_for_client(scopes=[f"api://{API}/.default"])  # fmt: skip
    world["bare_token"] = bare["access_token"]
    credential = ClientSecretCredential(
        kl.tenant, world["client"]["appId"], world["secret"], authority=kl.login,
        disable_instance_discovery=True, connection_verify=kl.ca,
    )  # fmt: skip
    world["token"] = credential.get_token(f"api://{API}/.default").token
    return world


def test_token_with_role_reaches_the_backend(base: str, tokens: dict[str, Any]) -> None:
    r = requests.get(base, headers={"Authorization": f"Bearer {tokens['token']}"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"path": "/items", "caller": tokens["client"]["appId"]}
    again = requests.get(base, headers={"Authorization": f"Bearer {tokens['token']}"}, timeout=10)
    assert again.status_code == 200


def test_token_without_role_is_refused_as_azure_does(base: str, tokens: dict[str, Any]) -> None:
    r = requests.get(base, headers={"Authorization": f"Bearer {tokens['bare_token']}"}, timeout=10)
    assert r.status_code == 401
    assert r.content == b'{ "statusCode": 401, "message": "Invalid JWT." }'
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["X-Failed"] == "validate-jwt/TokenClaimNotFound"


def test_missing_token(base: str) -> None:
    r = requests.get(base, timeout=10)
    assert r.status_code == 401
    assert r.content == b'{ "statusCode": 401, "message": "JWT not present." }'
    assert r.headers["X-Failed"] == "validate-jwt/TokenNotPresent"
