"""Every occurrence of a traffic, cache or call-out policy in the real corpus (../shared/corpus/apim)
compiles with these policies' own `compile`; with the real compiler present, whole documents compile too."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.corpus_values import named_value

from keyless.gateway.element import Element
from keyless.gateway.policies import (
    cache_lookup_value,
    cache_remove_value,
    cache_store_value,
    limit_concurrency,
    quota,
    quota_by_key,
    rate_limit,
    rate_limit_by_key,
    retry,
    send_one_way_request,
    send_request,
)

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import CompileError, Const, Ctx, Steps

CORPUS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpus" / "apim"
MINE = {
    spec.name: spec
    for spec in (
        rate_limit.SPEC,
        rate_limit_by_key.SPEC,
        quota.SPEC,
        quota_by_key.SPEC,
        send_request.SPEC,
        send_one_way_request.SPEC,
        retry.SPEC,
        cache_lookup_value.SPEC,
        cache_store_value.SPEC,
        cache_remove_value.SPEC,
        limit_concurrency.SPEC,
    )
}
NAMED_VALUE = re.compile(r"\{\{([^{}]+)\}\}")

pytestmark = pytest.mark.skipif(not (CORPUS / "INDEX.tsv").exists(), reason=f"corpus not found at {CORPUS}")


class AnyExpression:
    """Stands for a compiled expression: compile tests only check that the policy takes it."""

    is_constant = False

    def get(self, state: Any) -> Any:
        raise AssertionError("not evaluated in compile tests")


class CorpusCtx(Ctx):
    """Compiles these policies wherever they are nested; other policies' children are theirs to check."""

    def value(self, element: Element, raw: str | None, **kwargs: Any) -> Any:
        if raw is not None and raw.strip().startswith("@"):
            return AnyExpression()
        return Const(kwargs.get("default") if raw is None else raw)

    def children(self, element: Element) -> Steps:
        return Steps([(MINE[c.name], MINE[c.name].compile(c, self)) for c in element.children if c.name in MINE])


def corpus_documents() -> list[tuple[str, str]]:
    if not (CORPUS / "INDEX.tsv").exists():
        return []
    rows = [line.split("\t") for line in (CORPUS / "INDEX.tsv").read_text().splitlines()[1:]]
    return [(row[0], row[4]) for row in rows if len(row) >= 5 and set(row[4].split()) & MINE.keys()]


def parse(path: str) -> Element:
    from keyless.gateway.policy_xml import parse_document

    raw = (CORPUS / path).read_text(encoding="utf-8-sig")
    return parse_document(NAMED_VALUE.sub("1", raw))  # every named value defined (as "1", valid anywhere)


def occurrences(element: Element) -> Iterator[Element]:
    for child in element.children:
        if child.name in MINE:
            yield child
        else:
            yield from occurrences(child)


DOCUMENTS = corpus_documents()
# Upstream defects these policies rightly refuse: file name -> (policy, the attribute the refusal names).
REFUSED = {
    # duration="{{cachetime}]": a mistyped named value, so not an integer (APIM refuses it the same way)
    "Get OAuth2 access token from AAD using client id and certificate using key vault manage identity.xml": (
        "cache-store-value",
        "duration",
    ),
}


@pytest.mark.parametrize(("path", "policies"), DOCUMENTS, ids=[p.rsplit("/", 1)[-1] for p, _ in DOCUMENTS])
def test_corpus_occurrences_compile(path: str, policies: str) -> None:
    try:
        root = parse(path)
    except Exception as error:  # the corpus's known upstream defects (SOURCE.md) do not parse at all
        pytest.skip(f"upstream defect, not parseable: {error}")
    found = list(occurrences(root))
    assert found, f"INDEX.tsv lists {policies} but none was found"
    refused = REFUSED.get(path.rsplit("/", 1)[-1])
    for element in found:
        if refused and element.name == refused[0] and "{{" in element.attrs.get(refused[1], ""):
            with pytest.raises(CompileError) as caught:
                MINE[element.name].compile(element, CorpusCtx(scope="product"))
            assert caught.value.attribute == refused[1]
            continue
        MINE[element.name].compile(element, CorpusCtx(scope="product"))


def test_the_corpus_has_these_policies() -> None:
    names = {name for _, policies in DOCUMENTS for name in policies.split()}
    assert {"send-request", "cache-lookup-value", "cache-store-value", "retry", "rate-limit"} <= names


# The toolkit's one-document-per-policy TestData for these policies: nothing else in them but <base/>.
OWN_DOCUMENTS = [
    f"Azure__azure-api-management-policy-toolkit/test/Test.Decompiling/TestData/{name}.xml"
    for name in (
        "cache-lookup-value",
        "cache-store-value",
        "cache-remove-value",
        "limit-concurrency",
        "quota",
        "quota-by-key",
    )
]
EXPRESSION_ENGINE = ("Error in the policy expression", "The policy expression is not closed")


def _compile_whole(path: str) -> None:
    from keyless.gateway.compiler import compile_document

    raw = (CORPUS / path).read_text(encoding="utf-8-sig")
    named = {name: named_value(name) for name in NAMED_VALUE.findall(raw)}
    scope = "product" if re.search(r"<quota[\s/>]", raw) else "api"  # quota is a product-scope policy
    compile_document(raw, scope=scope, named_values=named)


@pytest.mark.parametrize("path", OWN_DOCUMENTS, ids=[p.rsplit("/", 1)[-1] for p in OWN_DOCUMENTS])
def test_toolkit_documents_compile_with_keylesss_compiler(path: str) -> None:
    _compile_whole(path)


@pytest.mark.parametrize(("path", "policies"), DOCUMENTS, ids=[p.rsplit("/", 1)[-1] for p, _ in DOCUMENTS])
def test_no_corpus_document_is_refused_because_of_these_policies(path: str, policies: str) -> None:
    from keyless.gateway.policy_xml import ValidationError

    if not path.rsplit("/", 1)[-1].endswith(".xml") or "<fragment" in (CORPUS / path).read_text()[:200]:
        pytest.skip("a fragment, not a policy document")
    try:
        _compile_whole(path)
    except ValidationError as error:
        if error.element in MINE and not error.message.startswith(EXPRESSION_ENGINE):
            refused = REFUSED.get(path.rsplit("/", 1)[-1])
            assert refused is not None and refused[0] == error.element, f"{path}: {error}"
