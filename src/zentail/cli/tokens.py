"""``zentail tokens create|list|revoke``: ad-hoc account API tokens."""

from __future__ import annotations

import typer

from zentail.cli._app import JSON_OPTION, app, emit, unit_of_work
from zentail.domain import accounts, tokens
from zentail.domain.actors import Actor
from zentail.storage.tenancy import AccountScope

tokens_app = typer.Typer(help="Ad-hoc account API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def create(
    account: int = typer.Option(..., "--account", help="Account ID."),
    label: str = typer.Option(..., "--label"),
    scopes: str = typer.Option(None, "--scopes", help="Fewer scopes than all (space-separated)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate a token for the account; printed once."""
    with unit_of_work() as (platform, session):
        accounts.get_account(session, account)
        row, raw = tokens.create_account_token(
            AccountScope(session, account),
            platform.keyring,
            label=label,
            scopes=scopes,
            actor=Actor.cli(),
        )
    emit(
        {"token": raw, "token_id": row.id, "label": row.label, "scopes": row.scopes.split()},
        as_json,
        raw,
    )


@tokens_app.command("list")
def list_(account: int = typer.Option(..., "--account"), as_json: bool = JSON_OPTION) -> None:
    """List the account's ad-hoc tokens (never their values)."""
    with unit_of_work() as (_, session):
        rows = [
            {
                "token_id": t.id,
                "label": t.label,
                "scopes": t.scopes.split(),
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
            }
            for t in tokens.list_account_tokens(AccountScope(session, account))
        ]
    emit(rows, as_json, "\n".join(f"{r['token_id']}\t{r['label']}" for r in rows) or "no tokens")


@tokens_app.command("revoke")
def revoke(
    token_id: int, account: int = typer.Option(..., "--account"), as_json: bool = JSON_OPTION
) -> None:
    """Revoke an ad-hoc token."""
    with unit_of_work() as (_, session):
        tokens.revoke_account_token(AccountScope(session, account), token_id, actor=Actor.cli())
    emit({"token_id": token_id, "revoked": True}, as_json, f"revoked token {token_id}")
