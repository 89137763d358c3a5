"""``zentail serve [--host H] [--port P] [--demo]``."""

from __future__ import annotations

import logging.config

import typer
import uvicorn

from zentail import demo
from zentail.cli._app import app, platform
from zentail.logging import logging_config
from zentail.storage.migrate import upgrade


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    seed_demo: bool = typer.Option(
        False, "--demo", help="Seed demo data into an empty database and print how to log in."
    ),
    migrate: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Apply database migrations before serving."
    ),
) -> None:
    """Serve the platform: web UI, /v1/token and the Open API."""
    log_config = logging_config()
    logging.config.dictConfig(log_config)
    current = platform()
    if migrate:
        upgrade(current.settings.database_url)
    if seed_demo:
        if current.settings.env == "production":
            typer.echo("error: --demo is refused when ZENTAIL_ENV=production", err=True)
            raise typer.Exit(2)
        summary = demo.seed(current)
        _print_demo(summary, f"http://{host}:{port}")
    current.close()
    uvicorn.run(
        "zentail.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        log_config=log_config,
    )


def _print_demo(summary: demo.DemoSummary | None, base_url: str) -> None:
    if summary is None:
        typer.echo("demo: the database already has data; nothing seeded")
        return
    typer.echo(
        f"""
demo data seeded
  platform:        {base_url}/
  account admin:   {demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}   (account {summary.account_id})
  staff:           {demo.STAFF_EMAIL} / {demo.STAFF_PASSWORD}
  partner app:     Demo Partner
    client_id:     {summary.client_id}
    client_secret: {summary.client_secret}
    redirect_uri:  {summary.redirect_uri}
"""
    )
