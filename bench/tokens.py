"""Token throughput of `keyless up` over loopback, as ratios against a trivial route on the same listener.

    python bench/tokens.py [--requests N] [--concurrency C] [--tool auto|wrk|httpx]

Starts keyless (`keyless up --port 0`, fresh temp dir), then measures requests/s for:
- client credentials (POST /{tenant}/oauth2/v2.0/token, the admin app asking for ARM), against
  GET /{tenant}/v2.0/.well-known/openid-configuration on the same (TLS) login listener;
- managed identity (IMDS GET /imds/{secret}/metadata/identity/oauth2/token), against the IMDS
  400 "Required metadata header not specified" on the same identity listener, when the running
  keyless can hand out a host's identity endpoints (otherwise it says why it was not measured).
Ratios (tokens/s divided by trivial/s) compare runs across machines; absolute numbers do not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ARM = "https://management.azure.com"


@dataclass
class Target:
    name: str
    method: str
    url: str
    expect: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- keyless --------------------------------------------------------------------------------------


def start_keyless(data_dir: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    log = open(data_dir / "up.log", "wb")  # lives as long as the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "keyless.cli.main", "up", "--data-dir", str(data_dir), "--port", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    path = data_dir / "endpoints.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"keyless up exited:\n{(data_dir / 'up.log').read_text()}")
        try:
            e = json.loads(path.read_text())
            if e.get("pid") == proc.pid:
                return proc, e
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("keyless up did not become ready in 60 s")


def admin_token(e: dict[str, Any], resource: str) -> str:
    r = httpx.post(
        f"{e['login']}/{e['tenant_id']}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": e["admin"]["client_id"],
            "client_secret": e["admin"]["client_secret"],
            "scope": f"{resource}/.default",
        },
        verify=e["ca_cert"],
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def client_credentials_targets(e: dict[str, Any]) -> tuple[Target, Target]:
    form = urllib.parse.urlencode(
        {
            "client_id": e["admin"]["client_id"],
            "grant_type": "client_credentials",
            "client_info": "1",
            "client_secret": e["admin"]["client_secret"],
            "scope": f"{ARM}/.default",
        }
    ).encode()
    token = Target(
        "client credentials (v2 token)",
        "POST",
        f"{e['login']}/{e['tenant_id']}/oauth2/v2.0/token",
        200,
        {"Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    trivial = Target(
        "openid-configuration (v2)",
        "GET",
        f"{e['login']}/{e['tenant_id']}/v2.0/.well-known/openid-configuration",
        200,
        {},
    )
    return token, trivial


def managed_identity_targets(e: dict[str, Any]) -> tuple[Target, Target] | str:
    """A user-assigned identity on a host resource, and its IMDS endpoint; or why that is not available."""
    headers = {"Authorization": f"Bearer {admin_token(e, ARM)}"}
    rg = f"/subscriptions/{e['subscription_id']}/resourceGroups/{e['resource_group']}"
    uami = f"{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bench-{uuid.uuid4().hex[:8]}"
    with httpx.Client(verify=e["ca_cert"], headers=headers, timeout=30) as http:
        r = http.put(f"{e['management']}{uami}?api-version=2023-01-31", json={"location": e.get("location", "westus2")})
        if r.status_code not in (200, 201):
            return f"cannot create a user-assigned identity ({r.status_code} {r.text[:200]})"
        # A user-assigned identity is its own host; a workflow carrying it is the other way, once served.
        hosts = [(uami, None), (f"{rg}/providers/Microsoft.Logic/workflows/bench-host", "2019-05-01")]
        reasons = []
        for host, api_version in hosts:
            if api_version is not None:
                body = {
                    "location": e.get("location", "westus2"),
                    "identity": {"type": "UserAssigned", "userAssignedIdentities": {uami: {}}},
                    "properties": {"definition": {"contentVersion": "1.0.0.0", "triggers": {}, "actions": {}}},
                }
                r = http.put(f"{e['management']}{host}?api-version={api_version}", json=body)
                if r.status_code not in (200, 201):
                    reasons.append(f"{host.split('/providers/')[1]}: {r.status_code}")
                    continue
            r = http.post(f"{e['management']}/keyless/identityEndpoints", params={"resourceId": host})
            if r.status_code != 200:
                reasons.append(f"identityEndpoints: {r.status_code} {r.text[:200]}")
                continue
            authority = r.json()["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
            query = urllib.parse.urlencode({"api-version": "2018-02-01", "resource": ARM})
            url = f"{authority}/metadata/identity/oauth2/token?{query}"
            return (
                Target("managed identity (IMDS token)", "GET", url, 200, {"Metadata": "true"}),
                Target("IMDS without Metadata (400)", "GET", url, 400, {}),
            )
    return "no host with a managed identity could be made (" + "; ".join(reasons) + ")"


# --- load -----------------------------------------------------------------------------------------


async def run_httpx(target: Target, total: int, concurrency: int, ca: str) -> Result:
    """`concurrency` workers on a keep-alive pool share `total` requests."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    remaining = total
    errors = 0

    async with httpx.AsyncClient(verify=ca, limits=limits, timeout=30) as client:

        async def once() -> None:
            nonlocal errors
            r = await client.request(target.method, target.url, headers=target.headers, content=target.body or None)
            if r.status_code != target.expect:
                errors += 1

        for _ in range(concurrency):  # warm the connections (TLS handshakes) outside the timing
            await once()
        errors = 0

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                await once()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return Result(total, seconds, errors)


