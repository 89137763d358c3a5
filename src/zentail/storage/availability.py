"""Which database errors mean "unavailable", and the engine options that make an outage
fail fast instead of hanging.

Every edge answers these ``503`` with ``Retry-After``
(:class:`zentail.storage.errors.DatabaseUnavailable`): the database is restarting, failing
over, unreachable, or the pool is exhausted. Nothing was committed for the request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc

from zentail.storage.errors import DatabaseUnavailable

# Connection refused or lost, server shutting down, statement or lock timeout, SQLite busy
# beyond its timeout (OperationalError); a closed connection used (InterfaceError); a
# connection found dead by the pool (DisconnectionError); no pooled connection in time.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.DisconnectionError,
    exc.TimeoutError,
)
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (DatabaseUnavailable, *CONNECTION_ERRORS)

CONNECT_TIMEOUT_SECONDS = 3
STATEMENT_TIMEOUT_MS = 15_000
LOCK_TIMEOUT_MS = 10_000
POOL_TIMEOUT_SECONDS = 5


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, UNAVAILABLE_ERRORS)


def engine_options(url: str) -> dict[str, Any]:
    """Keyword arguments for ``sqlalchemy.create_engine(url, **…)`` (pooled engines) so
    that an outage is an error within seconds:

    - PostgreSQL (psycopg 3): connect within 3 s; TCP keepalives notice a dead peer;
      statements end after 15 s and lock waits after 10 s (server-side); a pooled
      connection is pinged before use (``pool_pre_ping``), so connections broken by a
      restart are replaced transparently; waiting for a free pooled connection gives up
      after 5 s (``pool_timeout``; SQLAlchemy's default is 30 s).
    - SQLite: only the pool wait; its busy timeout is set per connection already.
    """
    if url.startswith("sqlite"):
        return {"pool_timeout": POOL_TIMEOUT_SECONDS}
    return {
        "pool_pre_ping": True,
        "pool_timeout": POOL_TIMEOUT_SECONDS,
        "connect_args": {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "options": (
                f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
            ),
        },
    }
