"""The one place where the tenant (customer account) filter is applied.

Every read or write of an account-owned row goes through an :class:`AccountScope`, which is
built from the authenticated principal and cannot be widened. A row of another account is
simply not found: callers answer 404, never 403, so the existence of other tenants' data
does not leak.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from zentail.storage.models import TenantOwned

T = TypeVar("T", bound=TenantOwned)


class AccountScope:
    """A database session narrowed to one account."""

    def __init__(self, session: Session, account_id: int) -> None:
        self.session = session
        self.account_id = account_id

    def select(self, model: type[T]) -> Select[T]:
        """``SELECT model`` already filtered to this account; add more conditions freely."""
        return select(model).where(model.account_id == self.account_id)

    def get(self, model: type[T], **criteria: Any) -> T | None:
        """The single row of ``model`` in this account matching ``criteria``, or ``None``."""
        statement = self.select(model).filter_by(**criteria)
        return self.session.scalars(statement).one_or_none()

    def add(self, row: T) -> T:
        """Stamp ``row`` with this account and add it to the session."""
        row.account_id = self.account_id
        self.session.add(row)
        return row


def tenant_select(model: type[T], *columns: Any) -> Select[Any]:
    """The account filter for a prebuilt statement (:mod:`zentail.storage.gateway`):
    ``SELECT columns FROM model WHERE model.account_id = :account_id``. The statement cannot
    run without the ``account_id`` parameter, which only an authenticated principal supplies."""
    return select(*columns).where(model.account_id == bindparam("account_id"))
