"""People who log in: passwords hashed with argon2id, lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import Conflict, InvalidInput
from zentail.storage.models import User, utcnow

ROLES = ("staff", "admin", "member", "developer")
MIN_PASSWORD_LENGTH = 10
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both cases cost the same.
_DUMMY_HASH = _hasher.hash("zentail-timing-equalizer")


def normalize_email(email: str, field: str = "email") -> str:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise InvalidInput(field, "is not an e-mail address")
    return email


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    account_id: int | None,
    actor: Actor,
    partner_id: int | None = None,
) -> User:
    """Create a user. Staff belong to nothing, admins and members to one account, and
    developers to one partner organisation (never to an account)."""
    email = normalize_email(email)
    if role not in ROLES:
        raise InvalidInput("role", f"must be one of {', '.join(ROLES)}")
    if (role == "developer") != (partner_id is not None):
        raise InvalidInput("role", "developers, and only they, belong to a partner")
    if (role in ("staff", "developer")) != (account_id is None):
        raise InvalidInput("role", "staff belong to no account; admins and members to one")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise Conflict(f"a user with e-mail {email} already exists")
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        role=role,
        account_id=account_id,
        partner_id=partner_id,
    )
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor, account_id=account_id, user_id=user.id, role=role)
    return user


class LoginRefused(Exception):
    """Wrong e-mail or password, or the user is locked out (``locked`` tells which)."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "invalid credentials")
        self.locked = locked


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    max_failures: int,
    lockout_seconds: int,
    actor: Actor,
) -> User:
    """Return the user if ``password`` is right and the user is not locked out.

    After ``max_failures`` consecutive failures the user is locked for ``lockout_seconds``;
    while locked, even the right password is refused.
    """
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        _verify(_DUMMY_HASH, password)
        raise LoginRefused(locked=False)
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise LoginRefused(locked=True)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        audit.record(session, "user.login_failed", actor, account_id=user.account_id)
        if user.failed_logins >= max_failures:
            user.locked_until = now + dt.timedelta(seconds=lockout_seconds)
            user.failed_logins = 0
            audit.record(session, "user.locked", actor, account_id=user.account_id)
        raise LoginRefused(locked=False)
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def list_users(session: Session, *, account_id: int | None = None) -> list[User]:
    statement = select(User).order_by(User.id)
    if account_id is not None:
        statement = statement.where(User.account_id == account_id)
    return list(session.scalars(statement))


def end_all_sessions(session: Session, user_id: int) -> None:
    """Invalidate every web session of the user (signed cookies carry the epoch)."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_epoch += 1
