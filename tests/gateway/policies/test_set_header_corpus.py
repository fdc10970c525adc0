"""Corpus: every real document that uses only the transform policies (and the structural ones) compiles.

Read from ../shared/corpus/apim at run time (skipped when absent). Named values a document refers to are
defined with a value of the kind the name suggests. A refusal by the expression compiler is reported as an
expected failure naming the expression (that package is tested on its own); any other refusal fails.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from keyless.gateway.compiler import compile_document
from keyless.gateway.policy_xml import ValidationError

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpus" / "apim"
TRANSFORM = {
    "set-header", "set-query-parameter", "set-method", "set-status", "set-body", "rewrite-uri",
    "set-backend-service", "mock-response", "find-and-replace", "json-to-xml", "xml-to-json", "trace",
}  # fmt: skip
STRUCTURAL = {"base", "choose", "when", "otherwise", "return-response", "set-variable"}
# Refused on purpose, each checked to be refused for its reason: Service Fabric attributes keyless does not
# support, and an upstream defect listed in corpus/apim/SOURCE.md (a comment that is never closed).
REFUSED = {
    "Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/set-backend-service.xml": "sf-",
    "Azure__api-management-policy-snippets/examples/Filter response content based on product name.policy.xml": (
        "not well-formed"
    ),
}


def documents() -> list[str]:
    index = CORPUS / "INDEX.tsv"
    if not index.is_file():
        return []
    with index.open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [
        r["path"]
        for r in rows
        if r["root"] == "policies"
        and (used := set(r["policies_used"].split())) & TRANSFORM
        and used <= TRANSFORM | STRUCTURAL
    ]


def named_value(name: str) -> str:
    """A value of the kind the name suggests, so expressions that embed it still compile."""
    low = name.lower()
    if any(w in low for w in ("weight", "timeout", "seconds", "count", "limit")):
        return "60"
    if any(w in low for w in ("url", "host", "endpoint")):
        return "https://backend.example.com"
    if "path" in low:
        return "/alternate/path?x=1"
    return re.sub(r"[^A-Za-z0-9]", "-", name)


pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the APIM corpus is not at {CORPUS}")


def test_the_corpus_has_documents_for_these_policies() -> None:
    assert len(documents()) >= 10


@pytest.mark.parametrize("path", documents(), ids=lambda p: Path(p).name)
def test_document_compiles(path: str) -> None:
    text = (CORPUS / path).read_text(encoding="utf-8")
    names = {m.strip() for m in re.findall(r"\{\{([^{}]+)\}\}", text)}
    try:
        doc = compile_document(text, scope="api", named_values={n: named_value(n) for n in names})
    except ValidationError as exc:
        if path in REFUSED:
            assert REFUSED[path] in str(exc)
            return
        if str(exc).startswith("Error in the policy expression"):
            pytest.xfail(f"expression compiler: {exc}")
        raise
    assert path not in REFUSED, "expected a refusal"
    assert any(doc.sections.values())
