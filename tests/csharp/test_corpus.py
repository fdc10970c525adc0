"""Every expression in the real policy corpus compiles, except the documented upstream defects (a ratchet)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from keyless.csharp import CSharpSyntaxError, ExpressionRuntimeError, compile_expression
from keyless.csharp.members import canonical_name
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


# `(T)context.Variables["x"]`, `GetValueOrDefault<T>("x")`, `(T)...GetValueOrDefault("x")`, `Variables["x"] as T`
_VARIABLE_TYPES = [
    re.compile(r'\(\s*([\w.]+)\s*\)\s*context\.Variables\s*\[\s*"([^"]+)"\s*\]'),
    re.compile(r'context\.Variables\.GetValueOrDefault<([\w.]+)>\(\s*"([^"]+)"'),
    re.compile(r'\(\s*([\w.]+)\s*\)\s*context\.Variables\.GetValueOrDefault\(\s*"([^"]+)"'),
]
_AS_TYPE = re.compile(r'context\.Variables\s*\[\s*"([^"]+)"\s*\]\s+as\s+([\w.]+)')
_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIiwibm9uY2UiOiJuIiwiYXVkIjoiYXBpIiwiZXhwIjo0MTAyNDQ0ODAwfQ."
    "c2lnbmF0dXJl"
)
# A string variable's value is unknowable; the sweep tries a few shapes (base64, Guid, number, URL, dotted, JWT).
_STRINGS = (
    "dmFsdWU=", "5b1f2c4e-8a3d-4b6f-9c2e-1d0a7e6f5c4b", "1", "https://contoso.example/oauth/callback", "a.1.3", _JWT,
)  # fmt: skip
_XML = "<a><conditionValue>1</conditionValue><value1>2</value1><value3>3</value3></a>"
# members the corpus reads from token responses, Event Grid events and aggregated responses
_JSON = json.dumps({
    "a": 1, "access_token": "dG9rZW4=", "id_token": _JWT, "refresh_token": "cmVmcmVzaA==", "expires_in": 3600,
    "id": "1",
    "value": [{"a": 1}], "status": 200, "reason": "OK", "body": {"a": 1}, "subject": "s", "topic": "t",
    "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent", "eventTime": "2024-01-02T03:04:05Z",
    "dataVersion": "1", "metadataVersion": "1", "data": {"validationCode": "c"},
})  # fmt: skip


def _variable_types(text: str) -> dict[str, str]:
    found = {m.group(2): m.group(1) for p in _VARIABLE_TYPES for m in p.finditer(text)}
    found.update({m.group(1): m.group(2) for m in _AS_TYPE.finditer(text)})
    return found


def _sweep_contexts(text: str) -> Iterator[Any]:
    """The original fake (every variable a string), then contexts whose variables have the types the expression
    casts them to, with a product, subscription and user, for each string shape."""
    from keyless.csharp.dotnet import parse_token
    from keyless.csharp.dotnet.jwt import parse_jwt
    from tests.csharp.fake_context import Context, Product, Request, Response, Subscription, User, Variables

    class AnyVariable(Variables):
        def __init__(self, values: dict[str, Any], default: Any) -> None:
            super().__init__(values)
            self.default = default

        def __getitem__(self, name: str) -> object:
            return self._d.get(name, self.default)

        def ContainsKey(self, name: str) -> bool:
            return True

    ctx = Context(request=Request("POST", {"Authorization": ["Bearer x"]}, body='{"a": 1}'))
    ctx.Variables = AnyVariable({"sendRequestResponse": Response(200, _XML)}, "dmFsdWU=")
    yield ctx
    types = _variable_types(text)
    for shape in _STRINGS:
        values: dict[str, Any] = {}
        for name, tname in types.items():
            tname = canonical_name(tname)
            if tname in ("int", "long", "short"):
                values[name] = 1
            elif tname == "bool":
                values[name] = True
            elif tname in ("JObject", "JToken", "JArray"):
                values[name] = parse_token("[" + _JSON + "]" if tname == "JArray" else _JSON)
            elif tname == "IResponse":
                values[name] = Response(200, _XML if shape == _STRINGS[0] else _JSON)
            elif tname == "Jwt":
                values[name] = parse_jwt(_JWT)
            else:
                values[name] = shape
        headers = {"Authorization": [f"Bearer {_JWT}"], "Content-Type": ["application/json"], "cookie": ["a=b"]}
        ctx = Context(request=Request("POST", headers, body=_JSON))
        ctx.Variables = AnyVariable(values, shape)
        ctx.Product, ctx.Subscription, ctx.User = Product(), Subscription(), User()
        yield ctx


# The ratchet: corpus expressions that evaluate to a value against one of the sweep's fake contexts.
MIN_EVALUATED = 426


def test_every_corpus_expression_evaluates_without_an_internal_failure(expressions: list[tuple[str, str]]) -> None:
    """Against a fake context, an expression may fail as .NET would (a missing variable, a bad cast) but never
    because keyless itself broke (a Python error surfaces as "keyless could not evaluate")."""
    internal, failed, evaluated = [], [], 0
    for path, text in expressions:
        try:
            expr = compile_expression(substitute(text))
        except CSharpSyntaxError:
            continue
        error = None
        for ctx in _sweep_contexts(text):
            try:
                expr.evaluate(ctx)
            except ExpressionRuntimeError as exc:
                if "keyless could not evaluate" in str(exc):
                    internal.append((path, str(exc)))
                error = str(exc).splitlines()[0]  # the best-typed context's is the telling one
                continue
            evaluated += 1
            break
        else:
            failed.append((path, error))
    print(f"\n{evaluated} corpus expressions evaluate to a value against the fake contexts")
    for path, error in failed:
        print(f"  {path}: {error}")
    assert internal == []
    assert evaluated >= MIN_EVALUATED
