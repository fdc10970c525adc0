"""Conformance: PUT every real policy document of ../shared/corpus/apim through ARM and count the accepted.

Each document goes in as Azure would take it: fragments (root `<fragment>`) as policyFragments, the rest as an
API's policy (a product's when it uses `quota`, the service's for `cross-domain`: the scopes APIM allows them at),
after creating the named values, backends and fragments it refers to. A refusal must be a ValidationError naming
the unsupported policy or the upstream defect listed in corpus/apim/SOURCE.md. Accepted documents are a ratchet:
`apim_accepted.txt` may grow, never shrink (KEYLESS_UPDATE_RATCHET=1 records newly accepted ones).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, Keyless
from tests.corpus_values import named_value

CORPUS = ROOT.parent / "shared" / "corpus" / "apim"
RATCHET = Path(__file__).with_name("apim_accepted.txt")
API_VERSION = "2022-08-01"
TARGET = 100
FALLBACK_FRAGMENT = (
    '<fragment><set-header name="x-fragment" exists-action="override"><value>1</value></set-header></fragment>'
)

# Upstream defects (corpus/apim/SOURCE.md): refused with a position, as APIM itself would refuse them.
UPSTREAM_DEFECTS = {
    "Azure__api-management-policy-snippets/examples/Filter response content based on product name.policy.xml",
    "Azure__api-management-policy-snippets/examples/Call out to an HTTP endpoint and cache the response.policy.xml",
    "Azure__api-management-policy-snippets/examples/Pre-authorize requests based on HTTP method with validate-jwt"
    ".policy.xml",
    "Azure__api-management-policy-snippets/examples/Loopback request for service at same API Management service.xml",
}

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the APIM corpus is not at {CORPUS}")


def documents() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.xml"))


def arm_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", name)[:80]


@pytest.fixture(scope="module")
def service(keyless: Keyless) -> str:
    svc = f"{keyless.rg_path}/providers/Microsoft.ApiManagement/service/corpus"
    r = keyless.arm(
        "PUT",
        svc,
        API_VERSION,
        json={
            "location": keyless.e["location"],
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "corpus@example.com", "publisherName": "corpus"},
        },
    )
    assert r.status_code in (200, 201), r.text
    r = keyless.arm(
        "PUT",
        f"{svc}/apis/corpus",
        API_VERSION,
        json={
            "properties": {
                "displayName": "corpus",
                "path": "corpus",
                "protocols": ["https"],
                "serviceUrl": "https://backend.example.com",
            }
        },
    )
    assert r.status_code in (200, 201), r.text
    r = keyless.arm(
        "PUT",
        f"{svc}/products/corpus",
        API_VERSION,
        json={"properties": {"displayName": "corpus", "subscriptionRequired": True, "state": "published"}},
    )
    assert r.status_code in (200, 201), r.text
    return svc


def prepare(keyless: Keyless, svc: str, text: str) -> None:
    """Create what the document refers to: named values, backends, fragments."""
    # Only names APIM allows for named values; Liquid's `{{ body.x }}` / `{{context...}}` are not references.
    names = set(re.findall(r"\{\{([A-Za-z0-9._-]+)\}\}", text)) - {
        n for n in re.findall(r"\{\{([\w.]+)", text) if n.startswith(("body.", "context."))
    }
    for name in sorted(names):
        r = keyless.arm(
            "PUT",
            f"{svc}/namedValues/{arm_name(name)}",
            API_VERSION,
            json={"properties": {"displayName": name, "value": named_value(name), "secret": False}},
        )
        assert r.status_code in (200, 201), f"named value {name}: {r.text}"
    for backend in sorted(set(re.findall(r'backend-id="([^"@]+)"', text))):
        r = keyless.arm(
            "PUT",
            f"{svc}/backends/{backend}",
            API_VERSION,
            json={"properties": {"url": "https://backend.example.com", "protocol": "http"}},
        )
        assert r.status_code in (200, 201), f"backend {backend}: {r.text}"
    for fragment in sorted(set(re.findall(r'fragment-id="([^"@]+)"', text))):
        own = [p for p in documents() if p.stem == fragment or p.parent.name == fragment]
        body = own[0].read_text() if own else FALLBACK_FRAGMENT
        prepare(keyless, svc, body)
        keyless.arm(
            "PUT",
            f"{svc}/policyFragments/{fragment}",
            API_VERSION,
            json={"properties": {"format": "rawxml", "value": body}},
        )


def put_document(keyless: Keyless, svc: str, path: Path) -> tuple[bool, str]:
    text = path.read_text()
    prepare(keyless, svc, text)
    if re.match(r"\s*(<!--.*?-->\s*)*<fragment", text, re.DOTALL):
        target = f"{svc}/policyFragments/{arm_name(path.stem)}"
    elif "<cross-domain" in text:
        target = f"{svc}/policies/policy"  # APIM allows cross-domain at the global (service) scope only
    elif "<quota " in text or "<quota>" in text:
        target = f"{svc}/products/corpus/policies/policy"
    else:
        target = f"{svc}/apis/corpus/policies/policy"
    r = keyless.arm("PUT", target, API_VERSION, json={"properties": {"format": "rawxml", "value": text}})
    if r.status_code in (200, 201):
        return True, ""
    return False, f"{r.status_code} {r.text[:400]}"


def test_corpus_policies_are_accepted(keyless: Keyless, service: str) -> None:
    accepted: list[str] = []
    refused: dict[str, str] = {}
    for path in documents():
        rel = str(path.relative_to(CORPUS))
        ok, why = put_document(keyless, service, path)
        if ok:
            accepted.append(rel)
        else:
            refused[rel] = why
    print(f"\nAPIM corpus: {len(accepted)} of {len(accepted) + len(refused)} policy documents accepted")
    for rel, why in sorted(refused.items()):
        print(f"  refused {rel}: {why}")
    for rel, why in refused.items():
        if rel in UPSTREAM_DEFECTS:
            continue
        assert "ValidationError" in why, f"{rel} refused without a ValidationError: {why}"
    before = set(RATCHET.read_text().split("\n")) - {""} if RATCHET.exists() else set()
    lost = sorted(before - set(accepted))
    assert not lost, f"documents accepted before are refused now: {lost}"
    if set(accepted) - before and os.environ.get("KEYLESS_UPDATE_RATCHET"):
        RATCHET.write_text("\n".join(sorted(accepted)) + "\n")
    assert len(accepted) >= TARGET, f"only {len(accepted)} accepted; the target is {TARGET}"
