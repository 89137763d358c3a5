"""The request path's Redis client: one pipelined connection per event loop.

RESP answers commands in the order they were sent, so concurrent requests can share one
connection: each writes its command at once and waits for its own reply, and the replies of
many requests arrive together. hiredis (the Redis project's C protocol library) packs commands
and parses replies. Against ``redis.asyncio``'s pool (a connection checkout, a round of
Python-level parsing and several awaits per command) this cut the cost of the one Redis call of
an API request severalfold (decision 0030). Worker threads keep using redis-py.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import hiredis


class RedisUnavailable(Exception):
    """Redis did not answer: unreachable, closed the connection, or too slow."""


class RedisReplyError(Exception):
    """Redis answered with an error (e.g. ``NOSCRIPT``)."""


class Receiver(Protocol):
    """Where a reply goes: an :class:`asyncio.Future`, or anything that answers the same three
    calls (e.g. one that hands a batched reply to several waiters at once)."""

    def done(self) -> bool: ...

    def set_result(self, result: Any) -> None: ...

    def set_exception(self, exception: BaseException) -> None: ...


class _Connection(asyncio.Protocol):
    """Commands written in one loop iteration go out in one write; replies resolve the
    waiting futures in order. A watchdog fails every pending command, and closes the
    connection, once the oldest has waited longer than ``timeout``."""

    def __init__(self, timeout: float) -> None:
        self.reader = hiredis.Reader()
        self.pending: collections.deque[tuple[float, Receiver]] = collections.deque()
        self.transport: Any = None  # asyncio's or uvloop's transport
        self.closed = False
        self.timeout = timeout
        self._outgoing: list[bytes] = []
        self.loop = asyncio.get_running_loop()
        self._watchdog = self.loop.call_later(timeout / 2, self._watch)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            _, future = self.pending.popleft()
            if future.done():  # its caller gave up waiting; the order of replies holds
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(RedisReplyError(str(reply)))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._watchdog.cancel()
        self._fail_pending("connection lost")

    def _fail_pending(self, reason: str) -> None:
        while self.pending:
            _, future = self.pending.popleft()
            if not future.done():
                future.set_exception(RedisUnavailable(reason))

    def _watch(self) -> None:
        if self.closed:
            return
        if self.pending and self.loop.time() - self.pending[0][0] > self.timeout:
            self._fail_pending("timeout")  # a slow or stuck connection is not reused
            self.closed = True
            self.transport.close()
            return
        self._watchdog = self.loop.call_later(self.timeout / 2, self._watch)

    def send(self, command: bytes, future: Receiver) -> None:
        if self.transport is None or self.closed or self.transport.is_closing():
            raise RedisUnavailable("connection closed")
        self.pending.append((self.loop.time(), future))
        if not self._outgoing:
            self.loop.call_soon(self._flush)
        self._outgoing.append(command)

    def _flush(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if not self.closed:
            self.transport.write(b"".join(outgoing))


class PipelinedRedis:
    """Commands to the Redis at ``url`` (``redis://[:password@]host[:port][/db]``) from one
    event loop. Any failure is :class:`RedisUnavailable`; the next call reconnects."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._password = unquote(parts.password) if parts.password else None
        self._db = int(parts.path.strip("/") or 0)
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Lock | None = None
        self._connecting_tasks: set[asyncio.Task[None]] = set()

    async def _connect(self) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is not None and not self._connection.closed:
                return self._connection
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(self._timeout):
                    _, connection = await loop.create_connection(
                        lambda: _Connection(self._timeout), self._host, self._port
                    )
            except (OSError, TimeoutError) as error:
                raise RedisUnavailable(type(error).__name__) from error
            self._connection = connection
            if self._password is not None:
                await self.call("AUTH", self._password)
            if self._db:
                await self.call("SELECT", self._db)
            return connection

    async def call(self, *args: Any) -> Any:
        """Send one command and wait (at most about the timeout) for its reply."""
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self._connect()
        future: asyncio.Future[Any] = connection.loop.create_future()
        connection.send(hiredis.pack_command(args), future)
        return await future

    def submit(self, receiver: Receiver, *args: Any) -> None:
        """Send one command now, without awaiting: its reply (or :class:`RedisUnavailable`)
        goes to ``receiver``. Connects first, in a task, when there is no live connection."""
        connection = self._connection
        if connection is None or connection.closed:
            task = asyncio.ensure_future(self._connect_and_submit(receiver, args))
            self._connecting_tasks.add(task)
            task.add_done_callback(self._connecting_tasks.discard)
            return
        try:
            connection.send(hiredis.pack_command(args), receiver)
        except RedisUnavailable as error:
            receiver.set_exception(error)

    async def _connect_and_submit(self, receiver: Receiver, args: tuple[Any, ...]) -> None:
        try:
            connection = await self._connect()
        except (RedisUnavailable, RedisReplyError) as error:
            receiver.set_exception(error)
            return
        try:
            connection.send(hiredis.pack_command(args), receiver)
        except RedisUnavailable as error:
            receiver.set_exception(error)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.transport is not None:
            connection.transport.close()
