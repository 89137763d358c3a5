"""People who log in: passwords hashed with argon2id, lockout of an e-mail address after
repeated failures."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zentail.crypto import Keyring
from zentail.domain import audit
from zentail.domain.actors import Actor
from zentail.domain.errors import Conflict, InvalidInput
from zentail.storage.database import Database
from zentail.storage.models import LoginFailures, User, utcnow

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
    """Wrong e-mail or password, or the address is locked out (``locked`` tells which)."""

    def __init__(self, *, locked: bool) -> None:
        super().__init__("locked" if locked else "invalid credentials")
        self.locked = locked


@dataclass(frozen=True)
class LockoutPolicy:
    """``max_failures`` consecutive failures lock an e-mail address for ``lockout_seconds``."""

    max_failures: int
    lockout_seconds: int


def log_in(
    db: Database,
    keyring: Keyring,
    *,
    email: str,
    password: str,
    policy: LockoutPolicy,
    actor: Actor,
) -> User:
    """Return the user if ``password`` is right and the address is not locked out; raise
    :class:`LoginRefused` otherwise.

    Failures are counted per e-mail address whether or not a user has it, with the same
    work (one argon2 verification) and the same answers, so that neither the message, the
    status nor the lockout tells an existing address from an unknown one. While locked, even
    the right password is refused.

    Three steps, so that the slow argon2 verification never runs while a write lock is held
    (on SQLite that lock is the whole database's): a read, the verification outside any
    transaction, then one short write that records the outcome. Each failure is one atomic
    upsert, so concurrent failures are all counted.
    """
    normalized = email.strip().lower()
    key = keyring.digest(f"zentail/login-email:{normalized}")
    with db.session() as session:
        user = session.scalar(select(User).where(func.lower(User.email) == normalized))
        if _locked(session, key):
            raise LoginRefused(locked=True)
    verified = _verify(user.password_hash if user else _DUMMY_HASH, password)
    with db.session(write=True) as session:
        if user is None or not verified:
            _record_failure(session, key, user, policy, actor)
        elif _locked(session, key):  # locked by concurrent failures since the read
            raise LoginRefused(locked=True)
        else:
            session.execute(delete(LoginFailures).where(LoginFailures.email_digest == key))
            if _hasher.check_needs_rehash(user.password_hash):
                session.execute(
                    update(User)
                    .where(User.id == user.id)
                    .values(password_hash=_hasher.hash(password))
                )
            return user
    raise LoginRefused(locked=False)


def _locked(session: Session, key: str) -> bool:
    locked_until = session.scalar(
        select(LoginFailures.locked_until).where(LoginFailures.email_digest == key)
    )
    return locked_until is not None and locked_until > utcnow()


def _record_failure(
    session: Session, key: str, user: User | None, policy: LockoutPolicy, actor: Actor
) -> None:
    """Count one failure atomically (``INSERT … ON CONFLICT DO UPDATE … RETURNING``, which
    also locks the row on PostgreSQL); the failure that reaches ``max_failures`` locks the
    address and starts the count again."""
    now = utcnow()
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    failures = session.scalar(
        insert(LoginFailures)
        .values(email_digest=key, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[LoginFailures.email_digest],
            set_={"failures": LoginFailures.failures + 1, "last_failure_at": now},
        )
        .returning(LoginFailures.failures)
    )
    account_id = user.account_id if user else None
    if user is not None:
        audit.record(session, "user.login_failed", actor, account_id=account_id)
    if failures is not None and failures >= policy.max_failures:
        session.execute(
            update(LoginFailures)
            .where(LoginFailures.email_digest == key)
            .values(failures=0, locked_until=now + dt.timedelta(seconds=policy.lockout_seconds))
        )
        if user is not None:
            audit.record(session, "user.locked", actor, account_id=account_id)


def purge_login_failures(session: Session, *, now: dt.datetime, idle_seconds: int) -> int:
    """Forget the failures of addresses that have been idle ``idle_seconds`` and are not
    locked (keeps the table bounded, whatever addresses are tried). Returns the rows gone."""
    cutoff = now - dt.timedelta(seconds=idle_seconds)
    result = session.execute(
        delete(LoginFailures).where(
            LoginFailures.last_failure_at < cutoff,
            or_(LoginFailures.locked_until.is_(None), LoginFailures.locked_until < now),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
