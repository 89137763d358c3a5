"""Rendered bodies of the fast lane's reads, cached per process and trusted only while the
account's data generation holds.

Partners poll the same reads all day (the first page of pending orders, one order, the
warehouses), and most polls find nothing changed. So a body, once rendered, is kept under
the account, the path and the query, stamped with the epoch and the account's data counter
(:func:`zentail.generations.data_counter`) as the request's one Redis round trip read them
*before* the database read that produced the body. A later request of the same account uses
the body only if its own round trip read the same two values. Every unit of work that
changes a row of the account moves that counter after it commits
(:class:`zentail.storage.database.Database`), so a read that starts after a write's response
has returned never sees a body from before it, on any worker or node. The token, the rate
limit and the scope are checked on every request as before; only the body is reused.

With no Redis answer nothing is cached. ``max_age`` bounds an entry's life in any case, and
the cache holds at most ``max_bytes`` of bodies, dropping the least recently used first.
A bulk statement over the rows these bodies show moves one counter read beside the
account's, :data:`zentail.generations.DATA_ALL`.
"""

from __future__ import annotations

import time
from collections import OrderedDict

Key = tuple[int, str, bytes]
Stamp = tuple[bytes | None, ...]  # the epoch and the data counters, as read


class ResponseCache:
    def __init__(self, *, max_bytes: int, max_age: float) -> None:
        self._entries: OrderedDict[Key, tuple[Stamp, bytes, float]] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._max_age = max_age
        self.hits = 0
        self.fills = 0

    @property
    def enabled(self) -> bool:
        return self._max_bytes > 0 and self._max_age > 0

    def get(self, key: Key, stamp: Stamp) -> bytes | None:
        """The body cached under ``key``, if ``stamp`` is the one it was filled under and it
        is younger than ``max_age``; a stale entry is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        filled_stamp, body, filled_at = entry
        if filled_stamp == stamp and time.monotonic() - filled_at < self._max_age:
            self._entries.move_to_end(key)
            self.hits += 1
            return body
        self._drop(key)
        return None

    def put(self, key: Key, stamp: Stamp, body: bytes) -> bool:
        """Keep ``body``, rendered from a database read made after ``stamp`` was read;
        whether it was kept (not when the cache is off, or for a body over a quarter of it)."""
        if not self.enabled or len(body) > self._max_bytes // 4:
            return False
        self._drop(key)
        while self._entries and self._bytes + len(body) > self._max_bytes:
            self._drop(next(iter(self._entries)))
        self._entries[key] = (stamp, body, time.monotonic())
        self._bytes += len(body)
        self.fills += 1
        return True

    def _drop(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])
