"""bench/forwarding: the gateway's backend client alone: aiohttp's ClientSession against keyless's lean HTTP/1.1
client (`gateway/_http1.py`), both forwarding the same GETs to the same nginx backend from one process.

It measures what docs/decisions/0003 rests on. Not a test; prints forwards per second and the ratio.

    .venv/bin/python bench/forwarding.py [--seconds 5] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway import BACKEND_CONF, ensure_tools, free_port, start_nginx
from keyless.gateway.http_types import GatewayRequest, Headers, Url
from keyless.gateway.proxy import BackendPool


async def run(kind: str, port: int, seconds: float, concurrency: int) -> float:
    pool = BackendPool()
    url = Url.parse(f"http://127.0.0.1:{port}/items/42")
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        headers = Headers([("Accept", "application/json")])
        while time.perf_counter() < deadline:
            if kind == "aiohttp":
                response = await pool._aiohttp("GET", str(url), list(headers.items()), None, False)
            else:
                request = GatewayRequest("GET", url, url, headers, None, "")
                response = await pool.forward(SimpleNamespace(request=request))
            assert response.status == 200
            count += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await pool.close()
    return count / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    ensure_tools()
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with tempfile.TemporaryDirectory(prefix="keyless-fwd-") as tmp:
        port = free_port()
        nginx = start_nginx(BACKEND_CONF.format(dir=tmp, port=port), Path(tmp), "backend")
        try:
            results = {}
            for kind in ("aiohttp", "http1", "aiohttp", "http1"):
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    rate = runner.run(run(kind, port, args.seconds, args.concurrency))
                results.setdefault(kind, []).append(rate)
        finally:
            nginx.terminate()
            nginx.wait(10)
    print(f"one process, {args.concurrency} concurrent forwards, {args.seconds:.0f} s per run, best of two")
    best = {kind: max(rates) for kind, rates in results.items()}
    for kind, rate in best.items():
        print(f"  {kind:<8} {rate:>9.0f} forwards/s")
    print(f"  ratio http1/aiohttp {best['http1'] / best['aiohttp']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
