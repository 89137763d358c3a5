"""``zentail db upgrade`` and ``zentail db purge``."""

from __future__ import annotations

import typer

from zentail.cli._app import JSON_OPTION, app, emit, fail, platform
from zentail.observability import purge
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


@db_app.command("purge")
def purge_command(as_json: bool = JSON_OPTION) -> None:
    """Delete expired codes, long-revoked or expired tokens, token failures older than a
    week and idle login-failure counts, in bounded batches: the purge the server runs by
    itself every ZENTAIL_PURGE_INTERVAL seconds.

    Rows are kept ZENTAIL_PURGE_RETENTION seconds after they die; each batch deletes at most
    ZENTAIL_PURGE_BATCH_SIZE rows of each kind in its own short transaction. Safe to run
    from cron while the platform serves: it takes the same lock as the server's own purge,
    and does nothing while a node holds it.
    """
    current = platform()
    try:
        result = purge.purge_once(current)
    finally:
        current.close()
    if not result.ran:
        emit({"ran": False}, as_json, "another node is purging now; nothing purged")
        return
    data = {
        "codes": result.codes,
        "tokens": result.tokens,
        "token_failures": result.token_failures,
        "login_failures": result.login_failures,
        "batches": result.batches,
    }
    text = (
        f"purged {result.codes} codes, {result.tokens} tokens, {result.token_failures} "
        f"token failures and {result.login_failures} login-failure counts "
        f"in {result.batches} batches"
    )
    emit(data, as_json, text)
