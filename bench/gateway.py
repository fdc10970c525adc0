"""bench/gateway: requests per second and p50/p99 through keyless's gateway, as ratios to nginx.

One run measures, against the same backend (an nginx answering a small JSON body):
  1. the backend direct,
  2. nginx as a keep-alive reverse proxy to it,
  3. keyless's gateway with the seed's policy: subscription key + validate-jwt (audience, v1 issuer,
     required `roles`) + proxy to the backend, the token a real managed identity token from keyless.
It prints each, then gateway/nginx and gateway/direct. Nothing here is a test: no number fails the run.

    .venv/bin/python bench/gateway.py [--seconds 8] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
API_VERSION = "2022-08-01"
AUDIENCE = "api://keyless-bench-api"
ROLE = "AddRole"

BACKEND_CONF = """
worker_processes 1;
daemon off;
pid {dir}/backend.pid;
error_log {dir}/backend-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port} reuseport;
    location / {{ default_type application/json; return 200 '{{"ok":true,"items":[1,2,3]}}'; }}
  }}
}}
"""

PROXY_CONF = """
worker_processes 1;
daemon off;
pid {dir}/proxy.pid;
error_log {dir}/proxy-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  upstream backend {{ server 127.0.0.1:{backend}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""

POLICY = """<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401">
      <openid-config url="https://login.microsoftonline.com/{tid}/.well-known/openid-configuration" />
      <audiences><audience>{audience}</audience></audiences>
      <issuers><issuer>https://sts.windows.net/{tid}/</issuer></issuers>
      <required-claims><claim name="roles" match="any"><value>{role}</value></claim></required-claims>
    </validate-jwt>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>"""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_tools() -> None:
    missing = [
        tool for tool in ("nginx", "wrk") if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()
    ]
    if missing:
        packages = ["nginx-light" if t == "nginx" else t for t in missing]
        print(f"installing {', '.join(packages)} from Debian ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", *packages], check=False, capture_output=True)
        if any(shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists() for t in missing):
            subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", *packages], check=True, capture_output=True)


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(conf: str, directory: Path, name: str) -> subprocess.Popen[bytes]:
    path = directory / f"{name}.conf"
    path.write_text(conf)
    proc = subprocess.Popen([nginx_binary(), "-c", str(path), "-p", str(directory)])
    time.sleep(0.3)
    if proc.poll() is not None:
        raise RuntimeError(f"nginx ({name}) did not start: {(directory / f'{name}-error.log').read_text()}")
    return proc


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, Any]:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def pct(label: str) -> str:
        found = re.search(rf"^\s+{label}%\s+(\S+)", out, re.MULTILINE)
        return found.group(1) if found else "?"

    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def listeners_on(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (SO_REUSEPORT workers each hold one)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == wanted and line.split()[3] == "0A")