WRK_SCRIPT = """
wrk.method = os.getenv("BENCH_METHOD")
wrk.body = os.getenv("BENCH_BODY")
local headers = os.getenv("BENCH_HEADERS")
for k, v in string.gmatch(headers, "([^\\n:]+): ([^\\n]*)") do wrk.headers[k] = v end
"""


def run_wrk(target: Target, seconds: int, concurrency: int, script: Path) -> Result:
    env = {
        **os.environ,
        "BENCH_METHOD": target.method,
        "BENCH_BODY": target.body.decode(),
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in target.headers.items()),
    }
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s", str(script), target.url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    requests = errors = 0
    elapsed = float(seconds)
    for line in out.splitlines():
        line = line.strip()
        if " requests in " in line:
            requests = int(line.split()[0])
            elapsed_text = line.split(" requests in ")[1].split(",")[0]
            elapsed = float(elapsed_text.rstrip("ms")) / (1000 if elapsed_text.endswith("ms") else 1)
        if line.startswith("Non-2xx or 3xx responses:"):
            errors = int(line.split(":")[1])
    if target.expect >= 400:  # the reference route answers 400 on purpose
        errors = requests - errors
    return Result(requests, elapsed, errors)


def have_wrk(install: bool) -> bool:
    if shutil.which("wrk"):
        return True
    if install and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    return shutil.which("wrk") is not None


# --- main -----------------------------------------------------------------------------------------


def measure(pair: tuple[Target, Target], args: argparse.Namespace, ca: str, tool: str, script: Path) -> None:
    results = []
    for target in pair:
        if tool == "wrk":
            result = run_wrk(target, args.seconds, args.concurrency, script)
        else:
            result = asyncio.run(run_httpx(target, args.requests, args.concurrency, ca))
        results.append(result)
        print(f"  {target.name:<34} {result.rate:>9.0f} req/s  ({result.requests} requests, {result.errors} errors)")
    print(f"  ratio tokens/trivial              {results[0].rate / results[1].rate:>9.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per target (httpx)")
    parser.add_argument("--seconds", type=int, default=5, help="duration per target (wrk)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tool", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()
    tool = args.tool
    if tool == "auto":
        tool = "wrk" if have_wrk(install=True) else "httpx"
    elif tool == "wrk" and not have_wrk(install=True):
        raise SystemExit("wrk is not installed")

    with tempfile.TemporaryDirectory(prefix="keyless-bench-") as tmp:
        data_dir = Path(tmp)
        script = data_dir / "bench.lua"
        script.write_text(WRK_SCRIPT)
        proc, e = start_keyless(data_dir)
        try:
            print(
                f"keyless {e['login']}  load: {tool}, {args.concurrency} keep-alive connections, {os.cpu_count()} CPUs"
            )
            print("client credentials (login listener, TLS):")
            measure(client_credentials_targets(e), args, e["ca_cert"], tool, script)
            mi = managed_identity_targets(e)
            if isinstance(mi, str):
                print(f"managed identity: not measured: {mi}")
            else:
                print("managed identity (identity listener, plain HTTP):")
                measure(mi, args, e["ca_cert"], tool, script)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
