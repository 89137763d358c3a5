"""``zentail install`` and ``zentail uninstall``: what the platform's buttons do."""

from __future__ import annotations

import typer

from zentail.cli._app import JSON_OPTION, app, emit, unit_of_work
from zentail.domain import accounts, apps, installs
from zentail.domain.actors import Actor


@app.command("install")
def install(
    client_id: str,
    account: int = typer.Option(..., "--account", help="Account ID."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Install an app on an account and print the partner redirect URL (with a fresh code)."""
    with unit_of_work() as (platform, session):
        accounts.get_account(session, account)
        result = installs.install(
            session,
            platform.keyring,
            app=apps.get_app(session, client_id),
            account_id=account,
            actor=Actor.cli(),
            code_ttl=platform.settings.authorization_code_ttl,
        )
    emit({"redirect_url": result.redirect_url}, as_json, result.redirect_url)


@app.command("uninstall")
def uninstall(
    client_id: str,
    account: int = typer.Option(..., "--account", help="Account ID."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Uninstall an app: its tokens and unused codes for the account stop working at once."""
    with unit_of_work() as (_, session):
        installs.uninstall(
            session, app=apps.get_app(session, client_id), account_id=account, actor=Actor.cli()
        )
    emit(
        {"client_id": client_id, "account_id": account, "uninstalled": True},
        as_json,
        f"uninstalled {client_id} from account {account}",
    )
