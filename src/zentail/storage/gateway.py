"""The request path's database access: prebuilt statements, executed without the ORM and
without blocking the event loop. See docs/decisions/0030-the-request-path.md.

- :class:`Statement` is SQL built once, at import, from SQLAlchemy Core (so table and column
  names have one source), compiled for SQLite and for PostgreSQL.
- :class:`SqliteGateway` reads on the caller's thread through a per-thread connection: in WAL
  mode a reader never waits for a lock, and one indexed read costs less than a hand-off to a
  thread. Writes run on one writer thread per process, each transaction behind an exclusive
  file lock that every zentail process takes before SQLite's own (``BEGIN IMMEDIATE``), so
  concurrent writers queue in the kernel instead of in SQLite's sleeping busy handler; units
  queued meanwhile commit together (:meth:`SqliteGateway.write`).
- :class:`PostgresGateway` runs everything on an asyncpg pool; asyncpg prepares each
  statement once per connection.

Either raises :class:`~zentail.storage.errors.DatabaseUnavailable` when the database cannot
be reached, which the edges answer with 503 and ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.sql import ClauseElement

from zentail.storage.database import sqlite_write_lock
from zentail.storage.errors import DatabaseUnavailable

T = TypeVar("T")
Row = tuple[Any, ...]

_SQLITE = sqlite_dialect.dialect(paramstyle="qmark")
_POSTGRESQL = asyncpg_dialect.dialect()  # type: ignore[no-untyped-call]
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores UTCDateTime on SQLite


@dataclass(frozen=True)
class Statement:
    """One statement, compiled for both databases, with its parameters' order and defaults."""

    sqlite: str
    postgresql: str
    sqlite_params: tuple[str, ...]
    postgresql_params: tuple[str, ...]
    defaults: Mapping[str, Any]

    @classmethod
    def build(cls, statement: ClauseElement) -> Statement:
        lite: Any = statement.compile(dialect=_SQLITE)
        pg: Any = statement.compile(dialect=_POSTGRESQL)
        defaults = {name: bind.value for name, bind in lite.binds.items() if not bind.required}
        return cls(
            lite.string,
            pg.string,
            tuple(lite.positiontup or ()),
            tuple(pg.positiontup or ()),
            defaults,
        )

    @classmethod
    def text(cls, sqlite: str, postgresql: str, params: Sequence[str]) -> Statement:
        """A statement Core cannot express on both databases, written out for each."""
        return cls(sqlite, postgresql, tuple(params), tuple(params), {})


def sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime(SQLITE_TIMESTAMP)
    return value


def timestamp(value: Any) -> dt.datetime | None:
    """A timestamp column as an aware UTC datetime, whichever driver read it."""
    if value is None:
        return None
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    result: dt.datetime = value
    return result.replace(tzinfo=dt.UTC) if result.tzinfo is None else result


class SqliteWork(Protocol):
    """A write unit run on the SQLite writer thread, inside ``BEGIN IMMEDIATE``. It may be
    run again after a rollback (see :meth:`SqliteGateway._commit_group`), so it must have
    no effect outside its transaction."""

    def __call__(self, tx: SqliteTransaction) -> Any: ...


class SqliteBatchable(SqliteWork, Protocol):
    """A unit that can also run beside others of its kind: ``batch(tx, units)`` returns the
    results ``[unit(tx) for unit in units]`` would have, in fewer statements. Consecutive
    queued units with the same ``batch`` are handed to it together."""

    @staticmethod
    def batch(tx: SqliteTransaction, units: Sequence[Any]) -> list[Any]: ...


