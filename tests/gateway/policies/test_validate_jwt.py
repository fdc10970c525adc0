"""validate-jwt with tokens from keyless's identity service (msal, azure-identity, managed identity), checked
against keyless's published metadata and JWKS over HTTPS, plus compile-time refusals and the corpus."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from types import SimpleNamespace
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

from keyless.csharp import compile_expression
from keyless.csharp.dotnet.jwt import Jwt
from keyless.gateway.policies import validate_jwt
from keyless.gateway.policy import STOP

SPEC = validate_jwt.SPEC
K = "<issuer-signing-keys><key>AAAA</key></issuer-signing-keys>"
V, E, S = 'validate-jwt header-name="A"', "</validate-jwt>", "issuer-signing-keys"
API = "gw-orders"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from keyless_gateway(tmp_path_factory.mktemp("validate-jwt"))


@pytest.fixture(scope="module")
def world(gw: Gateway) -> dict[str, Any]:
    kl = gw.kl
    svc = kl.svc

    async def build() -> dict[str, Any]:
        v1_app, v1_sp = await make_api(svc, API, roles={"Orders.Write": True, "Orders.Read": True})
        v2_app, v2_sp = await make_api(svc, "gw-orders-v2", roles={"Orders.Write": True}, version=2)
        client, client_sp, secret = await make_client(svc, "gw-client")
        await grant(svc, client_sp, v1_sp, "Orders.Write")
        await grant(svc, client_sp, v2_sp, "Orders.Write")
        bare, _, bare_secret = await make_client(svc, "gw-bare-client")
        mi_id = (
            f"/subscriptions/{svc.instance.subscription_id}/resourceGroups/rg/providers/Microsoft.Logic/workflows/wf"
        )
        mi = await svc.directory.create_managed_identity(mi_id, "wf", explicit=False)
        await grant(svc, mi, v1_sp, "Orders.Write")
        mi_token = (await svc.tokens.managed_identity_token(mi, f"api://{API}")).access_token
        return {
            "v1": v1_app, "v2": v2_app, "client": client, "secret": secret,
            "bare": bare, "bare_secret": bare_secret, "mi_token": mi_token,
        }  # fmt: skip

    world = kl.run(build())
    app = msal.ConfidentialClientApplication(
        world["client"]["appId"], client_credential=world["secret"], authority=kl.authority,
        instance_discovery=False, verify=kl.ca,
    )  # fmt: skip
    result = app.acquire_token_for_client(scopes=[f"api://{API}/.default"])
    assert "access_token" in result, result
    world["v1_token"] = result["access_token"]
    bare_app = msal.ConfidentialClientApplication(
        world["bare"]["appId"], client_credential=world["bare_secret"], authority=kl.authority,
        instance_discovery=False, verify=kl.ca,
    )  # fmt: skip
    bare = bare_app.acquire_token_for_client(scopes=[f"api://{API}/.default"])
    assert "access_token" in bare, bare
    world["bare_token"] = bare["access_token"]
    credential = ClientSecretCredential(
        kl.tenant, world["client"]["appId"], world["secret"], authority=kl.login,
        disable_instance_discovery=True, connection_verify=kl.ca,
    )  # fmt: skip
    world["v2_token"] = credential.get_token("api://gw-orders-v2/.default").token
    return world


def seed_policy(gw: Gateway, *, metadata: str = "v2.0/", issuers: str | None = None, extra: str = "") -> Any:
    """The seed's policy (apim.md §2): v2 metadata for keys, the v1 issuer, audience api://…, a roles claim."""
    tenant = gw.kl.tenant
    issuers = (
        issuers if issuers is not None else f"<issuers><issuer>https://sts.windows.net/{tenant}/</issuer></issuers>"
    )
    return validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401"
                 output-token-variable-name="jwt" {extra}>
              <openid-config url="https://login.microsoftonline.com/{tenant}/{metadata}.well-known/openid-configuration"/>
              <audiences><audience>api://{API}</audience></audiences>
              {issuers}
              <required-claims><claim name="roles" match="any"><value>Orders.Write</value></claim></required-claims>
            </validate-jwt>"""
        ),
        Ctx(),
    )


def test_seed_policy_passes_msal_token_with_role(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=bearer(world["v1_token"]))
    result, error = gw.run(SPEC, seed_policy(gw), state)
    assert error is None and result is None and state.response is None
    jwt = state.variables["jwt"]
    assert isinstance(jwt, Jwt)
    assert jwt.Issuer == f"https://sts.windows.net/{gw.kl.tenant}/"
    assert jwt.Audiences == [f"api://{API}"]
    assert jwt.Claims["roles"] == ["Orders.Write"]
    read = compile_expression('@(((Jwt)context.Variables["jwt"]).Claims.GetValueOrDefault("appid", ""))')
    assert read.evaluate(SimpleNamespace(Variables=state.variables)) == world["client"]["appId"]
    assert jwt.Algorithm == "RS256" and jwt.ExpirationTime is not None
    # the metadata was fetched through the alias, over HTTPS, from keyless's login listener
    assert any(u.startswith(gw.kl.login) and u.endswith("/v2.0/.well-known/openid-configuration") for u in gw.fetched)
    assert all("login.microsoftonline.com" not in u for u in gw.fetched)


def test_seed_policy_passes_managed_identity_token(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=bearer(world["mi_token"]))
    _, error = gw.run(SPEC, seed_policy(gw), state)
    assert error is None
    assert state.variables["jwt"].Claims["appidacr"] == ["2"]


def test_seed_policy_refuses_token_without_role(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=bearer(world["bare_token"]))
    _, error = gw.run(SPEC, seed_policy(gw), state)
    assert error is not None
    assert (error.source, error.reason) == ("validate-jwt", "TokenClaimNotFound")
    assert error.message.startswith("JWT is missing the following claims: roles. Access denied.")
    assert state.response is not None and state.response.status == 401
    assert state.response.body == b'{ "statusCode": 401, "message": "Invalid JWT." }'
    assert state.response.headers.get("Content-Type") == "application/json"
    assert state.traces[-1][0] == "validate-jwt"
    assert state.traces[-1][1]["message"].startswith("JWT Validation Failed: JWT is missing the following claims")
    assert world["bare_token"] not in state.traces[-1][1]["message"] and world["bare_token"] not in error.message


def test_missing_token_is_not_present(gw: Gateway) -> None:
    state = gw.state()
    _, error = gw.run(SPEC, seed_policy(gw), state)
    assert error is not None and error.reason == "TokenNotPresent"
    assert state.body() == {"statusCode": 401, "message": "JWT not present."}
    assert "no Authorization header" in error.message


def test_wrong_scheme_is_not_present(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=[("Authorization", f"Token {world['v1_token']}")])
    _, error = gw.run(SPEC, seed_policy(gw), state)
    assert error is not None and error.reason == "TokenNotPresent"
    assert "'Bearer' scheme" in error.message


def test_custom_code_and_message(gw: Gateway) -> None:
    cfg = validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization" failed-validation-httpcode="403"
                 failed-validation-error-message="Go away">
              <openid-config url="https://login.microsoftonline.com/{gw.kl.tenant}/v2.0/.well-known/openid-configuration"/>
            </validate-jwt>"""
        ),
        Ctx(),
    )
    state = gw.state(headers=bearer("not-a-jwt"))
    _, error = gw.run(SPEC, cfg, state)
    assert error is not None and error.reason == "JwtInvalid"
    assert state.response is not None and state.response.status == 403
    assert state.body() == {"statusCode": 403, "message": "Go away"}


