"""The Ocp-Apim-Trace document of a refused token says exactly why, and never holds the token itself."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from tests.gateway.policies._security_doubles import Listener, document, keyless_gateway
from tests.platform.inprocess import InProcessKeyless, grant, make_api

API = "gw-trace-api"
KEY = "trace-subscription-key"
PITFALL = f"""<validate-jwt header-name="Authorization" require-scheme="Bearer">
  <openid-config url="https://login.microsoftonline.com/{{{{tenant}}}}/v2.0/.well-known/openid-configuration" />
  <audiences><audience>api://{API}</audience></audiences>
</validate-jwt>"""


@pytest.fixture(scope="module")
def kl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessKeyless]:
    for gateway in keyless_gateway(tmp_path_factory.mktemp("jwt-trace")):
        yield gateway.kl


def test_v1_managed_identity_token_against_v2_metadata_is_explained_in_the_trace(kl: InProcessKeyless) -> None:
    svc = kl.svc

    async def mi_token() -> str:
        _, api_sp = await make_api(svc, API, roles={"Orders.Write": True})
        rid = f"/subscriptions/{svc.instance.subscription_id}/resourceGroups/rg/providers/Microsoft.Logic/workflows/t"
        mi = await svc.directory.create_managed_identity(rid, "t", explicit=False)
        await grant(svc, mi, api_sp, "Orders.Write")
        return (await svc.tokens.managed_identity_token(mi, f"api://{API}")).access_token

    token = kl.run(mi_token())
    listener = Listener(kl, "jwttrace", document(PITFALL), tracing_key=KEY)
    try:
        headers = {"Authorization": f"Bearer {token}", "Ocp-Apim-Subscription-Key": KEY, "Ocp-Apim-Trace": "true"}
        r = requests.get(listener.url, headers=headers, timeout=10)
        assert r.status_code == 401
        assert r.content == b'{ "statusCode": 401, "message": "Invalid JWT." }'
        trace = requests.get(r.headers["Ocp-Apim-Trace-Location"], timeout=10)
        assert trace.status_code == 200
        text = trace.text
        assert token not in text and token.split(".")[2] not in text
        entries = [e for section in json.loads(text)["traceEntries"].values() for e in section]
        messages = [e["data"]["message"] for e in entries if e["source"] == "validate-jwt"]
        failed = next(m for m in messages if m.startswith("JWT Validation Failed: IDX10205"))
        assert f"Issuer: 'https://sts.windows.net/{kl.tenant}/'" in failed
        assert f"'https://login.microsoftonline.com/{kl.tenant}/v2.0'" in failed
        assert "this is a v1 token" in failed and "list both issuers in <issuers>" in failed
    finally:
        listener.close()
