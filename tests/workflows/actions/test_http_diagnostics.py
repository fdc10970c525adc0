"""The Http action and keyless's gateway diagnostics: a refusal's `x-keyless-reason` ends the action's one-line
error as `keyless: <why>`, and one INFO line on `keyless.workflows` carries the run's correlation id."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from tests.workflows.actions._http_fakes import ScriptedHost, json_response, run_http

WHY = "validate-jwt: the token has no 'roles' claim value 'AddRole' (roles: none); its claims are aud, iss"
BODY = b'{ "statusCode": 401, "message": "Invalid JWT." }'
ACTION = {
    "inputs": {
        "method": "POST",
        "uri": "https://contoso-demo.azure-api.net/orders/add?sig=secret-sas",
        "authentication": {"type": "ManagedServiceIdentity", "audience": "api://orders"},
    }
}


@dataclass
class RunHostWithCorrelation(ScriptedHost):
    """A host that, like keyless's run host, adds the run's correlation headers to each outbound call."""

    context: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(workflow_name="orders-flow", run_name="08584RUN")
    )

    def correlation_headers(self) -> dict[str, str]:
        return {"x-ms-correlation-id": "corr-42", "x-ms-workflow-run-id": "08584RUN"}


async def test_the_gateway_reason_ends_the_error_message(caplog: pytest.LogCaptureFixture) -> None:
    host = RunHostWithCorrelation([json_response(401, BODY, ("x-keyless-reason", WHY))])
    with caplog.at_level(logging.INFO, logger="keyless.workflows"):
        outcome = await run_http(ACTION, host)
    assert (outcome.status, outcome.code) == ("Failed", "Unauthorized")
    assert outcome.error is not None
    assert outcome.error["message"] == (
        "The request POST https://contoso-demo.azure-api.net/orders/add returned 401 (Unauthorized): Invalid JWT. "
        f"keyless: {WHY}"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "keyless.workflows"]
    assert lines == [
        "http call refused: correlation=corr-42 workflow=orders-flow run=08584RUN action=HTTP "
        f"request=POST https://contoso-demo.azure-api.net/orders/add status=401 reason={WHY}"
    ]
    assert "token-for-test" not in lines[0] and "secret-sas" not in lines[0]


async def test_a_reason_on_several_lines_stays_one_line() -> None:
    host = ScriptedHost([json_response(403, b"{}", ("X-Keyless-Reason", "ip-filter:\r\n caller 10.0.0.1 blocked"))])
    outcome = await run_http(ACTION, host)
    assert outcome.error is not None
    assert outcome.error["message"].endswith("returned 403 (Forbidden). keyless: ip-filter: caller 10.0.0.1 blocked")


async def test_a_backend_refusal_without_the_header_is_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    host = RunHostWithCorrelation([json_response(401, BODY)])
    with caplog.at_level(logging.INFO, logger="keyless.workflows"):
        outcome = await run_http(ACTION, host)
    assert outcome.error is not None
    assert outcome.error["message"].endswith("returned 401 (Unauthorized): Invalid JWT.")
    assert "keyless:" not in outcome.error["message"]
    assert not [r for r in caplog.records if r.name == "keyless.workflows"]
