"""``zentail serve [--host H] [--port P] [--demo]``.

When ``ZENTAIL_ISSUER`` is not set, the issuer (the base URL the metadata, page links and
``nextToken`` URLs advertise) is derived from ``--host`` and ``--port``, so a sandbox on
another port describes itself truthfully.
"""

from __future__ import annotations

import ipaddress
import logging.config
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import typer
import uvicorn

from zentail import demo
from zentail.cli._app import app, platform
from zentail.http_server import HttpProtocol
from zentail.logging import logging_config
from zentail.storage.migrate import upgrade

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# On SIGTERM the server stops accepting at once and gives in-flight requests this long.
GRACEFUL_SHUTDOWN_SECONDS = 30


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
    _derive_issuer(host, port)
    current = platform()
    log_config = logging_config(log_format=current.settings.log_format)
    logging.config.dictConfig(log_config)
    if migrate:
        upgrade(current.settings.database_url)
    if seed_demo:
        if current.settings.env == "production":
            typer.echo("error: --demo is refused when ZENTAIL_ENV=production", err=True)
            raise typer.Exit(2)
        seeded = demo.seed(current, redirect_uri=demo_redirect_uri)
        _print_demo(seeded or demo.existing(current), current.settings.issuer, seeded is not None)
    current.close()
    # uvicorn re-raises the signal it stopped on once it has shut down gracefully; with this
    # handler in place that is a no-op, so a SIGTERM'd server exits 0 (a clean stop).
    signal.signal(signal.SIGTERM, _stopped)
    with metrics_directory():
        uvicorn.run(
            "zentail.app:create_app",
            factory=True,
            http=HttpProtocol,  # uvicorn's httptools protocol, one write per response
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            log_level="info",
            log_config=log_config,
            access_log=False,  # zentail.access writes the one access line per request
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )


def _stopped(_signal: int, _frame: object) -> None:
    """SIGTERM after the graceful shutdown: nothing left to do."""


@contextmanager
def metrics_directory() -> Iterator[None]:
    """A fresh private directory for the workers' metric files (prometheus-client's
    multiprocess mode), removed on exit; an operator's own ``PROMETHEUS_MULTIPROC_DIR``
    is used as it is."""
    if os.environ.get(METRICS_DIR):
        yield
        return
    directory = tempfile.mkdtemp(prefix="zentail-metrics-")  # mode 0700
    os.environ[METRICS_DIR] = directory
    try:
        yield
    finally:
        del os.environ[METRICS_DIR]
        shutil.rmtree(directory, ignore_errors=True)


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
