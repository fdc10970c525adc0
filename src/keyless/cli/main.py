"""The `keyless` command."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import typer

from keyless.cli.ad import app as ad_app
from keyless.cli.ad import assign_app
from keyless.cli.apim import app as apim_app
from keyless.cli.expr import expr
from keyless.cli.identity import app as identity_app
from keyless.cli.keys import app as keys_app
from keyless.cli.workflow import app as workflow_app
from keyless.platform.settings import Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Azure's passwordless chain on one machine.")
app.add_typer(keys_app, name="keys")
app.add_typer(identity_app, name="identity")
app.add_typer(apim_app, name="apim")
app.add_typer(workflow_app, name="workflow")
app.add_typer(ad_app, name="ad")
app.add_typer(assign_app, name="role")
app.command("expr")(expr)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (uvicorn[standard] brings it): the gateway and token paths are loop-bound."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@app.callback()
def main() -> None:
    """keyless: Entra ID, API Management and Logic Apps, compatible, on one machine."""


@app.command()
def up(
    data_dir: Path = typer.Option(Path(".keyless"), "--data-dir", help="Where keyless keeps its state."),
    port: int = typer.Option(
        0, "--port", help="0: free ephemeral ports; N: login N, graph N+1, management N+2, identity N+3."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="The address every listener binds."),
    database_url: str = typer.Option(
        None, "--database-url", envvar="KEYLESS_DATABASE_URL", help="PostgreSQL URL; default SQLite in the data dir."
    ),
    admin_client_id: str = typer.Option(None, "--admin-client-id", envvar="KEYLESS_ADMIN_CLIENT_ID"),
    admin_client_secret: str = typer.Option(None, "--admin-client-secret", envvar="KEYLESS_ADMIN_CLIENT_SECRET"),
    gateway_workers: int = typer.Option(
        1, "--gateway-workers", min=1, max=64, help="Processes serving the API Management gateways (SO_REUSEPORT)."
    ),
) -> None:
    """Start every service; write DATA_DIR/endpoints.json when ready; stop on Ctrl-C or SIGTERM.

    Example: keyless up --data-dir /tmp/kl --port 0 --gateway-workers 2
    """
    from keyless.platform.logs import configure
    from keyless.server import serve

    configure()  # INFO diagnostics (refusals, tokens issued, correlation ids) on stderr, never secrets
    settings = Settings.from_env(
        data_dir,
        port=port,
        host=host,
        database_url=database_url,
        admin_client_id=admin_client_id,
        admin_client_secret=admin_client_secret,
        gateway_workers=gateway_workers,
    )
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(serve(settings))


@app.command("gateway-worker", hidden=True)
def gateway_worker(
    data_dir: Path = typer.Option(..., "--data-dir"),
    host: str = typer.Option("127.0.0.1", "--host"),
    database_url: str = typer.Option(None, "--database-url", envvar="KEYLESS_DATABASE_URL"),
) -> None:
    """One more process serving the gateways of the keyless at DATA_DIR (started by `keyless up`)."""
    from keyless.gateway.workers import run_worker
    from keyless.platform.logs import configure

    configure()
    # Not from_env: a worker must never act on KEYLESS_ADMIN_* (that would replace the admin secret).
    settings = Settings(
        data_dir=Path(data_dir).resolve(),
        host=host,
        database_url=database_url or None,
        redis_url=os.environ.get("KEYLESS_REDIS_URL") or None,
    )
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(run_worker(settings))


@app.command()
def demo(
    data_dir: Path = typer.Option(None, "--data-dir", help="Keep the demo's state here (default: a temp dir)."),
) -> None:
    """Run the seed scenario's identity chain end to end through the public APIs, with evidence.

    Example: keyless demo
    """
    from keyless.demo import main as run_demo

    raise typer.Exit(run_demo(data_dir))


if __name__ == "__main__":
    app()
