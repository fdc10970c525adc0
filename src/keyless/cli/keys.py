"""`keyless keys list|rotate`: the signing keys of a running keyless, through its management endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from keyless.cli.cloud import CliError, Cloud

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Token signing keys (list, rotate).")

DATA_DIR = typer.Option(Path(".keyless"), "--data-dir", help="The data dir of the running keyless.")
AS_JSON = typer.Option(False, "--json", help="Print the service's JSON answer.")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"keyless keys: {message}", err=True)
    return typer.Exit(1)


def _call(data_dir: Path, method: str, path: str) -> dict[str, Any]:
    try:
        c = Cloud.keyless(data_dir)
        try:
            r = c.request(method, path)
        finally:
            c.close()
    except CliError as exc:
        raise _fail(str(exc)) from None
    except (OSError, KeyError) as exc:  # the CA file or a field of endpoints.json is missing
        raise _fail(f"{data_dir / 'endpoints.json'} does not describe a running keyless: {exc!r}") from None
    if r.status_code != 200:
        raise _fail(f"{r.status_code} {r.text}")
    return dict(r.json())


def _print_keys(keys: list[dict[str, Any]]) -> None:
    for key in keys:
        note = "" if key["published"] else "  (no longer published)"
        typer.echo(f"{key['state']:<8} {key['kid']}{note}")


@app.command("list")
def list_keys(data_dir: Path = DATA_DIR, as_json: bool = AS_JSON) -> None:
    """Show the signing keys: `active` signs, `next` is published ahead, `retired` stays published a while."""
    result = _call(data_dir, "GET", "/keyless/signingKeys")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_keys(result["value"])


@app.command()
def rotate(data_dir: Path = DATA_DIR, as_json: bool = AS_JSON) -> None:
    """Sign with the published `next` key from now on; the old key stays published until its tokens expire.

    Example: keyless keys rotate --data-dir /tmp/kl
    """
    result = _call(data_dir, "POST", "/keyless/signingKeys/rotate")
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(f"rotated: {result['retired']} -> {result['active']} (next {result['next']})")
