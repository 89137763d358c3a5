"""Customer accounts (the tenants)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zentail.domain import audit, users
from zentail.domain.actors import Actor
from zentail.domain.errors import Conflict, InvalidInput, NotFound
from zentail.storage.models import Account, User


def create_account(
    session: Session, *, name: str, admin_email: str, admin_password: str, actor: Actor
) -> tuple[Account, User]:
    """Create an account and its first admin user."""
    name = name.strip()
    if not name:
        raise InvalidInput("name", "must not be empty")
    if session.scalar(select(Account.id).where(func.lower(Account.name) == name.lower())):
        raise Conflict(f"an account named {name!r} already exists")
    account = Account(name=name)
    session.add(account)
    session.flush()
    audit.record(session, "account.created", actor, account_id=account.id, name=name)
    admin = users.create_user(
        session,
        email=admin_email,
        password=admin_password,
        role="admin",
        account_id=account.id,
        actor=actor,
    )
    return account, admin


def list_accounts(session: Session) -> list[Account]:
    return list(session.scalars(select(Account).order_by(Account.id)))


def get_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"no account {account_id}")
    return account
