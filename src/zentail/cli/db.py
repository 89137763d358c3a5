"""``zentail db upgrade``."""

from __future__ import annotations

import typer

from zentail.cli._app import app, fail
from zentail.settings import Settings
from zentail.storage.migrate import upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Apply migrations to ZENTAIL_DATABASE_URL."""
    try:
        settings = Settings()
    except ValueError as error:
        fail(f"invalid settings: {error}")
    upgrade(settings.database_url)
    typer.echo("database is up to date")
