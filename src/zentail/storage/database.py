"""Engine and unit of work.

SQLite is the embedded default (WAL mode, so readers never wait for the writer; a busy
timeout, so concurrent writers queue instead of failing). PostgreSQL is used whenever
``ZENTAIL_DATABASE_URL`` points at one; ``postgresql://`` URLs use the psycopg 3 driver.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fcntl
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from zentail import generations
from zentail.storage.availability import engine_options
from zentail.storage.models import ShownByCachedReads


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
    handler (whose back-off, under contention, is what made writes' p99 seconds long).

    Re-entrant within one execution context (a nested unit of work in the same call), not
    within a thread: a unit of work opened by a framework on one pool thread may be closed on
    another, and the first thread goes on to serve other requests meanwhile, which must
    queue for the lock like everyone else.
    """
    held = _held_write_locks.get()
    if database_path in held:  # a nested unit of work in this context already holds it
        yield
        return
    fd = os.open(f"{database_path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held_write_locks.set(held | {database_path})
        yield
    finally:
        # set, not reset: the lock may be released from another context than took it
        _held_write_locks.set(held)
        os.close(fd)  # closing the descriptor releases the lock


_held_write_locks: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "zentail_sqlite_write_locks", default=frozenset()
)


def _note_account_data_changes(session: Session, _context: Any, _instances: Any) -> None:
    """Every flush that adds, changes or deletes a row of an account moves that account's
    data counter once the unit of work commits (:func:`zentail.generations.data_counter`):
    the one place where the fast lane's cached bodies are invalidated, whichever code path
    wrote (API, web UI, CLI)."""
    accounts = {
        account_id
        for instance in (*session.new, *session.dirty, *session.deleted)
        if isinstance(account_id := getattr(instance, "account_id", None), int)
    }
    if accounts:
        generations.after_commit(session, *map(generations.data_counter, accounts))


def _note_bulk_data_changes(state: ORMExecuteState) -> None:
    """A bulk ``INSERT``, ``UPDATE`` or ``DELETE`` over rows the cached bodies show moves
    every account's data generation once the unit of work commits (its rows never reach a
    flush)."""
    if (state.is_insert or state.is_update or state.is_delete) and any(
        issubclass(mapper.class_, ShownByCachedReads) for mapper in state.all_mappers
    ):
        generations.after_commit(state.session, generations.DATA_ALL)


# Write units of work open at once per process and event loop on PostgreSQL: the ORM pool's
# steady size, well below the thread pool's 40 workers.
WRITE_UNITS = 10

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
        event.listen(self._sessions, "before_flush", _note_account_data_changes)
        event.listen(self._sessions, "do_orm_execute", _note_bulk_data_changes)
        self.after_commit = after_commit
        database = make_url(self.url).database
        self._sqlite_path = database if self.is_sqlite and database else None
        self._write_slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

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

    @asynccontextmanager
    async def session_in_threads(self, *, write: bool = False) -> AsyncIterator[Session]:
        """:meth:`session` for a unit of work that a framework opens, uses and closes on
        different worker threads (a FastAPI dependency with ``yield``).

        A write unit can block its thread: on SQLite's write lock, on PostgreSQL's row locks
        or on a pool checkout. If such units held every worker thread, the unit they wait
        for could never get one to finish on (its endpoint, its response), and the wait
        would end only in timeouts. So write units queue here, on the event loop, a few at a
        time (one on SQLite, which has one writer anyway; :data:`WRITE_UNITS` on
        PostgreSQL), leaving the thread pool to the units that can run. Closing runs on a
        thread of its own, never queued behind the threads its commit is about to release.
        """
        slot: contextlib.AbstractAsyncContextManager[Any] = (
            self._write_slot() if write else contextlib.nullcontext()
        )
        async with slot:
            unit = self.session(write=write)
            session = await anyio.to_thread.run_sync(unit.__enter__)
            try:
                yield session
            except BaseException as error:
                own = anyio.CapacityLimiter(1)
                args = (type(error), error, error.__traceback__)
                if not await anyio.to_thread.run_sync(unit.__exit__, *args, limiter=own):
                    raise
            else:
                own = anyio.CapacityLimiter(1)
                await anyio.to_thread.run_sync(unit.__exit__, None, None, None, limiter=own)

    def _write_slot(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        slot = self._write_slots.get(loop)
        if slot is None:
            self._write_slots = {k: v for k, v in self._write_slots.items() if not k.is_closed()}
            units = 1 if self._sqlite_path else WRITE_UNITS
            slot = self._write_slots[loop] = asyncio.Semaphore(units)
        return slot

    def dispose(self) -> None:
        self.engine.dispose()
