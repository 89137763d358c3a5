"""Credential generations: how every process learns, before it answers, that a credential it
may have cached has changed.

A counter in Redis is incremented *after* the database commit of every change that can make a
credential stop working (a token revoked, replaced or uninstalled; an app suspended, deleted
or edited; a secret rotated). The API's token check and the token endpoint's client check read
the counters in the round trip they make to Redis anyway (the rate limit, the throttle) and
trust a cached credential only if the counters it was cached under are unchanged. Because a
cache entry is stamped with counters read *before* the database read that filled it, a change
committed after that read always moves a counter the entry was stamped with.

``epoch`` (set once per Redis data set) guards against a Redis restart: counters that vanish
read as new values, so nothing cached before the restart is trusted after it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

ALL = "gen:all"
"""Moves on every change but a single token's replacement: app, secret, installation, and
account-token changes. They are rare; every cache refills once."""

PENDING = "zentail.generations"  # Session.info key: counters to move after commit


def token_counter(digest: str) -> str:
    """The counter of one token (its replacement by a new exchange moves only this one)."""
    return f"gen:tok:{digest[:32]}"


DATA_ALL = "gen:data:all"
"""Moves on a bulk statement over rows the cached bodies show (every account's bodies
refill); read beside the account's own counter."""


def data_counter(account_id: int) -> str:
    """The counter of an account's data: moved by every unit of work that changes one of the
    account's rows (:class:`zentail.storage.database.Database`), it vouches for the fast
    lane's cached bodies (:mod:`zentail.response_cache`)."""
    return f"gen:data:{account_id}"


def after_commit(session: Session, *counters: str) -> None:
    """Move ``counters`` once this unit of work commits (see
    :meth:`zentail.storage.database.Database.session`); ``ALL`` when none are named."""
    session.info.setdefault(PENDING, set()).update(counters or (ALL,))