class SqliteTransaction:
    """What a write unit on SQLite may do: execute prebuilt statements."""

    def __init__(self, connection: sqlite3.Connection, counter: StatementCounter) -> None:
        self._connection = connection
        self._counter = counter

    def execute(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        self._counter.count += 1
        values = [sqlite_value(_param(statement, params, n)) for n in statement.sqlite_params]
        return self._connection.execute(statement.sqlite, values).fetchall()

    def execute_raw(self, sql: str) -> None:
        """A statement of the transaction's own (``BEGIN``, ``COMMIT``), counted like the
        others."""
        self._counter.count += 1
        self._connection.execute(sql)


class StatementCounter:
    """Statements sent to the database by this process's gateway (for bench/)."""

    count = 0


def _param(statement: Statement, params: Mapping[str, Any], name: str) -> Any:
    return params[name] if name in params else statement.defaults[name]


def _connect_sqlite(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=30, cached_statements=512
    )
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


MAX_GROUP = 64  # units committed together at most


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        connection.execute("ROLLBACK")


def _run_together(
    connection: sqlite3.Connection, tx: SqliteTransaction, works: list[SqliteWork]
) -> list[tuple[bool, Any]] | None:
    """Every unit in one transaction, in order; ``None`` (all rolled back) if one raised."""
    tx.execute_raw("BEGIN IMMEDIATE")
    try:
        outcomes = [(True, result) for result in _results(tx, works)]
        tx.execute_raw("COMMIT")
    except BaseException as error:
        _rollback(connection)
        if isinstance(error, Exception):
            return None
        raise
    return outcomes


def _results(tx: SqliteTransaction, works: list[SqliteWork]) -> list[Any]:
    """Each unit's result, in order: a run of consecutive units that share a ``batch``
    function (see :class:`SqliteBatchable`) goes to it at once, any other unit alone."""
    results: list[Any] = []
    for batch, run in itertools.groupby(works, key=lambda work: getattr(work, "batch", None)):
        units = list(run)
        results.extend(batch(tx, units) if batch is not None else [unit(tx) for unit in units])
    return results


def _run_alone(
    connection: sqlite3.Connection, tx: SqliteTransaction, work: SqliteWork
) -> tuple[bool, Any]:
    """One unit in a transaction of its own: its result, or its exception (rolled back)."""
    try:
        tx.execute_raw("BEGIN IMMEDIATE")
        result = work(tx)
        tx.execute_raw("COMMIT")
    except BaseException as error:
        _rollback(connection)
        if isinstance(error, Exception):
            return False, error
        raise
    return True, result


def _settle(pairs: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    for future, (succeeded, value) in pairs:
        if future.done():  # its caller stopped waiting; the unit has committed regardless
            continue
        if succeeded:
            future.set_result(value)
        else:
            future.set_exception(value)


class SqliteGateway:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self.counter = StatementCounter()
        self._readers = threading.local()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zentail-sqlite-writer")
        self._write_connection: sqlite3.Connection | None = None
        self._queue: list[tuple[SqliteWork, asyncio.Future[Any], asyncio.AbstractEventLoop]] = []
        self._queue_lock = threading.Lock()
        self._draining = False  # a drain is queued or running on the writer thread
        self._checkpointer: Checkpointer | None = None

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._readers, "connection", None)
        if connection is None:
            connection = _connect_sqlite(self.path)
            # A reader in WAL mode waits for nothing but a checkpoint's brief wal-index lock.
            connection.execute("PRAGMA busy_timeout=200")
            self._readers.connection = connection
        return connection

    async def fetch_all(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        self.counter.count += 1
        values = [sqlite_value(_param(statement, params, n)) for n in statement.sqlite_params]
        try:
            return self._reader().execute(statement.sqlite, values).fetchall()
        except sqlite3.OperationalError as error:
            raise DatabaseUnavailable(str(error)) from error

    async def fetch_one(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

    async def write(self, work: SqliteWork) -> Any:
        """Run ``work`` in a write transaction on the writer thread; its result (or its
        exception) once that transaction has committed.

        Units queued while the writer is busy commit together (a group commit): one file
        lock, one ``BEGIN IMMEDIATE`` and one ``COMMIT`` for the group. A unit that raises
        fails alone: the group is then run again unit by unit. Units run in the order they
        were queued, each seeing the ones before it, as if they had committed one after
        another.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._queue_lock:
            self._queue.append((work, future, loop))
            start, self._draining = not self._draining, True
        if start:
            self._writer.submit(self._drain)
        try:
            return await future
        except sqlite3.OperationalError as error:
            raise DatabaseUnavailable(str(error)) from error

    def _drain(self) -> None:
        """The writer thread: commit queued units, a group at a time, until none is left."""
        while True:
            with self._queue_lock:
                group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
                if not group:
                    self._draining = False
                    return
            outcomes = self._commit_group([work for work, _, _ in group])
            settled: dict[asyncio.AbstractEventLoop, list[Any]] = {}
            for (_, future, loop), outcome in zip(group, outcomes, strict=True):
                settled.setdefault(loop, []).append((future, outcome))
            for loop, pairs in settled.items():
                with contextlib.suppress(RuntimeError):  # that loop has closed meanwhile
                    loop.call_soon_threadsafe(_settle, pairs)

    def _writer_connection(self) -> sqlite3.Connection:
        if self._write_connection is None:
            connection = _connect_sqlite(self.path)
            connection.execute("PRAGMA busy_timeout=30000")
            # Checkpoints run on a thread of their own, never inside the write lock.
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = Checkpointer(self.path)
            self._write_connection = connection
        return self._write_connection

    def _commit_group(self, works: list[SqliteWork]) -> list[tuple[bool, Any]]:
        """Each unit's outcome; never raises, so the writer thread always goes on draining
        and every caller gets an answer.

        The group runs as one transaction. If a unit raises, that transaction is rolled back
        and each unit then runs alone, in order, in a transaction of its own: so a unit that
        fails fails alone, and each sees the units before it that succeeded."""
        try:
            connection = self._writer_connection()
            tx = SqliteTransaction(connection, self.counter)
            with sqlite_write_lock(self.path):
                together = _run_together(connection, tx, works) if len(works) > 1 else None
                if together is not None:
                    return together
                return [_run_alone(connection, tx, work) for work in works]
        except BaseException as error:  # no transaction could run: each unit failed
            return [(False, error)] * len(works)

    async def aclose(self) -> None:
        return None

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._write_connection is not None:
            self._write_connection.close()


CHECKPOINT_SECONDS = 0.25


class Checkpointer:
    """Copies the WAL back into the database file every :data:`CHECKPOINT_SECONDS`, on a
    thread and connection of its own (a ``PASSIVE`` checkpoint: it waits for no reader or
    writer). SQLite's automatic checkpoint ran inside the committing transaction's ``COMMIT``,
    so inside the cross-process write lock that every other writer waits for
    (docs/decisions/0072)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="zentail-sqlite-checkpointer", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        connection = _connect_sqlite(self._path)
        try:
            while not self._stopped.wait(CHECKPOINT_SECONDS):
                with contextlib.suppress(sqlite3.Error):  # busy, or the file gone: next time
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


PG_UNAVAILABLE: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)


def _pg_unavailable() -> tuple[type[BaseException], ...]:
    import asyncpg

    return (
        *PG_UNAVAILABLE,
        asyncpg.PostgresConnectionError,
        asyncpg.InterfaceError,
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
        # A connection caught mid-message by a server shutdown can be handed out again in
        # a state it cannot leave ("another operation is in progress").
        asyncpg.InternalClientError,
    )


class PostgresGateway:
    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10, timeout: float = 5.0) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self.dsn = parsed.render_as_string(hide_password=False)
        self.counter = StatementCounter()
        self._pool_size = pool_size
        self._timeout = timeout
        self._pools: dict[asyncio.AbstractEventLoop, Any] = {}
        self._pool_lock = asyncio.Lock
        self._unavailable = _pg_unavailable()
        # Called with +1 when a connection leaves a pool and -1 when it returns (a metric).
        self.on_pool_change: Callable[[int], object] = _ignore

    async def _pool(self) -> Any:
        # A pool per event loop: asyncpg connections belong to the loop that opened them.
        import asyncpg

        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            self._forget_closed_loops()
            pool = asyncpg.create_pool(
                self.dsn,
                min_size=0,
                max_size=self._pool_size,
                command_timeout=self._timeout,
                timeout=self._timeout,
                max_inactive_connection_lifetime=60,
            )
            self._pools[loop] = pool
            try:
                await pool
            except BaseException:
                del self._pools[loop]
                raise
        elif not getattr(pool, "_initialized", True):
            await pool
        return pool

    @contextlib.asynccontextmanager
    async def _connection(self) -> Any:
        try:
            pool = await self._pool()
            async with pool.acquire(timeout=self._timeout) as connection:
                self.on_pool_change(1)
                try:
                    yield connection
                except self._unavailable:
                    connection.terminate()  # never back into the pool in that state
                    raise
                finally:
                    self.on_pool_change(-1)
        except self._unavailable as error:
            raise DatabaseUnavailable(type(error).__name__) from error

    @property
    def in_use(self) -> int:
        """Connections checked out of this process's pools right now."""
        return sum(p.get_size() - p.get_idle_size() for p in self._pools.values())

    async def fetch_all(self, statement: Statement, params: Mapping[str, Any]) -> list[Row]:
        self.counter.count += 1
        values = [_param(statement, params, n) for n in statement.postgresql_params]
        async with self._connection() as connection:
            records = await connection.fetch(statement.postgresql, *values)
        return [tuple(record) for record in records]

    async def fetch_one(self, statement: Statement, params: Mapping[str, Any]) -> Row | None:
        rows = await self.fetch_all(statement, params)
        return rows[0] if rows else None

    async def aclose(self) -> None:
        """Close the running loop's pool (a server's shutdown, a test client's exit)."""
        pool = self._pools.pop(asyncio.get_running_loop(), None)
        if pool is not None:
            await pool.close()
        self._forget_closed_loops()

    def _forget_closed_loops(self) -> None:
        # A pool whose loop has closed is unusable and holds nothing worth closing.
        self._pools = {loop: p for loop, p in self._pools.items() if not loop.is_closed()}

    def close(self) -> None:
        self._forget_closed_loops()
        for pool in self._pools.values():
            pool.terminate()
        self._pools = {}


def _ignore(_delta: int) -> None:
    pass


Gateway = SqliteGateway | PostgresGateway


def create_gateway(url: str) -> Gateway:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("the SQLite database must be a file (WAL mode needs one)")
        return SqliteGateway(parsed.database)
    return PostgresGateway(url)
