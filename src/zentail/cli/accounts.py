"""``zentail accounts create|list``."""

from __future__ import annotations

import secrets

import typer

from zentail.cli._app import JSON_OPTION, app, emit, unit_of_work
from zentail.domain import accounts, users
from zentail.domain.actors import Actor

accounts_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")


@accounts_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Unique account name."),
    admin_email: str = typer.Option(..., "--admin-email", help="E-mail of the first admin."),
    admin_password: str = typer.Option(
        None, "--admin-password", help="Admin password (generated and printed if omitted)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an account with its first admin."""
    password = admin_password or secrets.token_urlsafe(12)
    with unit_of_work() as (_, session):
        account, admin = accounts.create_account(
            session,
            name=name,
            admin_email=admin_email,
            admin_password=password,
            actor=Actor.cli(),
        )
    data = {"account_id": account.id, "name": account.name, "admin_email": admin.email}
    if not admin_password:
        data["admin_password"] = password
    text = f"account {account.id} ({account.name}) created; admin {admin.email}"
    if not admin_password:
        text += f", password {password}"
    emit(data, as_json, text)


@accounts_app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List accounts."""
    with unit_of_work() as (_, session):
        rows = [{"account_id": a.id, "name": a.name} for a in accounts.list_accounts(session)]
    emit(rows, as_json, "\n".join(f"{r['account_id']}\t{r['name']}" for r in rows) or "no accounts")


@accounts_app.command("add-user")
def add_user(
    email: str = typer.Option(..., "--email"),
    password: str = typer.Option(..., "--password"),
    role: str = typer.Option("member", "--role", help="admin, member or staff."),
    account: int = typer.Option(None, "--account", help="Account ID (not for staff)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a user: an account admin or member, or a staff user (no --account)."""
    with unit_of_work() as (_, session):
        user = users.create_user(
            session,
            email=email,
            password=password,
            role=role,
            account_id=account,
            actor=Actor.cli(),
        )
    data = {"user_id": user.id, "email": user.email, "role": user.role, "account_id": account}
    emit(data, as_json, f"user {user.email} ({user.role}) created")
