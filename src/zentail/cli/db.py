"""``zentail db upgrade`` and ``zentail db purge``."""

from __future__ import annotations

import typer

from zentail.cli._app import JSON_OPTION, app, emit, fail, platform
from zentail.domain import authorization
from zentail.settings import Settings
from zentail.storage.migrate import upgrade
from zentail.storage.models import utcnow

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


@db_app.command("purge")
def purge_command(as_json: bool = JSON_OPTION) -> None:
    """Delete expired codes and long-revoked or expired tokens, in bounded batches.

    Rows are kept ZENTAIL_PURGE_RETENTION seconds after they die; each batch deletes at most
    ZENTAIL_PURGE_BATCH_SIZE codes and as many tokens in its own short transaction. Safe to run
    from cron while the platform serves.
    """
    current = platform()
    settings = current.settings
    codes = tokens = batches = 0
    try:
        while True:
            with current.db.session(write=True) as session:
                counts = authorization.purge_batch(
                    session,
                    now=utcnow(),
                    retention=settings.purge_retention,
                    batch_size=settings.purge_batch_size,
                )
            codes, tokens = codes + counts.codes, tokens + counts.tokens
            batches += 1
            if counts.largest < settings.purge_batch_size:
                break
    finally:
        current.close()
    data = {"codes": codes, "tokens": tokens, "batches": batches}
    emit(data, as_json, f"purged {codes} codes and {tokens} tokens in {batches} batches")
