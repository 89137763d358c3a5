"""The server's own purge of expired codes, dead tokens and idle login-failure counts.

Every ``ZENTAIL_PURGE_INTERVAL`` seconds (0: never) each node tries; one node at a time
does the work. On PostgreSQL that is a session-level advisory lock
(``pg_try_advisory_lock``) held on a connection of its own for the whole purge: a node that
does not get it skips this round. On SQLite (one database file, one server) no lock is
needed beyond the single-writer lock every write unit of work takes.

The work runs in a thread, in bounded batches (``ZENTAIL_PURGE_BATCH_SIZE`` rows, one short
transaction each, :func:`zentail.domain.authorization.purge_batch`), and stops between
batches when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import text

from zentail.domain import authorization, users
from zentail.platform import Platform
from zentail.storage.models import utcnow

log = logging.getLogger("zentail.purge")
# An arbitrary constant naming this lock among the database's advisory locks.
ADVISORY_LOCK_KEY = 0x7A656E7461696C  # "zentail"


@dataclass(frozen=True)
class PurgeResult:
    ran: bool
    codes: int = 0
    tokens: int = 0
    login_failures: int = 0
    batches: int = 0
    token_failures: int = 0


@contextmanager
def exclusive(platform: Platform) -> Iterator[bool]:
    """Yield whether this node holds the purge lock (always true on SQLite)."""
    if platform.db.is_sqlite:
        yield True
        return
    with platform.db.engine.connect() as connection:
        held = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
            ).scalar()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
                connection.commit()


def purge_once(platform: Platform, stop: threading.Event | None = None) -> PurgeResult:
    """One full purge if this node gets the lock; batches until nothing is left (or
    ``stop`` is set)."""
    settings = platform.settings
    with exclusive(platform) as held:
        if not held:
            return PurgeResult(ran=False)
        codes = tokens = diagnosed = batches = 0
        while stop is None or not stop.is_set():
            with platform.db.session(write=True) as session:
                counts = authorization.purge_batch(
                    session,
                    now=utcnow(),
                    retention=settings.purge_retention,
                    batch_size=settings.purge_batch_size,
                )
            codes, tokens, batches = codes + counts.codes, tokens + counts.tokens, batches + 1
            diagnosed += counts.token_failures
            if counts.largest < settings.purge_batch_size:
                break
        with platform.db.session(write=True) as session:
            forgotten = users.purge_login_failures(
                session, now=utcnow(), idle_seconds=settings.login_lockout_seconds
            )
    return PurgeResult(True, codes, tokens, forgotten, batches, diagnosed)


class PurgeTask:
    """The periodic purge as an asyncio task: :meth:`start` from the app's startup,
    :meth:`stop` from its shutdown."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.interval = platform.settings.purge_interval
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        # Nodes started together spread their first attempts over the first interval.
        await asyncio.sleep(random.uniform(0.1, 1.0) * min(self.interval, 60))  # noqa: S311
        while not self._stop.is_set():
            try:
                result = await asyncio.to_thread(purge_once, self.platform, self._stop)
            except Exception:
                log.exception("purge failed; retrying at the next interval")
            else:
                if result.ran:
                    log.info(
                        "purged %d codes, %d tokens, %d login-failure counts in %d batches",
                        result.codes,
                        result.tokens,
                        result.login_failures,
                        result.batches,
                    )
            await asyncio.sleep(self.interval)
