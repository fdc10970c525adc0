"""ARM as the local admin: the management client the CLI commands share."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any

import httpx

APIM_API_VERSION = "2022-08-01"  # the api-version APIOps publishes with


class CliError(Exception):
    pass


def error_text(response: httpx.Response) -> str:
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return f"HTTP {response.status_code}"
    details = "; ".join(f"{d.get('target')}: {d.get('message')}" for d in error.get("details") or [])
    return f"{error.get('code')}: {details or error.get('message')}"


class Arm:
    """ARM as the local admin, like the other CLI commands: endpoints.json names the URLs and the credential."""

    def __init__(self, data_dir: Path, resource_group: str | None) -> None:
        path = data_dir / "endpoints.json"
        try:
            self.e: dict[str, Any] = json.loads(path.read_text())
        except OSError as exc:
            raise CliError(f"cannot read {path}; is `keyless up --data-dir {data_dir}` running?") from exc
        self.group = resource_group or self.e["resource_group"]
        self.client = httpx.Client(verify=ssl.create_default_context(cafile=str(self.e["ca_cert"])), timeout=60)
        admin = self.e["admin"]
        token = self.client.post(
            f"{self.e['login']}/{self.e['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": admin["client_id"],
                "client_secret": admin["client_secret"],
                "scope": "https://management.azure.com/.default",
            },
        )
        if token.status_code != 200:
            raise CliError(f"the admin credential was refused: {token.text[:200]}")
        self.client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def service_path(self, name: str) -> str:
        return (
            f"/subscriptions/{self.e['subscription_id']}/resourceGroups/{self.group}"
            f"/providers/Microsoft.ApiManagement/service/{name}"
        )

    def group_path(self) -> str:
        return f"/subscriptions/{self.e['subscription_id']}/resourceGroups/{self.group}"

    def call(self, method: str, path: str, body: Any = None, *, api_version: str = APIM_API_VERSION) -> httpx.Response:
        return self.client.request(
            method, f"{self.e['management']}{path}", params={"api-version": api_version}, json=body
        )

    def close(self) -> None:
        self.client.close()
