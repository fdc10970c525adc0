"""Http authentication: each type's credential on the wire, token requests, sanitized inputs, refusals."""

from __future__ import annotations

import base64

import pytest

from keyless.workflows.errors import DefinitionError
from tests.workflows.actions._http_fakes import ScriptedHost, compile_http, response, run_http

UAMI = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/orders"
PFX = base64.b64encode(b"\x30\x82pfx-bytes").decode()


def _action(authentication: dict) -> dict:
    return {"inputs": {"method": "GET", "uri": "https://h/", "authentication": authentication}}


async def test_system_assigned_identity_with_default_audience() -> None:
    host = ScriptedHost([response(200)])
    outcome = await run_http(_action({"type": "ManagedServiceIdentity"}), host)
    assert host.msi_calls == [("https://management.azure.com/", None)]
    assert host.requests[0].headers["Authorization"] == "Bearer token-for-test:https://management.azure.com/"
    assert outcome.inputs["authentication"] == {"type": "ManagedServiceIdentity"}


async def test_user_assigned_identity_and_custom_audience() -> None:
    host = ScriptedHost([response(200)])
    auth = {"type": "ManagedServiceIdentity", "audience": "api://orders", "identity": UAMI}
    await run_http(_action(auth), host)
    assert host.msi_calls == [("api://orders", UAMI)]
    assert host.requests[0].headers["Authorization"] == "Bearer token-for-test:api://orders"


async def test_identity_from_parameters_is_checked_when_it_runs() -> None:
    host = ScriptedHost([response(200)])
    action = _action("@parameters('auth')")  # type: ignore[arg-type]
    await run_http(action, host, {"parameters": {"auth": {"type": "ManagedServiceIdentity", "audience": "api://a"}}})
    assert host.msi_calls == [("api://a", None)]


async def test_a_refused_token_fails_the_action_with_the_reason() -> None:
    host = ScriptedHost(refuse_tokens="The workflow has no user-assigned identity 'orders'.")
    outcome = await run_http(_action({"type": "ManagedServiceIdentity", "identity": UAMI}), host)
    assert (outcome.status, outcome.code) == ("Failed", "BadRequest")
    assert outcome.error == {
        "code": "BadRequest",
        "message": "Http request failed as there is an error getting managed identity token: "
        "'The workflow has no user-assigned identity 'orders'.'.",
    }
    assert host.requests == []


async def test_token_is_fetched_for_every_attempt() -> None:
    host = ScriptedHost([response(503), response(200)])
    auth = {"type": "ManagedServiceIdentity", "audience": "api://a"}
    action = {"inputs": {"method": "GET", "uri": "https://h/", "authentication": auth}}
    await run_http(action, host)
    assert len(host.msi_calls) == 2 and all(r.headers["Authorization"].startswith("Bearer ") for r in host.requests)


async def test_basic() -> None:
    host = ScriptedHost([response(200)])
    outcome = await run_http(_action({"type": "Basic", "username": "ann", "password": "p\u00e4ss"}), host)
    expected = "Basic " + base64.b64encode("ann:p\u00e4ss".encode()).decode()
    assert host.requests[0].headers["Authorization"] == expected
    assert outcome.inputs["authentication"] == {"type": "Basic", "username": "ann", "password": "*sanitized*"}


async def test_raw_replaces_a_hand_written_authorization_header() -> None:
    host = ScriptedHost([response(200)])
    action = _action({"type": "Raw", "value": "SharedKey abc"})
    action["inputs"]["headers"] = {"authorization": "Bearer stale"}
    outcome = await run_http(action, host)
    auth_headers = {k: v for k, v in host.requests[0].headers.items() if k.lower() == "authorization"}
    assert auth_headers == {"Authorization": "SharedKey abc"}
    assert outcome.inputs["authentication"] == {"type": "Raw", "value": "*sanitized*"}


async def test_a_hand_written_authorization_header_is_sanitized_in_inputs() -> None:
    host = ScriptedHost([response(200)])
    action = {"inputs": {"method": "GET", "uri": "https://h/", "headers": {"Authorization": "Bearer abc", "X": "1"}}}
    outcome = await run_http(action, host)
    assert host.requests[0].headers["Authorization"] == "Bearer abc"
    assert outcome.inputs == {
        "uri": "https://h/",
        "method": "GET",
        "headers": {"Authorization": "*sanitized*", "X": "1"},
    }
    assert list(outcome.inputs) == ["uri", "method", "headers"]


