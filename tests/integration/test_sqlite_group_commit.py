"""The SQLite gateway's group commit (``SqliteGateway.write``): units queued together commit
in one transaction, in order; when one fails, the group runs again unit by unit, so it fails
alone; every unit's answer comes only once its transaction has committed."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from zentail.storage.database import sqlite_write_lock
from zentail.storage.errors import DatabaseUnavailable
from zentail.storage.gateway import SqliteGateway, SqliteTransaction, Statement

INSERT = Statement.text(
    "INSERT INTO units (name) VALUES (?) RETURNING id",
    "INSERT INTO units (name) VALUES ($1) RETURNING id",
    ("name",),
)
COUNT = Statement.text("SELECT count(*) FROM units", "SELECT count(*) FROM units", ())


@pytest.fixture
def gateway(tmp_path: Path) -> Any:
    path = str(tmp_path / "units.db")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE units (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
    gateway = SqliteGateway(path)
    yield gateway
    gateway.close()


def names(path: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT name FROM units ORDER BY id")]


def insert(name: str, *, fail: bool = False) -> Any:
    def work(tx: SqliteTransaction) -> Any:
        (row_id,), *_ = tx.execute(INSERT, {"name": name})
        if fail:
            raise ValueError(f"{name} changed its mind")
        (count,), *_ = tx.execute(COUNT, {})
        return row_id, count

    return work


def test_units_queued_meanwhile_commit_together_in_order_and_a_failing_one_alone_rolls_back(
    gateway: SqliteGateway,
) -> None:
    async def scenario() -> list[Any]:
        # Another writer holds the lock: the first unit waits for it, the rest queue behind.
        with sqlite_write_lock(gateway.path):
            first = asyncio.ensure_future(gateway.write(insert("unit-0")))
            await asyncio.sleep(0.05)
            rest = [gateway.write(insert(f"unit-{n}", fail=n == 7)) for n in range(1, 50)]
            queued = asyncio.gather(*rest, return_exceptions=True)
            await asyncio.sleep(0.05)
        return [await first, *await queued]

    before = gateway.counter.count
    outcomes = asyncio.run(scenario())
    assert isinstance(outcomes[7], ValueError)
    succeeded = [o for n, o in enumerate(outcomes) if n != 7]
    # Each unit saw the units queued before it (its count), as if committed one by one.
    assert [count for _, count in succeeded] == list(range(1, 50))
    assert names(gateway.path) == [f"unit-{n}" for n in range(50) if n != 7]
    # The first unit alone (BEGIN, 2 statements, COMMIT); the 49 others together until unit 7
    # raised after its insert (BEGIN, 6 × 2 + 1 statements, rolled back); then each alone.
    assert gateway.counter.count - before == (2 + 2) + (1 + 6 * 2 + 1) + (48 * 4 + 2)


def test_units_queued_meanwhile_share_one_begin_and_one_commit(gateway: SqliteGateway) -> None:
    async def scenario() -> list[Any]:
        with sqlite_write_lock(gateway.path):
            first = asyncio.ensure_future(gateway.write(insert("unit-0")))
            await asyncio.sleep(0.05)
            queued = asyncio.gather(*(gateway.write(insert(f"unit-{n}")) for n in range(1, 50)))
            await asyncio.sleep(0.05)
        return [await first, *await queued]

    before = gateway.counter.count
    outcomes = asyncio.run(scenario())
    assert [count for _, count in outcomes] == list(range(1, 51))
    assert gateway.counter.count - before == (2 + 2) + (2 + 49 * 2)


def test_a_unit_alone_that_fails_rolls_back_its_transaction(gateway: SqliteGateway) -> None:
    with pytest.raises(ValueError, match="changed its mind"):
        asyncio.run(gateway.write(insert("lonely", fail=True)))
    assert names(gateway.path) == []
    asyncio.run(gateway.write(insert("next")))
    assert names(gateway.path) == ["next"]


def test_a_unit_that_breaks_a_constraint_fails_alone(gateway: SqliteGateway) -> None:
    async def scenario() -> list[Any]:
        works = [insert("same"), insert("same"), insert("other")]
        return await asyncio.gather(*(gateway.write(w) for w in works), return_exceptions=True)

    first, second, third = asyncio.run(scenario())
    assert not isinstance(first, BaseException)
    assert isinstance(second, sqlite3.IntegrityError)
    assert not isinstance(third, BaseException)
    assert names(gateway.path) == ["same", "other"]


def test_a_database_that_cannot_be_opened_fails_each_write_and_never_hangs(
    tmp_path: Path,
) -> None:
    gateway = SqliteGateway(str(tmp_path / "no-such-directory" / "units.db"))

    async def scenario() -> None:
        for _ in range(2):  # the writer thread keeps answering after a failed group
            with pytest.raises(DatabaseUnavailable):
                await asyncio.wait_for(gateway.write(insert("lost")), timeout=5)

    try:
        asyncio.run(scenario())
    finally:
        gateway.close()


def test_the_wal_is_copied_into_the_database_file_by_the_gateway_outside_the_write_lock(
    gateway: SqliteGateway,
) -> None:
    """Far fewer frames than SQLite's automatic checkpoint waits for (1,000 pages), and the
    cross-process write lock held by someone else meanwhile: only the gateway's own
    checkpointer, which never takes that lock, moves the rows into the database file."""
    before = Path(gateway.path).stat().st_size

    async def scenario() -> None:
        rows = (insert(f"unit-{n:04}-{'x' * 200}") for n in range(300))
        await asyncio.gather(*map(gateway.write, rows))

    asyncio.run(scenario())
    with sqlite_write_lock(gateway.path):
        deadline = time.monotonic() + 5
        while Path(gateway.path).stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)
        grown = Path(gateway.path).stat().st_size
    assert grown > before
    assert len(names(gateway.path)) == 300
