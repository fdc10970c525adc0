"""`keyless apim import` with the APIOps SampleArtifacts extractor folder (../shared/corpus)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from azure.mgmt.apimanagement import ApiManagementClient
from tests.conftest import ROOT, Keyless

SAMPLE = ROOT.parent / "shared" / "corpus" / "apim" / "Azure__apiops" / "SampleArtifacts"
HEX32 = re.compile(r"^[0-9a-f]{32}$")

pytestmark = pytest.mark.skipif(not SAMPLE.is_dir(), reason=f"the APIOps corpus is not at {SAMPLE}")


def run_import(keyless: Keyless, folder: Path, service: str, *extra: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keyless.cli.main",
            "apim",
            "import",
            str(folder),
            "--service",
            service,
            "--data-dir",
            str(keyless.data_dir),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture(scope="module")
def imported(keyless: Keyless) -> tuple[str, dict[str, Any]]:
    service = f"apiops-{uuid.uuid4().hex[:6]}"
    code, out, err = run_import(keyless, SAMPLE, service, "--output", "json")
    assert code == 0, out + err
    return service, json.loads(out)


def test_everything_in_the_sample_is_imported(imported: tuple[str, dict[str, Any]]) -> None:
    _, summary = imported
    assert summary["failed"] == []
    assert summary["imported"] == {
        "named value": 4,
        "backend": 2,
        "version set": 1,
        "policy fragment": 2,
        "service policy": 1,
        "api": 8,
        "api policy": 2,
        "operation policy": 4,
        "product": 2,
        "product policy": 2,
        "product api": 7,
        "subscription": 2,
    }
    skipped = "\n".join(summary["skipped"])
    for kind in (
        "tags/tag1",
        "loggers/azuremonitor",
        "diagnostics/azuremonitor",
        "apis/basic-api/diagnostics",
        "specification.graphql",
        "specification.wadl",
        "apis/soap-api: a soap API",
        "apis/graphql-api: a graphql API",
    ):
        assert kind in skipped
    # version sets are imported and routed, not skipped
    assert "version sets" not in skipped


def test_the_imported_service_answers_through_the_sdk(
    keyless: Keyless, apim: ApiManagementClient, imported: tuple[str, dict[str, Any]]
) -> None:
    service, summary = imported
    rg = keyless.e["resource_group"]
    apis = {a.name for a in apim.api.list_by_service(rg, service)}
    assert {"basic-api", "revisioned-api", "revisioned-api;rev=2", "versioned-api-v1", "soap-api"} <= apis
    assert {o.name for o in apim.api_operation.list_by_api(rg, service, "basic-api")} == {"get-items", "create-item"}
    fragment = (SAMPLE / "policy fragments" / "policyFragment1" / "policy.xml").read_text()
    assert apim.policy_fragment.get(rg, service, "policyFragment1").value == fragment
    assert apim.policy.get(rg, service, "policy").value == (SAMPLE / "policy.xml").read_text()
    assert {a.name for a in apim.product_api.list_by_product(rg, service, "product1")} == {
        "basic-api",
        "revisioned-api",
        "versioned-api-v1",
    }
    subs = {s["name"]: s for s in summary["subscriptions"]}
    assert subs["subscription1"]["scope"] == "/products/product1"
    assert subs["subscription2"]["scope"] == "/apis/basic-api"
    for sub in subs.values():
        assert sub["state"] == "active"
        assert HEX32.match(sub["primaryKey"]) and HEX32.match(sub["secondaryKey"])
        assert apim.subscription.list_secrets(rg, service, sub["name"]).primary_key == sub["primaryKey"]


def test_a_second_import_keeps_keys_and_prints_a_table(keyless: Keyless, imported: tuple[str, dict[str, Any]]) -> None:
    service, summary = imported
    code, out, err = run_import(keyless, SAMPLE, service)
    assert code == 0, out + err
    assert "subscription1" in out and summary["subscriptions"][0]["primaryKey"] in out
    assert "skipped:" in out and "loggers/azuremonitor" in out


def test_a_refused_policy_is_named_and_the_exit_code_says_so(keyless: Keyless, tmp_path: Path) -> None:
    (tmp_path / "policy.xml").write_text(
        "<policies><inbound><emit-nonsense /></inbound><backend /><outbound /><on-error /></policies>"
    )
    code, out, _ = run_import(keyless, tmp_path, f"apiops-{uuid.uuid4().hex[:6]}", "--output", "json")
    assert code == 1
    failed = json.loads(out)["failed"]
    assert failed[0]["path"] == "/policies/policy" and "emit-nonsense" in failed[0]["error"]


def test_a_missing_folder_or_keyless_is_an_error(keyless: Keyless, tmp_path: Path) -> None:
    code, _, err = run_import(keyless, tmp_path / "nope", "x")
    assert code == 2 and "is not a folder" in err
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keyless.cli.main",
            "apim",
            "import",
            str(SAMPLE),
            "--service",
            "x",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "endpoints.json" in proc.stderr
