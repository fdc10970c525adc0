"""Every expression in the real policy corpus compiles, except the documented upstream defects (a ratchet)."""

from __future__ import annotations

import pytest

from keyless.csharp import CSharpSyntaxError, ExpressionRuntimeError, compile_expression
from tests.csharp.corpus_scan import CORPUS, corpus_expressions, substitute

# corpus/apim/SOURCE.md: string literals mangled upstream into `"patch="""`-like forms.
UPSTREAM_DEFECTS = {
    "Azure__api-management-policy-snippets/examples/Call out to an HTTP endpoint and cache the response.policy.xml",
    "Azure__api-management-policy-snippets/examples/Pre-authorize requests based on HTTP method with validate-jwt.policy.xml",  # noqa: E501
    "Azure__api-management-policy-snippets/examples/Loopback request for service at same API Management service.xml",
}
# The ratchet: what compiles must keep compiling.
MIN_COMPILED = 463


@pytest.fixture(scope="module")
def expressions() -> list[tuple[str, str]]:
    if not CORPUS.is_dir():
        pytest.skip(f"policy corpus not present at {CORPUS}")
    return corpus_expressions()


def test_every_corpus_expression_compiles_but_the_upstream_defects(expressions: list[tuple[str, str]]) -> None:
    failures = []
    for path, text in expressions:
        try:
            compile_expression(substitute(text))
        except CSharpSyntaxError as exc:
            failures.append((path, exc))
    compiled = len(expressions) - len(failures)
    print(f"\n{compiled}/{len(expressions)} corpus expressions compile")
    for path, exc in failures:
        print(f"  {path}: {exc.message} (line {exc.line}, column {exc.column})")
    assert [p for p, _ in failures if p not in UPSTREAM_DEFECTS] == []
    assert compiled >= MIN_COMPILED


def test_the_corpus_has_the_expressions_the_reference_counts(expressions: list[tuple[str, str]]) -> None:
    blocks = [e for _, e in expressions if e.startswith("@{")]
    assert len(expressions) > 400
    assert len(blocks) > 40


def test_upstream_defects_fail_with_a_position(expressions: list[tuple[str, str]]) -> None:
    defective = [e for p, e in expressions if p in UPSTREAM_DEFECTS and '="""' in e]
    assert defective
    with pytest.raises(CSharpSyntaxError) as info:
        compile_expression(defective[0])
    assert info.value.line >= 1 and info.value.column > 1


def test_every_corpus_expression_evaluates_without_an_internal_failure(expressions: list[tuple[str, str]]) -> None:
    """Against a fake context, an expression may fail as .NET would (a missing variable, a bad cast) but never
    because keyless itself broke (a Python error surfaces as "keyless could not evaluate")."""
    from tests.csharp.fake_context import Context, Request, Response, Variables

    class AnyVariable(Variables):
        def __getitem__(self, name: str) -> object:
            return self._d.get(name, "dmFsdWU=")

        def ContainsKey(self, name: str) -> bool:
            return True

    xml = "<a><conditionValue>1</conditionValue><value1>2</value1><value3>3</value3></a>"
    internal, evaluated = [], 0
    for path, text in expressions:
        try:
            expr = compile_expression(substitute(text))
        except CSharpSyntaxError:
            continue
        ctx = Context(request=Request("POST", {"Authorization": ["Bearer x"]}, body='{"a": 1}'))
        ctx.Variables = AnyVariable({"sendRequestResponse": Response(200, xml)})
        try:
            expr.evaluate(ctx)
            evaluated += 1
        except ExpressionRuntimeError as exc:
            if "keyless could not evaluate" in str(exc):
                internal.append((path, str(exc)))
    print(f"\n{evaluated} corpus expressions evaluate to a value against the fake context")
    assert internal == []
    assert evaluated >= 300
