"""Engine and unit of work.

SQLite is the embedded default (WAL mode, so readers never wait for the writer; a busy
timeout, so concurrent writers queue instead of failing). PostgreSQL is used whenever
``ZENTAIL_DATABASE_URL`` points at one; ``postgresql://`` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from zentail import generations
from zentail.storage.availability import engine_options


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


WRITE_OPTION = "zentail_write"


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin) instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Write transactions take SQLite's write lock up front (``BEGIN IMMEDIATE``): a deferred
    transaction that reads and then writes fails with SQLITE_BUSY if another writer committed
    in between, whereas an immediate one just waits its turn (busy_timeout)."""
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(url: str, *, pooled: bool = True) -> Engine:
    """An engine for ``url``; ``pooled=False`` for one-shot work such as migrations.

    ``hide_parameters``: a database error never carries bound values (digests, e-mail
    addresses) into exception messages or logs.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        options: dict[str, Any] = {} if pooled else {"poolclass": NullPool}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            **options,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if not pooled:
        return create_engine(url, poolclass=NullPool, hide_parameters=True)
    return create_engine(
        url, pool_size=10, max_overflow=20, hide_parameters=True, **engine_options(url)
    )


@contextlib.contextmanager
def sqlite_write_lock(database_path: str) -> Iterator[None]:
    """The lock every zentail process takes before SQLite's own write lock: waiting writers
    queue in the kernel and wake the moment it is free, instead of polling in SQLite's busy
    handler (whose back-off, under contention, is what made writes' p99 seconds long)."""
    held: set[str] = _held_write_locks.__dict__.setdefault("paths", set())
    if database_path in held:  # a nested unit of work on this thread already holds it
        yield
        return
    fd = os.open(f"{database_path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.add(database_path)
        yield
    finally:
        held.discard(database_path)
        os.close(fd)  # closing the descriptor releases the lock


_held_write_locks = threading.local()


AfterCommit = Callable[[set[str]], object]


class Database:
    """The engine plus a session factory; one per application instance.

    ``after_commit`` is called with the credential generations a unit of work asked to move
    (:func:`zentail.generations.after_commit`), once it has committed.
    """

    def __init__(self, url: str, *, after_commit: AfterCommit | None = None) -> None:
        self.url = normalize_url(url)
        self.engine = create_db_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.after_commit = after_commit
        database = make_url(self.url).database
        self._sqlite_path = database if self.is_sqlite and database else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception.

        Pass ``write=True`` for units that write: on SQLite they then queue for the write
        lock at the start instead of failing halfway.
        """
        lock = (
            sqlite_write_lock(self._sqlite_path)
            if write and self._sqlite_path
            else contextlib.nullcontext()
        )
        with lock, self._sessions() as session:
            with session.begin():
                if write:
                    session.connection(execution_options={WRITE_OPTION: True})
                yield session
            moved = session.info.pop(generations.PENDING, None)
        if moved and self.after_commit is not None:
            self.after_commit(moved)

    def dispose(self) -> None:
        self.engine.dispose()
