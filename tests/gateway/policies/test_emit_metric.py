"""emit-metric and the token-metric policies: every attribute and child checked at compile time, refusals naming
them; the metrics store; usage parsing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keyless.gateway.http_types import GatewayResponse, Headers
from keyless.gateway.metrics import MAX_SERIES, MetricsStore
from keyless.gateway.policies import azure_openai_emit_token_metric, emit_metric, llm_emit_token_metric

sys.path.insert(0, str(Path(__file__).parent))
from _traffic_doubles import Clock, CompileError, Ctx, State, el, run_policy

EM = emit_metric.SPEC


def dim(name: str, value: str | None = None) -> object:
    return el("dimension", {"name": name} if value is None else {"name": name, "value": value})


def test_spec_facts() -> None:
    assert EM.sections == {"inbound", "backend", "outbound", "on-error"}
    for spec in (azure_openai_emit_token_metric.SPEC, llm_emit_token_metric.SPEC):
        assert spec.sections == {"inbound"}


def test_defaults() -> None:
    cfg = EM.compile(el("emit-metric", {"name": "m"}, dim("API ID")), Ctx())
    assert (cfg.name, cfg.namespace, cfg.value.get(None)) == ("m", "API Management", "1")
    assert cfg.dimensions[0].default == "API ID" and cfg.dimensions[0].value is None


@pytest.mark.parametrize(
    ("attrs", "children", "named"),
    [
        ({}, [dim("API ID")], "name"),
        ({"name": '@("m")'}, [dim("API ID")], "name"),
        ({"name": "m", "namespace": '@("n")'}, [dim("API ID")], "namespace"),
        ({"name": "m", "namespace": " "}, [dim("API ID")], "namespace"),
        ({"name": "m", "value": "ten"}, [dim("API ID")], "value"),
        ({"name": "m", "unit": "s"}, [dim("API ID")], "unit"),
        ({"name": "m"}, [dim("Method")], "value"),  # only default dimensions may omit the value
        ({"name": "m"}, [dim("Backend ID")], "value"),  # a default dimension in outbound only
        ({"name": "m"}, [dim('@("API ID")')], "value"),
        ({"name": "m"}, [el("dimension", {"value": "x"})], "name"),
        ({"name": "m"}, [el("dimension", {"name": "a", "value": "x", "kind": "y"})], "kind"),
        ({"name": "m"}, [dim("a", "1"), dim("A", "2")], "name"),
    ],
)
def test_refusals_name_what_is_wrong(attrs: dict[str, str], children: list, named: str) -> None:
    with pytest.raises(CompileError) as caught:
        EM.compile(el("emit-metric", attrs, *children), Ctx())
    assert caught.value.attribute == named or named in caught.value.message


def test_children_are_checked() -> None:
    with pytest.raises(CompileError, match="needs at least one 'dimension'"):
        EM.compile(el("emit-metric", {"name": "m"}), Ctx())
    with pytest.raises(CompileError, match="'label' is not a valid child element"):
        EM.compile(el("emit-metric", {"name": "m"}, el("label")), Ctx())
    with pytest.raises(CompileError, match="at most 10 dimensions"):
        EM.compile(el("emit-metric", {"name": "m"}, *[dim(f"d{i}", "x") for i in range(11)]), Ctx())
    EM.compile(el("emit-metric", {"name": "m"}, *[dim(f"d{i}", "x") for i in range(10)]), Ctx())


def test_backend_id_is_a_default_dimension_in_outbound_and_for_token_metrics() -> None:
    EM.compile(el("emit-metric", {"name": "m"}, dim("backend id")), Ctx(section="outbound"))
    cfg = azure_openai_emit_token_metric.SPEC.compile(
        el("azure-openai-emit-token-metric", {}, dim("Backend ID")), Ctx()
    )
    assert cfg.dimensions[0].default == "Backend ID"


@pytest.mark.parametrize("spec", [azure_openai_emit_token_metric.SPEC, llm_emit_token_metric.SPEC])
def test_token_metric_refusals(spec) -> None:
    name = spec.name
    with pytest.raises(CompileError) as caught:
        spec.compile(el(name, {"name": "m"}, dim("API ID")), Ctx())
    assert caught.value.attribute == "name"
    with pytest.raises(CompileError) as caught:
        spec.compile(el(name, {"namespace": '@("x")'}, dim("API ID")), Ctx())
    assert caught.value.attribute == "namespace"
    with pytest.raises(CompileError, match="needs at least one 'dimension'"):
        spec.compile(el(name, {}), Ctx())
    assert spec.compile(el(name, {}, dim("User ID")), Ctx()).namespace == "API Management"


async def test_run_emits_with_default_dimensions() -> None:
    store = MetricsStore(Clock(120.0))
    state = State(services=type("S", (), {"extra": {"metrics": store}})())
    cfg = EM.compile(
        el("emit-metric", {"name": "m", "value": "@(x)"}, dim("API ID"), dim("Product ID"), dim("Who", "@(who)")),
        Ctx(exprs={"@(x)": lambda s: "4.5", "@(who)": lambda s: None}),
    )
    assert await run_policy(EM, cfg, state) == (None, None)
    (series,) = store.describe("apim-1")["value"]
    assert series["dimensions"] == {"API ID": "echo-api", "Product ID": "starter", "Who": ""}
    assert series["timeseries"] == [{"minute": "1970-01-01T00:02:00Z", "count": 1, "sum": 4.5, "min": 4.5, "max": 4.5}]
    assert state.traces[0][1]["metric"]["value"] == 4.5


async def test_run_refuses_a_value_that_is_not_a_number() -> None:
    state = State(services=type("S", (), {"extra": {}})())
    cfg = EM.compile(
        el("emit-metric", {"name": "m", "value": "@(x)"}, dim("API ID")), Ctx(exprs={"@(x)": lambda s: "nan"})
    )
    _, error = await run_policy(EM, cfg, state)
    assert error is not None and error.reason == "ExpressionValueEvaluationFailure" and "value" in error.message


def test_store_bounds_series_and_aggregates_per_minute() -> None:
    clock = Clock(0.0)
    store = MetricsStore(clock)
    for i in range(MAX_SERIES):
        assert store.emit("s", "n", "m", 1.0, {"i": str(i)})
    assert not store.emit("s", "n", "m", 1.0, {"i": "one too many"})
    assert store.emit("s", "n", "m", 2.0, {"i": "0"})  # an existing series still records
    clock.advance(60)
    store.emit("s", "n", "m", 3.0, {"i": "0"})
    described = store.describe("s")
    assert described["droppedEmissions"] == 1
    first = next(v for v in described["value"] if v["dimensions"] == {"i": "0"})
    assert [t["sum"] for t in first["timeseries"]] == [3.0, 3.0]


def response(body: bytes, content_type: str = "application/json") -> GatewayResponse:
    return GatewayResponse(200, Headers([("Content-Type", content_type)]), body)


def test_usage_parsing() -> None:
    usage_of = azure_openai_emit_token_metric.usage_of
    good = b'{"usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}'
    assert usage_of(response(good)) == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
    assert usage_of(response(b'{"usage": {"prompt_tokens": "1"}}')) is None
    assert usage_of(response(b"not json")) is None
    sse = (
        b'data: {"choices": []}\n\n'
        b'data: {"usage": {"prompt_tokens": 4, "completion_tokens": 5, "total_tokens": 9}}\n\ndata: [DONE]\n\n'
    )
    assert usage_of(response(sse, "text/event-stream"))["total_tokens"] == 9
