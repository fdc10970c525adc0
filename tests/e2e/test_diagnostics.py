"""Diagnostics across services on a running `keyless up`, with the seed scenario's identity without `AddRole`:

the gateway refuses the workflow's call (validate-jwt, Azure's 401 and body) and says why in `x-keyless-reason`;
the run history's Http action error and `keyless workflow show` end with `keyless: <why>`; one correlation id joins
the workflow's and the gateway's log lines of that call; the identity service logs the token it issued (no roles).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

import pytest
import requests
from azure.mgmt.logic.models import ManagedServiceIdentity
from typer.testing import CliRunner

from keyless.cli.main import app
from tests.e2e import test_workflow_seed as scenario
from tests.e2e.test_workflow_seed import DENIED, Seed, action, definition, deploy, finished_run, invoke

pytestmark = scenario.pytestmark
seed = scenario.seed  # the seed scenario's module fixture: app role, APIM API with validate-jwt, subscription

WHY = "validate-jwt: the token has no 'roles' claim value 'AddRole' (roles: none)"


def log_lines(seed: Seed, marker: str) -> list[str]:
    return [line for line in (seed.keyless.data_dir / "up.log").read_text().splitlines() if marker in line]


def field(line: str, name: str) -> str:
    found = re.search(rf"\b{name}=(\S+)", line)
    assert found, line
    return found.group(1)


def gateway_url(seed: Seed) -> str:
    """The APIM service's listener (what `https://{service}.azure-api.net` resolves to under keyless)."""
    ports = json.loads((seed.keyless.data_dir / "gateway-ports.json").read_text())
    return f"http://127.0.0.1:{ports[seed.service]}"


def test_the_gateway_says_why_it_refused_a_call(seed: Seed) -> None:
    """A call without a token: Azure's 401 and body unchanged, keyless's why in x-keyless-reason and the log."""
    correlation = str(uuid.uuid4())
    headers = {"Ocp-Apim-Subscription-Key": seed.key, "x-ms-correlation-id": correlation}
    r = requests.post(f"{gateway_url(seed)}/orders/add", json={}, headers=headers, timeout=30)
    assert r.status_code == 401
    assert r.json() == {"statusCode": 401, "message": DENIED}
    assert r.headers["x-keyless-reason"].startswith("validate-jwt: ")
    assert "Authorization" in r.headers["x-keyless-reason"]  # where the token was looked for
    lines = [line for line in log_lines(seed, "gateway refused:") if f"correlation={correlation} " in line]
    assert len(lines) == 1, lines
    assert f"service={seed.service} api=orders operation=add status=401 reason=validate-jwt:" in lines[0]

    missing = requests.post(f"{gateway_url(seed)}/orders/add", json={}, timeout=30)
    assert missing.status_code == 401
    assert missing.json()["message"].startswith("Access denied due to missing subscription key.")
    assert "requires a subscription key" in missing.headers["x-keyless-reason"]
    assert seed.key not in "\n".join(log_lines(seed, "gateway refused:"))


@dataclass(frozen=True)
class Refused:
    name: str  # the workflow
    run_name: str
    principal: str  # its system-assigned identity, without AddRole


@pytest.fixture(scope="module")
def refused(seed: Seed) -> Refused:
    """The seed's identity without the role: a workflow run whose Http call the gateway refuses."""
    name = f"diag-norole-{uuid.uuid4().hex[:6]}"
    created = deploy(seed, name, definition(seed), ManagedServiceIdentity(type="SystemAssigned"))  # no role
    r = invoke(seed, name, {"item": "cup"})
    assert r.status_code == 502  # the run failed before its Response
    run_name = r.headers["x-ms-workflow-run-id"]
    assert finished_run(seed, name, run_name).status == "Failed"
    return Refused(name, run_name, created.identity.principal_id)


def workflow_line(seed: Seed, refused: Refused) -> str:
    lines = [line for line in log_lines(seed, "http call refused:") if f"run={refused.run_name} " in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_identity_without_the_role_run_history_says_why(seed: Seed, refused: Refused) -> None:
    name, run_name = refused.name, refused.run_name

    http = action(seed, name, run_name, "Add_order")
    assert (http.status, http.code) == ("Failed", "Unauthorized")
    message = http.error["message"]
    assert "\n" not in message
    assert message.startswith(f"The request POST https://{seed.service}.azure-api.net/orders/add returned 401")
    assert DENIED in message  # the gateway's own body message, as before
    assert "keyless:" in message
    why = message.split("keyless: ", 1)[1]
    assert why.startswith(WHY), why
    assert "eyJ" not in message  # never the token

    shown = CliRunner().invoke(
        app, ["workflow", "show", run_name, "-n", name, "--data-dir", str(seed.keyless.data_dir)]
    )
    assert shown.exit_code == 0, shown.output
    row = next(line for line in shown.output.splitlines() if line.startswith("Add_order"))
    assert "Failed" in row and "Unauthorized" in row and f"keyless: {WHY}" in row

    # One correlation id joins the workflow's and the gateway's lines of the call.
    workflow = [workflow_line(seed, refused)]
    assert f"workflow={name} " in workflow[0] and "action=Add_order " in workflow[0] and "status=401" in workflow[0]
    correlation = field(workflow[0], "correlation")
    gateway = [line for line in log_lines(seed, "gateway refused:") if f"correlation={correlation} " in line]
    assert len(gateway) == 1, gateway
    assert "api=orders operation=add status=401" in gateway[0] and WHY in gateway[0]

    # The identity service logged the token it issued for the workflow's identity: no roles in it.
    principal = refused.principal
    issued = [line for line in log_lines(seed, "managed identity token issued:") if f"principal={principal} " in line]
    assert issued, "no identity line for the workflow's principal"
    assert f"audience={seed.app_id_uri} roles=none" in issued[-1]
    for line in workflow + gateway + issued:
        assert "eyJ" not in line


def test_the_identity_line_carries_the_run_correlation(seed: Seed, refused: Refused) -> None:
    correlation = field(workflow_line(seed, refused), "correlation")
    issued = [
        line for line in log_lines(seed, "managed identity token issued:") if f"principal={refused.principal} " in line
    ]
    assert issued and field(issued[-1], "correlation") == correlation
