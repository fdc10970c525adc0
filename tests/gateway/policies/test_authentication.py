"""authentication-managed-identity (the APIM service's own identities, tokens from keyless's token service) and
authentication-basic."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from typing import Any

import pytest
from tests.gateway.policies._security_doubles import (
    CompileError,
    Ctx,
    Gateway,
    State,
    bearer,
    corpus_file,
    keyless_gateway,
    policy_elements,
    run_policy,
    xml,
)
from tests.platform.inprocess import grant, make_api

from keyless.gateway.policies import authentication_basic, authentication_managed_identity, validate_jwt
from keyless.identity.managed_identity.hosting import HostIdentity

MI = authentication_managed_identity.SPEC
API = "gw-backend-api"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from keyless_gateway(tmp_path_factory.mktemp("authentication"))


@pytest.fixture(scope="module")
def identities(gw: Gateway) -> list[HostIdentity]:
    """The APIM service's system-assigned identity and one user-assigned identity, both granted a role."""
    svc = gw.kl.svc
    rg = f"/subscriptions/{svc.instance.subscription_id}/resourceGroups/rg/providers"
    service_id = f"{rg}/Microsoft.ApiManagement/service/apim1"
    uami_id = f"{rg}/Microsoft.ManagedIdentity/userAssignedIdentities/apim-uami"

    async def build() -> list[HostIdentity]:
        _, api_sp = await make_api(svc, API, roles={"Backend.Call": True})
        system = await svc.directory.create_managed_identity(service_id, "apim1", explicit=False)
        user = await svc.directory.create_managed_identity(uami_id, "apim-uami", explicit=True)
        await grant(svc, system, api_sp, "Backend.Call")
        await grant(svc, user, api_sp, "Backend.Call")
        return [
            HostIdentity("SystemAssigned", service_id, system, own=True),
            HostIdentity("UserAssigned", uami_id, user),
        ]

    return gw.kl.run(build())


def mi_policy(attrs: str) -> Any:
    return authentication_managed_identity.compile_policy(xml(f"<authentication-managed-identity {attrs}/>"), Ctx())


def backend_check(gw: Gateway) -> Any:
    """What the backend API would run: the seed's validate-jwt for this API."""
    tenant = gw.kl.tenant
    return validate_jwt.compile_policy(
        xml(
            f"""<validate-jwt header-name="Authorization" require-scheme="Bearer" output-token-variable-name="jwt">
              <openid-config url="https://login.microsoftonline.com/{tenant}/.well-known/openid-configuration"/>
              <audiences><audience>api://{API}</audience></audiences>
              <required-claims><claim name="roles"><value>Backend.Call</value></claim></required-claims>
            </validate-jwt>"""
        ),
        Ctx(),
    )


def test_system_assigned_identity_sets_bearer(gw: Gateway, identities: list[HostIdentity]) -> None:
    state = gw.state(services=gw.services(identity=identities))
    _, error = gw.run(MI, mi_policy(f'resource="api://{API}"'), state)
    assert error is None
    header = state.request.headers.get("Authorization")
    assert header is not None and header.startswith("Bearer ")
    backend = gw.state(headers=[("Authorization", header)])
    assert gw.run(validate_jwt.SPEC, backend_check(gw), backend)[1] is None
    jwt = backend.variables["jwt"]
    assert jwt.Claims["oid"] == [identities[0].principal_id]
    assert jwt.Claims["appidacr"] == ["2"]
    assert jwt.Issuer == f"https://sts.windows.net/{gw.kl.tenant}/"
    assert header.removeprefix("Bearer ") not in str(state.traces)


def test_user_assigned_by_client_id_into_a_variable(gw: Gateway, identities: list[HostIdentity]) -> None:
    user = identities[1]

    async def lookup(state: Any) -> list[HostIdentity]:  # services.identity may also be a function of the state
        assert state.request is not None
        return identities

    state = gw.state(services=gw.services(identity=lookup))
    cfg = mi_policy(f'resource="api://{API}" client-id="{user.client_id.upper()}" output-token-variable-name="tok"')
    _, error = gw.run(MI, cfg, state)
    assert error is None
    assert "Authorization" not in state.request.headers  # the variable receives it instead
    token = state.variables["tok"]
    backend = gw.state(headers=bearer(token))
    assert gw.run(validate_jwt.SPEC, backend_check(gw), backend)[1] is None
    assert backend.variables["jwt"].Claims["appid"] == [user.client_id]


