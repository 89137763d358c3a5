"""``zentail serve [--host H] [--port P] [--demo]``.

When ``ZENTAIL_ISSUER`` is not set, the issuer (the base URL the metadata, page links and
``nextToken`` URLs advertise) is derived from ``--host`` and ``--port``, so a sandbox on
another port describes itself truthfully.
"""

from __future__ import annotations

import ipaddress
import logging.config
import os

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
    demo_redirect_uri: str = typer.Option(
        demo.PARTNER_APP_REDIRECT_URI,
        "--demo-redirect-uri",
        help="The demo partner app's redirect URI, when seeding (scripts/sandbox sets it).",
    ),
    migrate: bool = typer.Option(
        True, "--migrate/--no-migrate", help="Apply database migrations before serving."
    ),
) -> None:
    """Serve the platform: web UI, /v1/token and the Open API."""
    log_config = logging_config()
    logging.config.dictConfig(log_config)
    _derive_issuer(host, port)
    current = platform()
    if migrate:
        upgrade(current.settings.database_url)
    if seed_demo:
        if current.settings.env == "production":
            typer.echo("error: --demo is refused when ZENTAIL_ENV=production", err=True)
            raise typer.Exit(2)
        seeded = demo.seed(current, redirect_uri=demo_redirect_uri)
        _print_demo(seeded or demo.existing(current), current.settings.issuer, seeded is not None)
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


ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104 - compared with, never bound


def derived_issuer(host: str, port: int) -> str:
    """``http://<host>:<port>`` for the address served (loopback for a wildcard bind)."""
    if host in ANY_ADDRESS:
        host = "127.0.0.1"
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


def _derive_issuer(host: str, port: int) -> None:
    """Set ``ZENTAIL_ISSUER`` for this process and its workers unless it was set explicitly
    (the workers read their settings from the environment)."""
    if "ZENTAIL_ISSUER" not in os.environ:
        os.environ["ZENTAIL_ISSUER"] = derived_issuer(host, port)


def _print_demo(summary: demo.DemoSummary | None, base_url: str, seeded: bool) -> None:
    """Print where to log in on every ``--demo`` start, whether seeded now or before."""
    if summary is None:
        typer.echo("demo: the database holds other data; nothing seeded")
        return
    heading = "demo data seeded" if seeded else "demo data (seeded on an earlier start)"
    typer.echo(
        f"""
{heading}
  platform:        {base_url}/
  account admin:   {demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}   (account {summary.account_id})
  staff:           {demo.STAFF_EMAIL} / {demo.STAFF_PASSWORD}
  developer:       {demo.DEVELOPER_EMAIL} / {demo.DEVELOPER_PASSWORD}   (developer console)
  partner app:     Demo Partner
    client_id:     {summary.client_id}
    client_secret: {summary.client_secret}
    redirect_uri:  {summary.redirect_uri}
"""
    )
