"""emit-metric, the token-metric and the token-limit policies through keyless's real gateway: snapshot, routing,
subscription check, pipeline, forward-request to a local OpenAI-shaped backend, the listener, the trace."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from keyless.gateway import app, proxy, snapshot, state
from keyless.gateway.metrics import metrics_store

KEY = "k-tokens"
GLOBAL = "<policies><inbound/><backend><forward-request/></backend><outbound/><on-error/></policies>"


class Model:
    """A chat-completions backend: reports `usage` as the request asks (`{"completion": n}`), or streams."""

    def __init__(self) -> None:
        self.calls = 0
        self.url = ""
        self._runner: Any = None

    async def start(self) -> Model:
        async def handle(request: web.Request) -> web.StreamResponse:
            self.calls += 1
            body = await request.json() if request.can_read_body else {}
            completion = int(body.get("completion", 20))
            if body.get("stream"):
                chunks = [
                    {"choices": [{"delta": {"content": "abcdefgh"}}]},
                    {"choices": [{"delta": {"content": "ijkl"}}]},
                ]
                text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
                return web.Response(text=text, content_type="text/event-stream")
            if body.get("no_usage"):
                return web.json_response({"choices": []})
            usage = {"prompt_tokens": 10, "completion_tokens": completion, "total_tokens": 10 + completion}
            return web.json_response({"choices": [{"message": {"content": "hi"}}], "usage": usage})

        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", handle)
        self._runner = web.AppRunner(application)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def model() -> AsyncIterator[Model]:
    server = await Model().start()
    yield server
    await server.stop()


def build(model: Model, inbound: str, outbound: str = "") -> Any:
    api_policy = (
        f"<policies><inbound><base/>{inbound}</inbound><backend><base/></backend>"
        f"<outbound><base/>{outbound}</outbound><on-error><base/></on-error></policies>"
    )
    return snapshot.build_snapshot(
        {"name": "svc", "location": "westeurope"},
        apis=[{"name": "openai", "properties": {"path": "openai", "serviceUrl": f"{model.url}/v1"}}],
        operations={"openai": [{"name": "chat", "properties": {"method": "POST", "urlTemplate": "/chat"}}]},
        subscriptions=[
            {
                "name": "s",
                "properties": {
                    "scope": "/apis",
                    "state": "active",
                    "primaryKey": KEY,
                    "secondaryKey": "k2",
                    "allowTracing": True,
                },
            }
        ],
        policies={("global",): GLOBAL, ("api", "openai"): api_policy},
    )


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Any]:
    from keyless.gateway.counters import InMemoryCounters

    services = state.GatewayServices(backends=proxy.BackendPool(), counters=InMemoryCounters())
    gateways = app.Gateways(services, ports_file=tmp_path / "ports.json")
    session = aiohttp.ClientSession()

    async def start(snap: Any) -> Any:
        port = await gateways.start("svc", snap)

        async def call(body: dict[str, Any], trace: bool = False) -> tuple[int, Any, Any, list[dict[str, Any]]]:
            headers = {"Ocp-Apim-Subscription-Key": KEY, **({"Ocp-Apim-Trace": "true"} if trace else {})}
            url = f"http://127.0.0.1:{port}/openai/chat"
            async with session.post(url, json=body, headers=headers) as r:
                status, got, data = r.status, r.headers, await r.read()
            entries: list[dict[str, Any]] = []
            if trace:
                async with session.get(got["Ocp-Apim-Trace-Location"]) as t:
                    document = json.loads(await t.read())
                entries = [e for section in document["traceEntries"].values() for e in section]
            parsed = json.loads(data) if data and "json" in got.get("Content-Type", "") else data
            return status, got, parsed, entries

        call.services = services  # type: ignore[attr-defined]
        return call

    yield start
    await session.close()
    await gateways.close()


def series(services: Any) -> dict[tuple[str, str], dict[str, Any]]:
    described = metrics_store(services).describe("svc")["value"]
    return {(s["namespace"], s["name"]): s for s in described}


async def test_emit_metric_records_value_and_dimensions_and_traces_it(model: Model, gateway: Any) -> None:
    call = await gateway(
        build(
            model,
            '<emit-metric name="Requests" namespace="shop" value="@(2.5)">'
            '<dimension name="API ID" /><dimension name="Operation ID" /><dimension name="Subscription ID" />'
            '<dimension name="Location" /><dimension name="Client" value="@(context.Request.Method)" />'
            "</emit-metric>",
        )
    )
    status, _, _, entries = await call({}, trace=True)
    assert status == 200
    await call({})
    found = series(call.services)[("shop", "Requests")]
    assert found["dimensions"] == {
        "API ID": "openai",
        "Operation ID": "chat",
        "Subscription ID": "s",
        "Location": "westeurope",
        "Client": "POST",
    }
    (minute,) = found["timeseries"]
    assert (minute["count"], minute["sum"], minute["min"], minute["max"]) == (2, 5.0, 2.5, 2.5)
    traced = [e for e in entries if e["source"] == "emit-metric"]
    assert traced and traced[0]["data"]["metric"]["name"] == "Requests" and traced[0]["data"]["metric"]["value"] == 2.5


async def test_emit_metric_with_a_bad_value_fails_the_request(model: Model, gateway: Any) -> None:
    call = await gateway(build(model, '<emit-metric name="m" value="@("x")"><dimension name="API ID" /></emit-metric>'))
    status, _, body, _ = await call({})
    assert status == 500 and model.calls == 0, body
    assert series(call.services) == {}


@pytest.mark.parametrize("policy", ["azure-openai-emit-token-metric", "llm-emit-token-metric"])
async def test_token_metrics_come_from_the_response_usage(model: Model, gateway: Any, policy: str) -> None:
    call = await gateway(
        build(
            model, f'<{policy} namespace="ai"><dimension name="API ID" /><dimension name="Team" value="x" /></{policy}>'
        )
    )
    status, _, body, entries = await call({"completion": 32}, trace=True)
    assert status == 200 and body["usage"]["total_tokens"] == 42
    got = series(call.services)
    assert {name: s["timeseries"][0]["sum"] for (_, name), s in got.items()} == {
        "Prompt Tokens": 10.0,
        "Completion Tokens": 32.0,
        "Total Tokens": 42.0,
    }
    assert all(s["dimensions"] == {"API ID": "openai", "Team": "x"} for s in got.values())
    assert len([e for e in entries if e["source"] == policy]) == 3


async def test_token_metrics_without_usage_emit_nothing(model: Model, gateway: Any) -> None:
    call = await gateway(build(model, '<llm-emit-token-metric><dimension name="API ID" /></llm-emit-token-metric>'))
    status, _, _, entries = await call({"no_usage": True}, trace=True)
    assert status == 200 and series(call.services) == {}
    assert any("no token usage" in e["data"]["message"] for e in entries if e["source"] == "llm-emit-token-metric")


@pytest.mark.parametrize("policy", ["azure-openai-token-limit", "llm-token-limit"])
async def test_tokens_per_minute_refuses_with_429_once_spent(model: Model, gateway: Any, policy: str) -> None:
    call = await gateway(
        build(
            model,
            f'<{policy} counter-key="@(context.Subscription.Id)" tokens-per-minute="100" '
            'estimate-prompt-tokens="false" remaining-tokens-header-name="x-remaining" '
            'remaining-tokens-variable-name="left" tokens-consumed-header-name="x-consumed" '
            'retry-after-header-name="x-retry" retry-after-variable-name="wait" />',
        )
    )
    status, headers, _, _ = await call({"completion": 50})  # 60 tokens
    assert status == 200 and headers["x-consumed"] == "60" and headers["x-remaining"] == "40"
    status, headers, _, _ = await call({"completion": 50})  # 60 more: over the limit, found in the response
    assert status == 200 and headers["x-consumed"] == "60" and headers["x-remaining"] == "0"
    status, headers, body, _ = await call({"completion": 1})
    assert status == 429 and model.calls == 2
    assert body["statusCode"] == 429 and body["message"].startswith("Token limit is exceeded. Try again in")
    assert 0 < int(headers["x-retry"]) <= 60 and "Retry-After" not in headers


async def test_token_quota_refuses_with_403(model: Model, gateway: Any) -> None:
    call = await gateway(
        build(
            model,
            '<llm-token-limit counter-key="q" token-quota="50" token-quota-period="Daily" '
            'estimate-prompt-tokens="false" '
            'remaining-quota-tokens-header-name="x-quota-left" />',
        )
    )
    status, headers, _, _ = await call({"completion": 30})  # 40 tokens
    assert status == 200 and headers["x-quota-left"] == "10"
    status, _, _, _ = await call({"completion": 30})
    assert status == 200
    status, headers, body, _ = await call({"completion": 1})
    assert status == 403 and model.calls == 2
    assert body["message"].startswith("Token quota is exceeded. Quota will be replenished in")
    assert int(headers["Retry-After"]) <= 86400


async def test_estimated_prompt_tokens_refuse_before_the_backend(model: Model, gateway: Any) -> None:
    call = await gateway(
        build(
            model,
            '<azure-openai-token-limit counter-key="e" tokens-per-minute="20" estimate-prompt-tokens="true" '
            'tokens-consumed-variable-name="used" />',
            outbound='<set-header name="x-used" exists-action="override">'
            '<value>@(context.Variables["used"].ToString())</value></set-header>',
        )
    )
    # 3 + (3 + 100 / 4) = 31 estimated tokens: more than the minute allows, refused without calling the model
    status, _, body, _ = await call({"messages": [{"role": "user", "content": "x" * 100}]})
    assert status == 429 and model.calls == 0, body
    status, headers, _, _ = await call({"messages": [{"role": "user", "content": "x" * 8}]})  # 3 + 3 + 2 = 8
    assert status == 200 and headers["x-used"] == "8"  # outbound sees the estimate (see the report: [INF])


async def test_streamed_completions_are_estimated(model: Model, gateway: Any) -> None:
    call = await gateway(
        build(
            model,
            '<llm-token-limit counter-key="s" tokens-per-minute="1000" estimate-prompt-tokens="false" '
            'tokens-consumed-header-name="x-consumed" />',
        )
    )
    status, headers, _, _ = await call({"stream": True, "messages": [{"role": "user", "content": "abcd"}]})
    # prompt 3 + 3 + 1 = 7, completion 8/4 + 4/4 = 3
    assert status == 200 and headers["x-consumed"] == "10"