async def test_client_certificate_goes_on_the_request() -> None:
    host = ScriptedHost([response(200)])
    outcome = await run_http(_action({"type": "ClientCertificate", "pfx": PFX, "password": "pw"}), host)
    assert host.requests[0].client_certificate == (b"\x30\x82pfx-bytes", "pw")
    assert "Authorization" not in host.requests[0].headers
    assert outcome.inputs["authentication"] == {
        "type": "ClientCertificate",
        "pfx": "*sanitized*",
        "password": "*sanitized*",
    }


async def test_active_directory_oauth_with_secret() -> None:
    host = ScriptedHost([response(200)])
    auth = {"type": "ActiveDirectoryOAuth", "tenant": "t1", "audience": "api://a", "clientId": "c1", "secret": "s3"}
    outcome = await run_http(_action(auth), host)
    assert host.oauth_calls == [
        {
            "authority": None,
            "tenant": "t1",
            "audience": "api://a",
            "client_id": "c1",
            "secret": "s3",
            "pfx": None,
            "password": None,
        }
    ]
    assert host.requests[0].headers["Authorization"] == "Bearer token-for-test"
    assert outcome.inputs["authentication"]["secret"] == "*sanitized*"


async def test_active_directory_oauth_with_certificate_and_authority() -> None:
    host = ScriptedHost([response(200)])
    auth = {
        "type": "ActiveDirectoryOAuth",
        "authority": "https://login.microsoftonline.com",
        "tenant": "t1",
        "audience": "api://a",
        "clientId": "c1",
        "pfx": PFX,
        "password": "pw",
    }
    await run_http(_action(auth), host)
    call = host.oauth_calls[0]
    assert (call["authority"], call["pfx"], call["password"], call["secret"]) == (
        "https://login.microsoftonline.com",
        b"\x30\x82pfx-bytes",
        "pw",
        None,
    )


async def test_none_sends_no_credential() -> None:
    host = ScriptedHost([response(200)])
    await run_http(_action({"type": "None"}), host)
    assert "Authorization" not in host.requests[0].headers and host.requests[0].client_certificate is None


async def test_secrets_never_reach_recorded_inputs_even_when_the_call_fails() -> None:
    host = ScriptedHost()
    action = {"inputs": {"method": "@parameters('m')", "uri": "https://h/", "authentication": "@parameters('a')"}}
    data = {"parameters": {"m": "NOPE", "a": {"type": "Basic", "username": "u", "password": "hunter2"}}}
    outcome = await run_http(action, host, data)
    assert outcome.status == "Failed" and "hunter2" not in repr(outcome)


@pytest.mark.parametrize(
    ("authentication", "path", "fragment"),
    [
        ({"type": "Kerberos"}, "type", "ManagedServiceIdentity"),
        ({"type": "Basic", "username": "u"}, "password", "'password'"),
        ({"type": "ManagedServiceIdentity", "secret": "x"}, "secret", "'secret'"),
        ({"type": "ActiveDirectoryOAuth", "tenant": "t", "audience": "a", "clientId": "c"}, "secret", "'pfx'"),
        ({"type": "Raw"}, "value", "'value'"),
        ({"type": "ClientCertificate", "password": "x"}, "pfx", "'pfx'"),
        ("not an object", "", "object"),
    ],
)
def test_invalid_authentication_is_refused_when_saved(authentication: object, path: str, fragment: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_http(_action(authentication))  # type: ignore[arg-type]
    expected = "properties.definition.actions.HTTP.inputs.authentication" + (f".{path}" if path else "")
    assert caught.value.path == expected
    assert fragment in caught.value.detail


def test_unknown_type_message_lists_logic_apps_types() -> None:
    with pytest.raises(DefinitionError) as caught:
        compile_http(_action({"type": "OAuth2"}))
    for name in ("None", "Basic", "ClientCertificate", "ActiveDirectoryOAuth", "Raw", "ManagedServiceIdentity"):
        assert name in caught.value.detail
