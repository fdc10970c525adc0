"""The compiler: document checks, refusals that name what is wrong, fragments, `<base/>` splicing, stamping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from keyless.gateway.compiler import (
    BASE,
    CompiledDocument,
    Step,
    ValidationError,
    compile_document,
    compile_fragment,
    effective,
)
from keyless.gateway.element import Element
from keyless.gateway.policy import PolicySpec
from keyless.gateway.registry import AZURE_POLICIES, PolicyContractError, PolicyRegistry, default_registry

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "apim"


async def _noop(config: Any, state: Any) -> None:
    return None


def _compile_mark(element: Element, ctx: Any) -> str:
    return element.attrs["v"]


MARK = PolicySpec("x-mark", frozenset({"inbound", "backend", "outbound", "on-error"}), _compile_mark, _noop)
ONCE = PolicySpec("x-once", frozenset({"inbound"}), _compile_mark, _noop, scopes=frozenset({"product"}), once=True)
REGISTRY = default_registry().with_specs(MARK, ONCE)


def doc(scope: str, **sections: str) -> CompiledDocument:
    body = "".join(
        f"<{name.replace('_', '-')}>{content}</{name.replace('_', '-')}>" for name, content in sections.items()
    )
    return compile_document(f"<policies>{body}</policies>", scope=scope, registry=REGISTRY)


def marks(steps: Any) -> list[str]:
    return [s.config for s in steps.steps]


def refusal(raw: str, scope: str = "api", **kw: Any) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        compile_document(raw, scope=scope, registry=REGISTRY, **kw)
    return err.value


def test_splicing_follows_base_positions_narrowest_first() -> None:
    glob = doc("global", inbound='<x-mark v="g"/>', backend='<x-mark v="gb"/>', on_error='<x-mark v="ge"/>')
    product = doc("product", inbound='<x-mark v="p1"/><base/><x-mark v="p2"/>')
    api = doc("api", inbound='<base/><x-mark v="a"/>', backend="", outbound='<x-mark v="ao"/>')
    operation = doc("operation", inbound='<x-mark v="o"/><base/>', outbound="<base/><x-mark v='oo'/>")
    plan = effective(glob, product, api, operation)
    assert marks(plan.inbound) == ["o", "p1", "g", "p2", "a"]
    assert marks(plan.backend) == []  # the API's backend section has no <base/>: the global forward is dropped
    assert marks(plan.outbound) == ["ao", "oo"]
    assert marks(plan.on_error) == ["ge"]  # sections a document lacks are inherited whole [INF]
    assert marks(effective(glob, None, api, operation).inbound) == ["o", "g", "a"]


def test_steps_are_stamped_with_scope_section_path_and_id() -> None:
    api = doc("api", inbound='<x-mark v="1"/><choose><when condition="true"><x-mark id="deep" v="2"/></when></choose>')
    step = api.sections["inbound"][1]
    assert isinstance(step, Step) and step.path == "choose[1]"
    inner = step.config.branches[0][1].steps[0]
    assert (inner.scope, inner.section, inner.path, inner.policy_id) == (
        "api",
        "inbound",
        "choose[1]\\when[1]\\x-mark[1]",
        "deep",
    )
    assert inner.config == "2"  # the policy never saw `id`


@pytest.mark.parametrize(
    ("raw", "fragment", "element"),
    [
        ("<policy><inbound/></policy>", "root element must be <policies>", "policy"),
        ("<policies><inbound/><inbound/></policies>", "appears more than once", "inbound"),
        ("<policies><pre/></policies>", "is not a section", "pre"),
        ("<policies><inbound a='1'/></policies>", "takes no attributes", "inbound"),
        ("<policies><inbound>text</inbound></policies>", "Unexpected text", "inbound"),
        ("<policies><inbound><base/><base/></inbound></policies>", "only once", "base"),
        ("<policies><inbound><frobnicate/></inbound></policies>", "'frobnicate' is not a known policy", "frobnicate"),
        (
            "<policies><inbound><xsl-transform/></inbound></policies>",
            "does not support the APIM policy 'xsl-transform'",
            None,
        ),
        ("<policies><inbound><forward-request/></inbound></policies>", "not allowed in the 'inbound' section", None),
        ("<policies><inbound><x-once v='1'/></inbound></policies>", "not allowed at the api scope", "x-once"),
        (
            "<policies><backend><forward-request/><forward-request/></backend></policies>",
            "only once in the 'backend' section",
            "forward-request",
        ),
        (
            "<policies><inbound><choose><when condition='true'><base/></when></choose></inbound></policies>",
            "<base/>",
            "base",
        ),
        (
            "<policies><inbound><include-fragment fragment-id='nope'/></inbound></policies>",
            "'nope' does not exist",
            None,
        ),
        ("<policies><inbound><set-variable name='a' value='{{undefined}}'/></inbound></policies>", "'undefined'", None),
    ],
)
def test_refusals_name_the_problem_and_its_position(raw: str, fragment: str, element: str | None) -> None:
    err = refusal(raw)
    assert fragment in err.message
    assert err.line == 1 and err.column > 0
    if element is not None:
        assert err.element == element


def test_expression_errors_point_into_the_document() -> None:
    raw = '<policies>\n<inbound>\n  <set-variable name="a" value="@(1 +)" />\n</inbound></policies>'
    err = refusal(raw)
    assert "attribute 'value' of <set-variable>" in err.message
    assert err.line == 3 and err.column >= 32


def test_expressions_are_refused_where_apim_allows_none() -> None:
    err = refusal('<policies><inbound><set-variable name="@(1)" value="x"/></inbound></policies>')
    assert "not allowed in attribute 'name'" in err.message


def test_named_values_are_recorded_and_may_hold_expressions() -> None:
    compiled = compile_document(
        '<policies><inbound><set-variable name="a" value="{{Expr}}"/></inbound></policies>',
        scope="api",
        named_values={"expr": '@("x" + "y")'},
    )
    assert compiled.named_values == {"expr"}
    step = compiled.sections["inbound"][0]
    assert not step.config.value.is_constant


def test_fragments_inline_where_included_and_are_checked_there() -> None:
    fragment = compile_fragment('<fragment><x-mark v="f1"/><x-mark v="f2"/></fragment>', registry=REGISTRY)
    api = compile_document(
        '<policies><inbound><x-mark v="a"/><include-fragment fragment-id="frag"/></inbound></policies>',
        scope="api",
        fragments={"frag": fragment},
        registry=REGISTRY,
    )
    assert api.fragments == {"frag"}
    include = api.sections["inbound"][1]
    assert [s.config for s in include.config.steps] == ["f1", "f2"]
    assert include.config.steps[1].path == "include-fragment[1]\\x-mark[2]"
    forward = compile_fragment("<fragment><forward-request/></fragment>")
    err = refusal(
        "<policies><inbound><include-fragment fragment-id='f'/></inbound></policies>", fragments={"f": forward}
    )
    assert "not allowed in the 'inbound' section" in err.message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("<policies/>", "root element of a policy fragment must be <fragment>"),
        ("<fragment><inbound/></fragment>", "cannot contain the <inbound> section"),
        ("<fragment><base/></fragment>", "not allowed in a policy fragment"),
        ("<fragment><include-fragment fragment-id='x'/></fragment>", "cannot include another fragment"),
        ("<fragment><rate-limit-by-keys/></fragment>", "is not a known policy"),
    ],
)
def test_fragment_refusals(raw: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        compile_fragment(raw, registry=REGISTRY)
    assert fragment in err.value.message


def test_registry_checks_the_contract() -> None:
    with pytest.raises(PolicyContractError):
        PolicyRegistry([PolicySpec("x", frozenset({"middle"}), _compile_mark, _noop)])
    with pytest.raises(PolicyContractError):
        PolicyRegistry([PolicySpec("x", frozenset({"inbound"}), _compile_mark, _compile_mark)])  # type: ignore[arg-type]
    with pytest.raises(PolicyContractError):
        PolicyRegistry([MARK, MARK])
    shipped = default_registry().names()
    assert {"forward-request", "return-response", "set-variable", "choose", "include-fragment"} <= shipped
    assert shipped <= AZURE_POLICIES  # every shipped policy is a real APIM policy


def test_document_sections_keep_base_markers() -> None:
    api = doc("api", inbound="<base/>")
    assert api.sections["inbound"] == (BASE,) and api.sections["backend"] is None


def _sample_value(name: str) -> str:
    """A plausible value for a named value the corpus references (URLs, Base64 keys, plain text)."""
    lowered = name.lower()
    if any(w in lowered for w in ("url", "adress", "address", "server", "endpoint")):
        return "https://example.com"
    if any(w in lowered for w in ("key", "secret")):
        return "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
    return "1"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
def test_corpus_compiles_with_its_named_values_and_fragments() -> None:
    """Compile every corpus document with the named values and fragments it names; report and ratchet the count."""
    import csv

    rows = list(csv.DictReader((CORPUS / "INDEX.tsv").open(), delimiter="\t"))
    texts = {r["path"]: (CORPUS / r["path"]).read_text(encoding="utf-8-sig") for r in rows}
    names = {m for t in texts.values() for m in re.findall(r"\{\{\s*([A-Za-z0-9._-]+)\s*\}\}", t)}
    named_values = {n: _sample_value(n) for n in names}
    fragments: dict[str, Any] = {}
    for path, text in texts.items():
        if any(r["path"] == path and r["root"] == "fragment" for r in rows):
            try:
                fragments[Path(path).parent.name] = compile_fragment(text, named_values=named_values)
                fragments[Path(path).stem.replace(".policy", "")] = fragments[Path(path).parent.name]
            except ValidationError:
                pass
    accepted, refusals = 0, []
    for row in rows:
        text = texts[row["path"]]
        try:
            if row["root"] == "fragment":
                compile_fragment(text, named_values=named_values)
            else:
                ids = re.findall(r'fragment-id="([^"]+)"', text)
                frags = {i: fragments.get(i) or compile_fragment("<fragment/>") for i in ids}
                compile_document(text, scope="product", named_values=named_values, fragments=frags)
            accepted += 1
        except ValidationError as exc:
            refusals.append(f"{row['path']}: {exc}")
    print(f"\ncorpus: {accepted}/{len(rows)} documents compile")
    for line in refusals:
        print("  refused", line)
    assert accepted >= 79  # ratchet: raise as the expression engine and policies grow
    assert all(("policy" in r or "expression" in r or "well-formed" in r or "not closed" in r) for r in refusals)
