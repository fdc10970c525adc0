"""validate-azure-ad-token: the local tenant's v1 and v2 tokens, from allowed client applications only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msal
import pytest
from azure.identity import ClientSecretCredential
from tests.gateway.policies._security_doubles import (
    CompileError,
    Ctx,
    Gateway,
    bearer,
    corpus_file,
    keyless_gateway,
    policy_elements,
    xml,
)
from tests.platform.inprocess import grant, make_api, make_client

from keyless.gateway.policies import validate_azure_ad_token

SPEC = validate_azure_ad_token.SPEC
API = "gw-aad-api"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from keyless_gateway(tmp_path_factory.mktemp("validate-aad"))


@pytest.fixture(scope="module")
def world(gw: Gateway) -> dict[str, Any]:
    kl = gw.kl
    svc = kl.svc

    async def build() -> dict[str, Any]:
        _, v1_sp = await make_api(svc, API, roles={"Orders.Write": True})
        v2_app, v2_sp = await make_api(svc, "gw-aad-api-v2", roles={"Orders.Write": True}, version=2)
        client, client_sp, secret = await make_client(svc, "gw-aad-client")
        await grant(svc, client_sp, v1_sp, "Orders.Write")
        await grant(svc, client_sp, v2_sp, "Orders.Write")
        other, _, other_secret = await make_client(svc, "gw-aad-other")
        return {"v2": v2_app, "client": client, "secret": secret, "other": other, "other_secret": other_secret}

    world = kl.run(build())

    def msal_token(client: dict[str, Any], secret: str) -> str:
        app = msal.ConfidentialClientApplication(
            client["appId"], client_credential=secret, authority=kl.authority, instance_discovery=False, verify=kl.ca
        )
        result = app.acquire_token_for_client(scopes=[f"api://{API}/.default"])
        assert "access_token" in result, result
        return str(result["access_token"])

    world["v1_token"] = msal_token(world["client"], world["secret"])
    world["other_token"] = msal_token(world["other"], world["other_secret"])
    credential = ClientSecretCredential(
        kl.tenant, world["client"]["appId"], world["secret"], authority=kl.login,
        disable_instance_discovery=True, connection_verify=kl.ca,
    )  # fmt: skip
    world["v2_token"] = credential.get_token("api://gw-aad-api-v2/.default").token
    return world


def policy(gw: Gateway, world: dict[str, Any], inner: str = "", attrs: str = "") -> Any:
    return validate_azure_ad_token.compile_policy(
        xml(
            f"""<validate-azure-ad-token tenant-id="{gw.kl.tenant}" output-token-variable-name="jwt" {attrs}>
              <client-application-ids><application-id>{world["client"]["appId"]}</application-id></client-application-ids>
              {inner}
            </validate-azure-ad-token>"""
        ),
        Ctx(),
    )


def test_v1_and_v2_tokens_of_the_tenant_pass(gw: Gateway, world: dict[str, Any]) -> None:
    cfg = policy(
        gw,
        world,
        f"""<backend-application-ids><application-id>{world["v2"]["appId"]}</application-id></backend-application-ids>
            <audiences><audience>api://{API}</audience></audiences>
            <required-claims><claim name="roles"><value>Orders.Write</value></claim></required-claims>""",
    )
    for token in (world["v1_token"], world["v2_token"]):
        state = gw.state(headers=bearer(token))
        _, error = gw.run(SPEC, cfg, state)
        assert error is None, error and error.message
        assert state.variables["jwt"].Claims["roles"] == ["Orders.Write"]
    # the metadata came from keyless's v2 tenant document, through the login alias
    assert any(u.endswith(f"/{gw.kl.tenant}/v2.0/.well-known/openid-configuration") for u in gw.fetched)


def test_other_client_application_is_refused(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=bearer(world["other_token"]))
    _, error = gw.run(SPEC, policy(gw, world), state)
    assert error is not None
    assert (error.source, error.reason) == ("validate-azure-ad-token", "TokenClaimValueNotAllowed")
    assert f"Claim appid value of {world['other']['appId']} is not allowed. Access denied." in error.message
    assert "<client-application-ids>" in error.message
    assert state.body() == {"statusCode": 401, "message": "Invalid JWT."}


def test_audience_and_claims_are_enforced(gw: Gateway, world: dict[str, Any]) -> None:
    cfg = policy(gw, world, "<audiences><audience>api://another-api</audience></audiences>")
    _, error = gw.run(SPEC, cfg, gw.state(headers=bearer(world["v1_token"])))
    assert error is not None and error.reason == "TokenAudienceNotAllowed"
    cfg = policy(
        gw, world, '<required-claims><claim name="roles"><value>Orders.Admin</value></claim></required-claims>'
    )
    _, error = gw.run(SPEC, cfg, gw.state(headers=bearer(world["v1_token"])))
    assert error is not None and error.reason == "TokenClaimValueNotAllowed"


def test_token_from_another_tenant_is_refused(gw: Gateway, world: dict[str, Any]) -> None:
    """The tenant's own keys sign the token, but the issuer names another tenant."""
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from keyless.platform.ids import b64url

    head, body, _ = world["v1_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["iss"] = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/"
    signing_input = f"{head}.{b64url(json.dumps(claims).encode())}"
    key = gw.kl.svc.keys.active
    assert key is not None
    signature = key.private_key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    _, error = gw.run(SPEC, policy(gw, world), gw.state(headers=bearer(f"{signing_input}.{b64url(signature)}")))
    assert error is not None and error.reason == "TokenIssuerNotAllowed"
    assert f"https://sts.windows.net/{gw.kl.tenant}/" in error.message


def test_missing_token_and_custom_failure(gw: Gateway, world: dict[str, Any]) -> None:
    cfg = policy(gw, world, attrs='failed-validation-httpcode="403" failed-validation-error-message="No entry"')
    state = gw.state()
    _, error = gw.run(SPEC, cfg, state)
    assert error is not None and error.reason == "TokenNotPresent"
    assert state.body() == {"statusCode": 403, "message": "No entry"}
    by_query = validate_azure_ad_token.compile_policy(
        xml(
            f"""<validate-azure-ad-token tenant-id="{gw.kl.tenant}" query-parameter-name="t">
              <client-application-ids><application-id>{world["client"]["appId"]}</application-id></client-application-ids>
            </validate-azure-ad-token>"""
        ),
        Ctx(),
    )
    state = gw.state(url=f"https://apim.azure-api.net/api?t={world['v1_token']}")
    assert gw.run(SPEC, by_query, state)[1] is None


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ("<validate-azure-ad-token tenant-id='t'/>", "<client-application-ids>"),
        ("<validate-azure-ad-token><client-application-ids><application-id>a</application-id>"
         "</client-application-ids></validate-azure-ad-token>", "tenant-id"),
        ("<validate-azure-ad-token tenant-id='t' foo='1'/>", "foo"),
        ("<validate-azure-ad-token tenant-id='t'><client-application-ids/></validate-azure-ad-token>",
         "application-id"),
        ("<validate-azure-ad-token tenant-id='t'><decryption-keys/></validate-azure-ad-token>", "JWE"),
        ("<validate-azure-ad-token tenant-id='t'><issuers/></validate-azure-ad-token>", "<issuers>"),
    ],
)  # fmt: skip
def test_compile_refusals(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        validate_azure_ad_token.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_corpus_document_compiles() -> None:
    path = corpus_file(
        "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/validate-azure-ad-token.xml"
    )
    (element,) = policy_elements(path, "validate-azure-ad-token")
    cfg = validate_azure_ad_token.compile_policy(element, Ctx())
    assert [v.get(None) for v in cfg.client_ids] == ["app-id-1", "app-id-2"]
    assert [c.name for c in cfg.claims] == ["roles", "aud"]
    assert cfg.output_variable == "jwt-token"