def test_failures_and_ignore_error(gw: Gateway, identities: list[HostIdentity]) -> None:
    only_user = gw.services(identity=identities[1:])
    state = gw.state(services=only_user)
    _, error = gw.run(MI, mi_policy(f'resource="api://{API}"'), state)
    assert error is not None and error.source == "authentication-managed-identity"
    assert "no system-assigned managed identity" in error.message
    state = gw.state(services=gw.services(identity=identities))
    _, error = gw.run(
        MI, mi_policy('resource="api://gw-backend-api" client-id="00000000-0000-0000-0000-000000000000"'), state
    )
    assert error is not None and "no user-assigned managed identity with client id" in error.message
    state = gw.state(services=gw.services(identity=identities))
    _, error = gw.run(MI, mi_policy('resource="api://no-such-resource"'), state)
    assert error is not None and "api://no-such-resource" in error.message
    state = gw.state(services=gw.services(identity=identities))
    result, error = gw.run(MI, mi_policy('resource="api://no-such-resource" ignore-error="true"'), state)
    assert (result, error) == (None, None) and "Authorization" not in state.request.headers


def test_resource_expression(gw: Gateway, identities: list[HostIdentity]) -> None:
    expression = '@((string)context.Variables["audience"])'
    cfg = authentication_managed_identity.compile_policy(
        xml(f"<authentication-managed-identity resource='{expression}'/>"),
        Ctx({expression: lambda s: s.variables["audience"]}),
    )
    state = gw.state(services=gw.services(identity=identities))
    state.variables["audience"] = f"api://{API}"
    assert gw.run(MI, cfg, state)[1] is None and "Authorization" in state.request.headers


@pytest.mark.parametrize(
    ("attrs", "names"),
    [
        ("", "'resource'"),
        ('resource="r" client-id="@(1)"', "client-id"),
        ('resource="r" output-token-variable-name="@(x)"', "output-token-variable-name"),
        ('resource="r" ignore-error="sometimes"', "true or false"),
        ('resource="r" scope="x"', "scope"),
    ],
)
def test_mi_compile_refusals(attrs: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        mi_policy(attrs)
    assert names in caught.value.message


def test_corpus_managed_identity_documents() -> None:
    toolkit = "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/"
    snippets = "Azure__api-management-policy-snippets/examples/"
    found = 0
    for relative in (
        f"{toolkit}managed-identity-fragment.xml",
        f"{toolkit}managed-identity-find-replace.xml",
        f"{snippets}Authenticate using Managed Identity to access Storage Account.xml",
        f"{snippets}Look up Key Vault secret using Managed Service Identity.policy.xml",
    ):
        for element in policy_elements(corpus_file(relative), "authentication-managed-identity"):
            cfg = authentication_managed_identity.compile_policy(element, Ctx())
            assert cfg.resource is not None
            found += 1
    assert found >= 4


def test_basic_sets_authorization() -> None:
    cfg = authentication_basic.compile_policy(xml('<authentication-basic username="user1" password="pä:ss"/>'), Ctx())
    state = State(headers=[("Authorization", "Bearer old")])
    assert asyncio.run(run_policy(authentication_basic.SPEC, cfg, state)) == (None, None)
    value = state.request.headers.values("Authorization")
    assert value == ["Basic " + base64.b64encode("user1:pä:ss".encode()).decode()]


@pytest.mark.parametrize(
    ("snippet", "names"),
    [
        ('<authentication-basic username="u"/>', "password"),
        ('<authentication-basic password="p"/>', "username"),
        ('<authentication-basic username="u" password="p" realm="r"/>', "realm"),
        ('<authentication-basic username="u" password="p">text</authentication-basic>', "takes no text"),
    ],
)
def test_basic_compile_refusals(snippet: str, names: str) -> None:
    with pytest.raises(CompileError) as caught:
        authentication_basic.compile_policy(xml(snippet), Ctx())
    assert names in caught.value.message


def test_basic_corpus_document() -> None:
    path = corpus_file(
        "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/authentication-basic.xml"
    )
    (element,) = policy_elements(path, "authentication-basic")
    state = State()
    asyncio.run(run_policy(authentication_basic.SPEC, authentication_basic.compile_policy(element, Ctx()), state))
    assert state.request.headers.get("Authorization") == "Basic " + base64.b64encode(b"user1:pass123").decode()
