"""The HTTP/1.1 protocol ``zentail serve`` runs: uvicorn's httptools protocol, with the writes
of one event-loop iteration sent together.

An ASGI response is at least two messages, its head and its body, and uvicorn writes each to
the socket as it comes: two ``send`` system calls and two TCP segments for every small
response, which on the request path cost more than the response's own work. Here the
connection's writes are gathered and leave in one ``write`` at the end of the loop iteration
they were made in; a response whose body comes later (a stream) still sends its head without
waiting for it. Nothing else about the protocol changes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that joins the writes of one loop iteration; everything else is the
    wrapped transport's own."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._outgoing: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._outgoing:
            self._loop.call_soon(self.flush)
        self._outgoing.append(data)

    def flush(self) -> None:
        if self._outgoing:
            outgoing, self._outgoing = self._outgoing, []
            if not self._transport.is_closing():
                self._transport.write(b"".join(outgoing))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        buffered: int = self._transport.get_write_buffer_size()
        return buffered + sum(map(len, self._outgoing))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a :class:`CoalescingTransport`."""

    def connection_made(self, transport: Any) -> None:  # asyncio's or uvloop's transport
        coalescing: Any = CoalescingTransport(transport, self.loop)
        super().connection_made(coalescing)