def test_v2_token_against_v2_metadata_issuer(gw: Gateway, world: dict[str, Any]) -> None:
    """No <issuers>: the metadata's issuer is enforced; a v2 token (aud = appId) passes."""
    cfg = validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization">
              <openid-config url="https://login.microsoftonline.com/{gw.kl.tenant}/v2.0/.well-known/openid-configuration"/>
              <audiences><audience>{world["v2"]["appId"]}</audience></audiences>
            </validate-jwt>"""
        ),
        Ctx(),
    )
    _, error = gw.run(SPEC, cfg, gw.state(headers=bearer(world["v2_token"])))
    assert error is None


def test_v1_token_against_v2_metadata_is_explained(gw: Gateway, world: dict[str, Any]) -> None:
    """The classic pitfall: a v1 (managed identity) token, v2 metadata, no <issuers>."""
    state = gw.state(headers=bearer(world["mi_token"]))
    _, error = gw.run(SPEC, seed_policy(gw, issuers=""), state)
    tenant = gw.kl.tenant
    assert error is not None and error.reason == "TokenIssuerNotAllowed"
    assert error.message.startswith(
        f"IDX10205: Issuer validation failed. Issuer: 'https://sts.windows.net/{tenant}/'. Did not match: "
        f"validationParameters.ValidIssuer: 'null' or validationParameters.ValidIssuers: "
        f"'https://login.microsoftonline.com/{tenant}/v2.0'. Access denied."
    )
    assert "this is a v1 token" in error.message and "v2 openid-config document" in error.message
    assert "list both issuers in <issuers>" in error.message
    assert state.traces[-1][1]["message"].startswith("JWT Validation Failed: IDX10205")
    # the v1 metadata document fixes it
    fixed = gw.state(headers=bearer(world["mi_token"]))
    _, error = gw.run(SPEC, seed_policy(gw, metadata="", issuers=""), fixed)
    assert error is None


def test_v2_token_with_api_uri_audience_is_explained(gw: Gateway, world: dict[str, Any]) -> None:
    state = gw.state(headers=bearer(world["v2_token"]))
    _, error = gw.run(SPEC, seed_policy(gw, issuers=""), state)
    assert error is not None and error.reason == "TokenAudienceNotAllowed"
    assert error.message.startswith(f"IDX10214: Audience validation failed. Audiences: '{world['v2']['appId']}'.")
    assert "application (client) id, not its api:// identifier URI" in error.message


def test_query_parameter_and_token_value_sources(gw: Gateway, world: dict[str, Any]) -> None:
    tenant = gw.kl.tenant
    body = f"""<openid-config url="https://login.microsoftonline.com/{tenant}/.well-known/openid-configuration"/>"""
    by_query = validate_jwt.compile_policy(
        xml(f'<validate-jwt query-parameter-name="access_token">{body}</validate-jwt>'), Ctx()
    )
    state = gw.state(url=f"https://apim.azure-api.net/api?access_token={world['v1_token']}")
    assert gw.run(SPEC, by_query, state)[1] is None
    assert gw.run(SPEC, by_query, gw.state())[1].reason == "TokenNotPresent"  # type: ignore[union-attr]
    expression = '@((string)context.Variables["t"])'
    ctx = Ctx({expression: lambda s: s.variables.get("t")})
    by_value = validate_jwt.compile_policy(xml(f"<validate-jwt token-value='{expression}'>{body}</validate-jwt>"), ctx)
    state = gw.state()
    state.variables["t"] = world["v1_token"]
    assert gw.run(SPEC, by_value, state)[1] is None


def test_verified_tokens_are_cached_per_policy(gw: Gateway, world: dict[str, Any]) -> None:
    cfg = seed_policy(gw)
    assert gw.run(SPEC, cfg, gw.state(headers=bearer(world["v1_token"])))[1] is None
    assert len(cfg.cache.entries) == 1
    assert world["v1_token"] not in repr(cfg.cache.entries)  # keyed by a digest, not the token
    assert gw.run(SPEC, cfg, gw.state(headers=bearer(world["v1_token"])))[1] is None
    assert len(cfg.cache.entries) == 1
    # a refused token is never cached
    assert gw.run(SPEC, cfg, gw.state(headers=bearer(world["bare_token"])))[1] is not None
    assert len(cfg.cache.entries) == 1


def test_metadata_is_fetched_once_for_many_requests(gw: Gateway, world: dict[str, Any]) -> None:
    gw.openid.__init__()  # type: ignore[misc]
    cfg = seed_policy(gw)
    for _ in range(5):
        assert gw.run(SPEC, cfg, gw.state(headers=bearer(world["mi_token"])))[1] is None
    assert gw.openid.fetches == 1


def test_symmetric_key_required_claims_all_and_separator(gw: Gateway) -> None:
    import hashlib
    import hmac
    import json
    import time

    from keyless.platform.ids import b64url

    secret = b"0123456789abcdef0123456789abcdef"
    key = base64.b64encode(secret).decode()

    def token(claims: dict[str, Any]) -> str:
        head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = b64url(json.dumps(claims).encode())
        sig = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{b64url(sig)}"

    cfg = validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="X-Token">
              <issuer-signing-keys><key>{key}</key></issuer-signing-keys>
              <required-claims>
                <claim name="scp" match="all" separator=" "><value>read</value><value>write</value></claim>
                <claim name="edit"><value>true</value></claim>
              </required-claims>
            </validate-jwt>"""
        ),
        Ctx(),
    )
    exp = int(time.time()) + 600
    good = token({"scp": "read write admin", "edit": True, "exp": exp})
    assert gw.run(SPEC, cfg, gw.state(headers=[("X-Token", good)]))[1] is None
    # require-scheme is not needed for a custom header; a Bearer prefix is still accepted
    assert gw.run(SPEC, cfg, gw.state(headers=[("X-Token", f"Bearer {good}")]))[1] is None
    partial = token({"scp": "read", "edit": True, "exp": exp})
    _, error = gw.run(SPEC, cfg, gw.state(headers=[("X-Token", partial)]))
    assert error is not None and error.reason == "TokenClaimValueNotAllowed"
    assert error.message.startswith("Claim scp value of read is not allowed. Access denied.")
    assert "missing 'write'" in error.message
    no_exp = token({"scp": "read write", "edit": True})
    _, error = gw.run(SPEC, cfg, gw.state(headers=[("X-Token", no_exp)]))
    assert error is not None and error.reason == "JwtInvalid" and "IDX10225" in error.message
    lenient = validate_jwt.compile_policy(
        xml(f"""<validate-jwt header-name="X-Token" require-expiration-time="false">
              <issuer-signing-keys><key>{key}</key></issuer-signing-keys></validate-jwt>"""),
        Ctx(),
    )
    assert gw.run(SPEC, lenient, gw.state(headers=[("X-Token", no_exp)]))[1] is None


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        (f'<{V} bogus="1">{K}{E}', "bogus"),
        (f'<{V}>{K}<extra/>{E}', "<extra>"),
        (f"<validate-jwt>{K}{E}", "One of header-name"),
        (f'<{V} token-value="x">{K}{E}', "Only one of"),
        (f'<{V}/>', "<openid-config> or <issuer-signing-keys>"),
        (f'<{V}><decryption-keys><key>AAAA</key></decryption-keys>{E}', "JWE"),
        (f'<{V}><{S}><key certificate-id="c"/></{S}>{E}', "certificate-id"),
        (f'<{V}><{S}><key>not base64!</key></{S}>{E}', "Base64"),
        (f'<{V} require-signed-tokens="maybe">{K}{E}', "true or false"),
        (f'<{V} clock-skew="soon">{K}{E}', "clock-skew"),
        (f'<{V}>{K}<required-claims><claim name="x" match="some"/></required-claims>{E}', "'match'"),
        (f'<{V} output-token-variable-name="@(1)">{K}{E}', "output-token-variable-name"),
        (f'<{V}><{S}><key n="AQAB"/></{S}>{E}', "'n' and 'e'"),
        (f'<{V}><openid-config/>{E}', "'url'"),
        (f'<{V}>{K}<audiences/>{E}', "<audience>"),
        (f"<{V}>{K}stray text{E}", "takes no text"),
        (f"<{V}><openid-config url='u'>x</openid-config>{E}", "takes no text"),
        (f"<{V}>{K}<audiences><audience>a<b/></audience></audiences>{E}", "<b>"),
        (f"<{V}><{S}><key>AAAA<x/></key></{S}>{E}", "<x>"),
    ],
)  # fmt: skip
def test_compile_refusals_name_the_problem(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        validate_jwt.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_corpus_validate_jwt_documents() -> None:
    """Snippets compile; the toolkit's document is refused for its <decryption-keys> (JWE), naming it."""
    accepted = 0
    snippets = "Azure__api-management-policy-snippets/examples/"
    for relative in (
        f"{snippets}Pre-authorize requests based on HTTP method with validate-jwt.policy.xml",
        f"{snippets}Use custom error messages for jwt-validate policy with on-error handler.policy.xml",
    ):
        for element in policy_elements(corpus_file(relative), "validate-jwt"):
            cfg = validate_jwt.compile_policy(element, Ctx())
            assert cfg.keys[0].key is not None  # the named value became a Base64 key at compile time
            accepted += 1
    assert accepted == 4
    toolkit = corpus_file("Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/validate-jwt.xml")
    (element,) = policy_elements(toolkit, "validate-jwt")
    with pytest.raises(CompileError) as caught:
        validate_jwt.compile_policy(element, Ctx())
    assert "<decryption-keys>" in caught.value.message


def test_run_returns_none_not_stop(gw: Gateway, world: dict[str, Any]) -> None:
    result, _ = gw.run(SPEC, seed_policy(gw), gw.state(headers=bearer(world["v1_token"])))
    assert result is not STOP


def test_key_from_an_expression_is_evaluated_per_request(gw: Gateway) -> None:
    """A verdict is never reused across requests whose keys differ (the key comes from an expression)."""
    import hashlib
    import hmac
    import json
    import time

    from keyless.platform.ids import b64url

    secret = b"another-secret-of-thirty-two-byt"
    head = b64url(json.dumps({"alg": "HS256"}).encode())
    body = b64url(json.dumps({"exp": int(time.time()) + 600}).encode())
    token = f"{head}.{body}.{b64url(hmac.new(secret, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"
    expression = '@((string)context.Variables["key"])'
    cfg = validate_jwt.compile_policy(
        xml(f"<validate-jwt header-name='X-Token'><issuer-signing-keys><key>{expression}</key></issuer-signing-keys>"
            "</validate-jwt>"),
        Ctx({expression: lambda s: s.variables["key"]}),
    )  # fmt: skip
    right = gw.state(headers=[("X-Token", token)])
    right.variables["key"] = base64.b64encode(secret).decode()
    assert gw.run(SPEC, cfg, right)[1] is None
    wrong = gw.state(headers=[("X-Token", token)])
    wrong.variables["key"] = base64.b64encode(b"x" * 32).decode()
    _, error = gw.run(SPEC, cfg, wrong)
    assert error is not None and error.reason == "TokenSignatureInvalid"
    assert not cfg.cache.entries


def test_unsigned_tokens_only_when_signatures_are_not_required() -> None:
    import asyncio
    import json
    import time

    from tests.gateway.policies._security_doubles import State, run_policy

    from keyless.platform.ids import b64url

    cfg = validate_jwt.compile_policy(xml('<validate-jwt header-name="X-Token" require-signed-tokens="false"/>'), Ctx())
    claims = b64url(json.dumps({"exp": int(time.time()) + 60}).encode())
    unsigned = f"{b64url(json.dumps({'alg': 'none'}).encode())}.{claims}."
    assert asyncio.run(run_policy(SPEC, cfg, State(headers=[("X-Token", unsigned)]))) == (None, None)
    signed = f"{b64url(json.dumps({'alg': 'RS256', 'kid': 'k'}).encode())}.{claims}.c2ln"
    _, error = asyncio.run(run_policy(SPEC, cfg, State(headers=[("X-Token", signed)])))
    assert error is not None and error.reason == "TokenSignatureKeyNotFound"
