"""Shared fixtures: a running `keyless up` (subprocess, ephemeral ports) and clients pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]


class Keyless:
    """A `keyless up` process and what its endpoints.json says."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.extra_env = extra_env or {}
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.e: dict[str, Any] = {}

    def start(self, timeout: float = 30) -> Keyless:
        endpoints = self.data_dir / "endpoints.json"
        env = {**os.environ, **self.extra_env}
        self.log = open(self.data_dir / "up.log", "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "keyless.cli.main",
                "up",
                "--data-dir",
                str(self.data_dir),
                "--port",
                "0",
                *self.args,
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + timeout
        while not self._ready(endpoints):
            if self.proc.poll() is not None:
                raise RuntimeError(f"keyless up exited: {(self.data_dir / 'up.log').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise TimeoutError("keyless up did not write endpoints.json")
            time.sleep(0.05)
        self.e = json.loads(endpoints.read_text())
        return self

    def _ready(self, endpoints: Path) -> bool:
        # endpoints.json survives restarts (it keeps the admin secret); ours is the one with our pid
        try:
            return bool(json.loads(endpoints.read_text()).get("pid") == self.proc.pid)  # type: ignore[union-attr]
        except (OSError, ValueError):
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)
        self.proc = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=15)
        self.proc = None

    @property
    def ca(self) -> str:
        return str(self.e["ca_cert"])

    @property
    def tenant(self) -> str:
        return str(self.e["tenant_id"])

    def admin_token(self, resource: str) -> str:
        r = requests.post(
            f"{self.e['login']}/{self.tenant}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.e["admin"]["client_id"],
                "client_secret": self.e["admin"]["client_secret"],
                "scope": f"{resource.rstrip('/')}/.default",
            },
            verify=self.ca,
            timeout=10,
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    def graph(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        token = self.admin_token("https://graph.microsoft.com")
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.e['graph']}/v1.0{path}", headers=headers, verify=self.ca, timeout=10, **kwargs
        )

    def arm(self, method: str, path: str, api_version: str, **kwargs: Any) -> requests.Response:
        token = self.admin_token("https://management.azure.com/")
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        sep = "&" if "?" in path else "?"
        return requests.request(
            method,
            f"{self.e['management']}{path}{sep}api-version={api_version}",
            headers=headers,
            verify=self.ca,
            timeout=10,
            **kwargs,
        )

    @contextmanager
    def mgmt_client(self, client_type: Any) -> Iterator[Any]:
        """An azure-mgmt-* client pointed at keyless, as a user would configure it (the local authority, instance
        discovery off, base_url the management listener, Azure's own scope)."""
        from azure.identity import ClientSecretCredential

        credential = ClientSecretCredential(
            self.tenant,
            self.e["admin"]["client_id"],
            self.e["admin"]["client_secret"],
            authority=self.e["login"],
            disable_instance_discovery=True,
        )
        client = client_type(
            credential,
            self.e["subscription_id"],
            base_url=self.e["management"],
            credential_scopes=["https://management.azure.com/.default"],
        )
        try:
            yield client
        finally:
            client.close()
            credential.close()

    @property
    def rg_path(self) -> str:
        return f"/subscriptions/{self.e['subscription_id']}/resourceGroups/{self.e['resource_group']}"


@pytest.fixture(scope="session")
def keyless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyless]:
    """One running keyless for the session's end-to-end tests."""
    kl = Keyless(tmp_path_factory.mktemp("keyless")).start()
    os.environ["REQUESTS_CA_BUNDLE"] = kl.ca
    try:
        yield kl
    finally:
        kl.stop()
