"""Where the CLI verbs send their Graph and ARM calls: a running keyless, or Azure itself.

The verbs (`keyless ad app create`, `keyless workflow create`, ...) are thin clients of Graph and ARM. On
keyless they authenticate as the local admin from DATA_DIR/endpoints.json; with `--cloud azure` they use
azure-identity's DefaultAzureCredential against Azure's own hosts. Nothing else differs, so a script rehearsed
on keyless runs unchanged against Azure.
"""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer

AZURE_MANAGEMENT = "https://management.azure.com"
AZURE_GRAPH = "https://graph.microsoft.com"


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""


def error_text(response: httpx.Response) -> str:
    """ARM's `{"error": {code, message}}`, Graph's OData error, or an OAuth error, as one line."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        details = "; ".join(
            f"{d.get('target') or d.get('code')}: {d.get('message')}" for d in error.get("details") or []
        )
        return f"{error.get('code')}: {details or error.get('message')}"
    if isinstance(body, dict) and "error_description" in body:
        return f"{body.get('error')}: {body['error_description']}"
    return f"HTTP {response.status_code}"


@dataclass
class Cloud:
    name: str
    management: str
    graph: str
    subscription_id: str
    resource_group: str
    location: str
    tenant_id: str
    verify: ssl.SSLContext | bool
    token: Callable[[str], str]  # scope -> access token
    endpoints: dict[str, Any] = field(default_factory=dict)  # keyless's endpoints.json (empty on Azure)
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(verify=self.verify, timeout=120)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    @property
    def group_path(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def request(
        self, method: str, path: str, body: Any = None, *, api_version: str | None = None, params: Any = None
    ) -> httpx.Response:
        """One management call with the caller's token; the answer as it came (callers that record refusals)."""
        query = dict(params or {})
        if api_version is not None:
            query["api-version"] = api_version
        try:
            return self.client.request(
                method,
                self.management + path,
                params=query or None,
                json=body,
                headers={"Authorization": "Bearer " + self.token(f"{AZURE_MANAGEMENT}/.default")},
            )
        except httpx.TransportError as exc:
            raise CliError(f"{self.management} is not reachable ({exc}); is `keyless up` running?") from exc

    def arm(
        self, method: str, path: str, body: Any = None, *, api_version: str, ok: tuple[int, ...] = (200, 201)
    ) -> Any:
        return _result(self.request(method, path, body, api_version=api_version), ok, f"{method} {path}")

    def graph_call(self, method: str, path: str, body: Any = None, *, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        response = self.client.request(
            method,
            f"{self.graph}/v1.0{path}",
            json=body,
            headers={"Authorization": "Bearer " + self.token(f"{AZURE_GRAPH}/.default")},
        )
        return _result(response, ok, f"{method} {path}")

    @classmethod
    def keyless(cls, data_dir: Path, resource_group: str | None = None) -> Cloud:
        path = data_dir / "endpoints.json"
        try:
            e = dict(json.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise CliError(f"{path} not found; start keyless with `keyless up --data-dir {data_dir}`") from exc
        except OSError as exc:
            raise CliError(f"cannot read {path}: {exc.strerror}") from exc
        except ValueError as exc:
            raise CliError(f"{path} is not valid JSON") from exc
        verify = ssl.create_default_context(cafile=str(e["ca_cert"]))
        tokens: dict[str, str] = {}

        def token(scope: str) -> str:
            if scope not in tokens:
                with httpx.Client(verify=verify, timeout=30) as client:
                    try:
                        response = client.post(
                            f"{e['login']}/{e['tenant_id']}/oauth2/v2.0/token",
                            data={
                                "grant_type": "client_credentials",
                                "client_id": e["admin"]["client_id"],
                                "client_secret": e["admin"]["client_secret"],
                                "scope": scope,
                            },
                        )
                    except httpx.TransportError as exc:
                        raise CliError(f"keyless at {e['login']} is not reachable ({exc}); is it running?") from exc
                if response.status_code != 200:
                    raise CliError(f"the admin credential was refused: {error_text(response)}")
                tokens[scope] = str(response.json()["access_token"])
            return tokens[scope]

        return cls(
            "keyless",
            e["management"],
            e["graph"],
            e["subscription_id"],
            resource_group or e["resource_group"],
            e.get("location") or "westeurope",
            e["tenant_id"],
            verify,
            token,
            e,
        )

    @classmethod
    def azure(cls, subscription_id: str | None, resource_group: str | None, location: str | None) -> Cloud:
        try:
            from azure.identity import DefaultAzureCredential
        except ImportError as exc:  # pragma: no cover - azure-identity is a dependency
            raise CliError("--cloud azure needs the azure-identity package") from exc
        subscription_id = subscription_id or os.environ.get("AZURE_SUBSCRIPTION_ID")
        if not subscription_id or not resource_group:
            raise CliError("--cloud azure needs --subscription (or AZURE_SUBSCRIPTION_ID) and --resource-group")
        credential = DefaultAzureCredential()

        def token(scope: str) -> str:
            return str(credential.get_token(scope).token)

        return cls(
            "azure",
            AZURE_MANAGEMENT,
            AZURE_GRAPH,
            subscription_id,
            resource_group,
            location or "westeurope",
            os.environ.get("AZURE_TENANT_ID", ""),
            True,
            token,
        )


def _result(response: httpx.Response, ok: tuple[int, ...], what: str) -> Any:
    if response.status_code not in ok:
        raise CliError(f"{what} was refused: {error_text(response)}")
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


# Options every verb takes, so a script switches clouds with one flag.
DataDir = typer.Option(Path(".keyless"), "--data-dir", help="The data dir of the running keyless (--cloud keyless).")
CloudName = typer.Option("keyless", "--cloud", help="keyless (default) or azure (DefaultAzureCredential).")
Group = typer.Option(None, "--resource-group", "-g", help="Default: keyless's resource group.")
Subscription = typer.Option(None, "--subscription", help="Azure subscription id (--cloud azure).")
Location = typer.Option(None, "--location", "-l", help="Location of what is created.")
Output = typer.Option("table", "--output", "-o", help="table or json.")


def open_cloud(
    cloud: str, data_dir: Path, resource_group: str | None, subscription: str | None = None, location: str | None = None
) -> Cloud:
    if cloud == "keyless":
        found = Cloud.keyless(data_dir, resource_group)
        if location:
            found.location = location
        return found
    if cloud == "azure":
        return Cloud.azure(subscription, resource_group, location)
    raise CliError(f"--cloud is keyless or azure, not {cloud!r}")


def emit(data: Any, output: str, columns: list[tuple[str, str]] | None = None) -> None:
    """JSON as the API returned it, or a table of the named columns (header, dotted path)."""
    if output == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    if output != "table":
        raise CliError(f"--output is table or json, not {output!r}")
    rows = data if isinstance(data, list) else [data]
    if not columns:
        typer.echo(json.dumps(data, indent=2))
        return
    cells = [[_text(_dig(row, path)) for _, path in columns] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, (h, _) in enumerate(columns)]
    typer.echo("  ".join(h.ljust(w) for (h, _), w in zip(columns, widths, strict=True)).rstrip())
    for r in cells:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _dig(row: Any, path: str) -> Any:
    for part in path.split("."):
        row = row.get(part) if isinstance(row, dict) else None
    return row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@contextlib.contextmanager
def progress(what: str, after: float = 1.0) -> Iterator[None]:
    """Say on stderr what the command waits for, once it has waited `after` seconds (quick calls stay quiet)."""
    started = threading.Event()

    def tell() -> None:
        started.set()
        typer.echo(f"  {what} ...", err=True)

    timer = threading.Timer(after, tell)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if started.is_set():
            typer.echo("  done", err=True)