class Keyless:
    def __init__(self, directory: Path, workers: int = 1) -> None:
        self.directory = directory
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "keyless.cli.main",
                "up",
                "--data-dir",
                str(directory),
                "--port",
                "0",
                "--gateway-workers",
                str(workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        endpoints = directory / "endpoints.json"
        deadline = time.monotonic() + 60
        while not endpoints.exists() or json.loads(endpoints.read_text()).get("pid") != self.proc.pid:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("keyless up did not start")
            time.sleep(0.05)
        self.e = json.loads(endpoints.read_text())
        self.http = httpx.Client(verify=self.e["ca_cert"], timeout=30)
        self.tokens: dict[str, str] = {}

    def token(self, resource: str) -> str:
        if resource not in self.tokens:
            r = self.http.post(
                f"{self.e['authority']}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.e["admin"]["client_id"],
                    "client_secret": self.e["admin"]["client_secret"],
                    "scope": f"{resource}/.default",
                },
            )
            r.raise_for_status()
            self.tokens[resource] = r.json()["access_token"]
        return self.tokens[resource]

    def call(self, method: str, url: str, resource: str, body: Any = None, **params: str) -> Any:
        r = self.http.request(
            method, url, json=body, params=params or None, headers={"Authorization": f"Bearer {self.token(resource)}"}
        )
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {url} -> {r.status_code}: {r.text[:500]}")
        return r.json() if r.content else None

    def graph(self, method: str, path: str, body: Any = None) -> Any:
        return self.call(method, f"{self.e['graph']}/v1.0{path}", "https://graph.microsoft.com", body)

    def arm(self, method: str, path: str, body: Any = None, api_version: str = API_VERSION) -> Any:
        return self.call(
            method,
            f"{self.e['management']}{path}",
            "https://management.azure.com",
            body,
            **{"api-version": api_version},
        )

    def stop(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(30)


def provision(kl: Keyless, backend_port: int) -> tuple[str, dict[str, str]]:
    """The seed scenario through Graph and ARM; returns the gateway URL and the request headers."""
    e = kl.e
    rg = f"/subscriptions/{e['subscription_id']}/resourceGroups/{e['resource_group']}"
    role_id = "6d1f1f0e-9a51-4f2c-8d3b-6b8f4c3f2a10"
    app = kl.graph(
        "POST",
        "/applications",
        {
            "displayName": "keyless-bench-api",
            "identifierUris": [AUDIENCE],
            "appRoles": [
                {
                    "id": role_id,
                    "allowedMemberTypes": ["Application"],
                    "displayName": ROLE,
                    "description": ROLE,
                    "value": ROLE,
                    "isEnabled": True,
                }
            ],
        },
    )
    api_sp = kl.graph("POST", "/servicePrincipals", {"appId": app["appId"]})
    uami_id = f"{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/bench-caller"
    uami = kl.arm("PUT", uami_id, {"location": e["location"]}, api_version="2023-01-31")
    kl.graph(
        "POST",
        f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
        {"principalId": uami["properties"]["principalId"], "resourceId": api_sp["id"], "appRoleId": role_id},
    )
    env = kl.call(
        "POST", f"{e['management']}/keyless/identityEndpoints", "https://management.azure.com", resourceId=uami_id
    )
    r = kl.http.get(
        f"{env['AZURE_POD_IDENTITY_AUTHORITY_HOST']}/metadata/identity/oauth2/token",
        params={"api-version": "2018-02-01", "resource": AUDIENCE},
        headers={"Metadata": "true"},
    )
    r.raise_for_status()
    token = r.json()["access_token"]

    svc = f"{rg}/providers/Microsoft.ApiManagement/service/bench"
    service = kl.arm(
        "PUT",
        svc,
        {
            "location": e["location"],
            "sku": {"name": "Developer", "capacity": 1},
            "properties": {"publisherEmail": "bench@example.com", "publisherName": "bench"},
        },
    )
    gateway = service["properties"]["gatewayUrl"]
    kl.arm(
        "PUT",
        f"{svc}/apis/orders",
        {
            "properties": {
                "displayName": "orders",
                "path": "orders",
                "protocols": ["https", "http"],
                "serviceUrl": f"http://127.0.0.1:{backend_port}",
            }
        },
    )
    kl.arm(
        "PUT",
        f"{svc}/apis/orders/operations/get-item",
        {
            "properties": {
                "displayName": "get item",
                "method": "GET",
                "urlTemplate": "/items/{id}",
                "templateParameters": [{"name": "id", "type": "string", "required": True}],
            }
        },
    )
    kl.arm(
        "PUT",
        f"{svc}/apis/orders/policies/policy",
        {"properties": {"format": "rawxml", "value": POLICY.format(tid=e["tenant_id"], audience=AUDIENCE, role=ROLE)}},
    )
    kl.arm(
        "PUT",
        f"{svc}/subscriptions/bench",
        {"properties": {"displayName": "bench", "scope": f"{svc}/apis/orders", "state": "active"}},
    )
    keys = kl.arm("POST", f"{svc}/subscriptions/bench/listSecrets")
    headers = {"Ocp-Apim-Subscription-Key": keys["primaryKey"], "Authorization": f"Bearer {token}"}
    check = kl.http.get(f"{gateway}/orders/items/42", headers=headers)
    if check.status_code != 200:
        raise RuntimeError(f"the gateway refused the bench request: {check.status_code} {check.text[:300]}")
    return gateway, headers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    ensure_tools()
    with tempfile.TemporaryDirectory(prefix="keyless-bench-") as tmp:
        directory = Path(tmp)
        backend_port, proxy_port = free_port(), free_port()
        procs = [
            start_nginx(BACKEND_CONF.format(dir=directory, port=backend_port), directory, "backend"),
            start_nginx(PROXY_CONF.format(dir=directory, port=proxy_port, backend=backend_port), directory, "proxy"),
        ]
        kl = None
        try:
            kl = Keyless(directory / "keyless")
            gateway, headers = provision(kl, backend_port)
            runs = {
                "backend direct": wrk(f"http://127.0.0.1:{backend_port}/items/42", args.seconds, args.connections, {}),
                "nginx proxy": wrk(f"http://127.0.0.1:{proxy_port}/items/42", args.seconds, args.connections, {}),
                "keyless gateway": wrk(f"{gateway}/orders/items/42", args.seconds, args.connections, headers),
            }
            # The same data dir again with a second gateway process on the same port.
            kl.stop()
            kl = Keyless(directory / "keyless", workers=2)
            port = int(gateway.rsplit(":", 1)[1])
            deadline = time.monotonic() + 30
            while listeners_on(port) < 2:
                if time.monotonic() > deadline:
                    raise RuntimeError("the second gateway worker did not start listening")
                time.sleep(0.1)
            runs["keyless, 2 workers"] = wrk(f"{gateway}/orders/items/42", args.seconds, args.connections, headers)
        finally:
            if kl is not None:
                kl.stop()
            for proc in procs:
                proc.terminate()
                proc.wait(10)
    print(f"wrk: 1 thread, {args.connections} keep-alive connections, {args.seconds} s each; 2 CPUs shared")
    print("gateway policy: subscription key + validate-jwt (audience, v1 issuer, roles) + proxy")
    for name, run in runs.items():
        print(
            f"  {name:<18} {run['rps']:>9.0f} req/s   p50 {run['p50']:>8}   p99 {run['p99']:>8}   "
            f"non-2xx {run['errors']}"
        )
    gw, ng, direct = runs["keyless gateway"]["rps"], runs["nginx proxy"]["rps"], runs["backend direct"]["rps"]
    print(f"  ratio gateway/nginx   {gw / ng:.3f}   (target >= 0.15)")
    print(f"  ratio gateway/direct  {gw / direct:.3f}")
    two = runs["keyless, 2 workers"]["rps"]
    print(f"  ratio 2 workers/nginx {two / ng:.3f}   gain from the second worker {two / gw:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
