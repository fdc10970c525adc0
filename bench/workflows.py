"""bench/workflows: actions per second and the seed workflow's own latency, against references from the same run.

One run measures, with the backend an nginx answering a small JSON body:
  1. the backend direct (sequential requests: the latency any Http action must pay);
  2. the seed workflow — Request trigger → Http (ManagedServiceIdentity token, backend direct) → Response —
     triggered through its callback URL one run at a time: p50/p99 trigger-to-response, and keyless's own share
     (p50 minus the backend's p50);
  3. a 50-action stateful workflow (variables, Compose, one Http, Response) under concurrent triggers:
     actions per second on this one process with SQLite, and per-run latency.
It prints each and the ratios (keyless's own time / the backend's; actions/s / Azure's documented default of
about 330 per second per app). Nothing here is a test: no number fails the run.

    .venv/bin/python bench/workflows.py [--runs 300] [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway import BACKEND_CONF, Keyless, ensure_tools, free_port, start_nginx

LOGIC = "2019-05-01"
AZURE_DEFAULT_ACTIONS_PER_SECOND = 330  # reference §7 / issue 4: Azure's default per app


def seed_definition(backend: str) -> dict[str, Any]:
    return {
        "triggers": {"manual": {"type": "Request", "kind": "Http", "inputs": {"method": "POST"}}},
        "actions": {
            "Call_API": {
                "type": "Http",
                "inputs": {
                    "method": "POST",
                    "uri": f"{backend}/orders",
                    "body": "@triggerBody()",
                    "authentication": {"type": "ManagedServiceIdentity", "audience": "https://management.azure.com/"},
                },
                "runAfter": {},
            },
            "Response": {
                "type": "Response",
                "kind": "Http",
                "inputs": {"statusCode": 200, "body": "@body('Call_API')"},
                "runAfter": {"Call_API": ["Succeeded"]},
            },
        },
    }


def fifty_definition(backend: str) -> dict[str, Any]:
    """50 actions in one chain: Initialize, 24 Compose and 23 Increment alternating, one Http, the Response."""
    actions: dict[str, Any] = {
        "Init": {
            "type": "InitializeVariable",
            "inputs": {"variables": [{"name": "n", "type": "integer", "value": 0}]},
            "runAfter": {},
        }
    }
    previous = "Init"
    for i in range(47):
        name = f"Compose_{i}" if i % 2 == 0 else f"Increment_{i}"
        if i % 2 == 0:
            spec: dict[str, Any] = {"type": "Compose", "inputs": {"step": i, "n": "@variables('n')", "at": f"step {i}"}}
        else:
            spec = {"type": "IncrementVariable", "inputs": {"name": "n", "value": 1}}
        actions[name] = {**spec, "runAfter": {previous: ["Succeeded"]}}
        previous = name
    actions["Call_API"] = {
        "type": "Http",
        "inputs": {"method": "GET", "uri": f"{backend}/items"},
        "runAfter": {previous: ["Succeeded"]},
    }
    actions["Response"] = {
        "type": "Response",
        "kind": "Http",
        "inputs": {"statusCode": 200, "body": {"n": "@variables('n')"}},
        "runAfter": {"Call_API": ["Succeeded"]},
    }
    assert len(actions) == 50
    return {"triggers": {"manual": {"type": "Request", "kind": "Http"}}, "actions": actions}


def deploy(kl: Keyless, name: str, definition: dict[str, Any]) -> str:
    e = kl.e
    path = (
        f"/subscriptions/{e['subscription_id']}/resourceGroups/{e['resource_group']}"
        f"/providers/Microsoft.Logic/workflows/{name}"
    )
    body = {
        "location": e["location"],
        "identity": {"type": "SystemAssigned"},
        "properties": {"state": "Enabled", "definition": definition},
    }
    kl.arm("PUT", path, body, api_version=LOGIC)
    return str(kl.arm("POST", f"{path}/triggers/manual/listCallbackUrl", {}, api_version=LOGIC)["value"])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sequential(client: httpx.Client, method: str, url: str, runs: int, body: Any = None) -> list[float]:
    latencies = []
    for _ in range(runs):
        started = time.perf_counter()
        r = client.request(method, url, json=body)
        latencies.append((time.perf_counter() - started) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{url} -> {r.status_code}: {r.text[:300]}")
    return latencies


async def concurrent(url: str, ca: str, seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    done, failed, latencies = 0, 0, []
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal done, failed
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            r = await client.post(url, json={})
            latencies.append((time.perf_counter() - started) * 1000)
            if r.status_code == 200 and r.json().get("n") == 23:
                done += 1
            else:
                failed += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(verify=ca, timeout=120, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    return done, latencies, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    ensure_tools()
    with tempfile.TemporaryDirectory(prefix="keyless-bench-wf-") as tmp:
        directory = Path(tmp)
        backend_port = free_port()
        nginx = start_nginx(BACKEND_CONF.format(dir=directory, port=backend_port), directory, "backend")
        kl = Keyless(directory / "data")
        try:
            backend = f"http://127.0.0.1:{backend_port}"
            seed_url = deploy(kl, "bench-seed", seed_definition(backend))
            fifty_url = deploy(kl, "bench-fifty", fifty_definition(backend))
            with httpx.Client(timeout=30) as plain, httpx.Client(verify=kl.e["ca_cert"], timeout=120) as tls:
                sequential(plain, "POST", f"{backend}/orders", 50, {})  # warm-up
                direct = sequential(plain, "POST", f"{backend}/orders", args.runs, {"id": 1})
                sequential(tls, "POST", seed_url, 30, {"id": 1})  # warm-up: token cache, compiled definition
                seed = sequential(tls, "POST", seed_url, args.runs, {"id": 1})
            done, latencies, failed = asyncio.run(
                concurrent(fifty_url, kl.e["ca_cert"], args.seconds, args.concurrency)
            )
        finally:
            kl.stop()
            nginx.terminate()
    own = statistics.median(seed) - statistics.median(direct)
    actions_per_second = done * 50 / args.seconds
    print(f"backend direct          p50 {statistics.median(direct):7.2f} ms  p99 {pct(direct, 0.99):7.2f} ms")
    print(f"seed workflow (1 by 1)  p50 {statistics.median(seed):7.2f} ms  p99 {pct(seed, 0.99):7.2f} ms")
    print(f"  keyless's own time    p50 {own:7.2f} ms  (seed p50 - backend p50; target < 20 ms)")
    print(f"  seed / backend        {statistics.median(seed) / statistics.median(direct):7.2f}x")
    print(
        f"50-action workflow      {done} runs in {args.seconds:.0f} s at concurrency {args.concurrency}"
        f" ({failed} failed): {actions_per_second:,.0f} actions/s, run p50 {statistics.median(latencies):.1f} ms"
    )
    print(f"  actions/s / Azure's default ({AZURE_DEFAULT_ACTIONS_PER_SECOND}/s)  {actions_per_second / 330:7.2f}x")
    print(f"  actions/s / target (1,000/s)          {actions_per_second / 1000:7.2f}x")


if __name__ == "__main__":
    main()
