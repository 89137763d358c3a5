"""``zentail.http_server``: a response's head and body leave in one write; nothing is lost,
reordered or held back past the loop iteration it was written in."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.support import LiveServer
from zentail.http_server import CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


def test_the_writes_of_one_iteration_leave_together_in_order() -> None:
    async def scenario() -> list[bytes]:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        assert real.writes == []
        assert transport.get_write_buffer_size() == 23
        await asyncio.sleep(0)
        transport.write(b"later")
        await asyncio.sleep(0)
        return real.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"later"]


def test_closing_sends_what_was_written_first() -> None:
    async def scenario() -> RecordingTransport:
        real = RecordingTransport()
        transport = CoalescingTransport(real, asyncio.get_running_loop())
        transport.write(b"last words")
        transport.close()
        await asyncio.sleep(0)
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"last words"]
    assert real.closed


def test_everything_else_is_the_wrapped_transports() -> None:
    async def scenario() -> str:
        transport = CoalescingTransport(RecordingTransport(), asyncio.get_running_loop())
        return str(transport.get_extra_info("peername"))

    assert asyncio.run(scenario()) == "extra peername"


@pytest.mark.server
def test_a_served_platform_answers_whole_responses_on_a_kept_alive_connection(
    live_server: LiveServer,
) -> None:
    with httpx.Client(base_url=live_server.base_url) as http:
        for _ in range(20):
            assert http.get("/healthz").json() == {"status": "ok"}
            page = http.get("/static/style.css")
            assert page.status_code == 200
            assert int(page.headers["content-length"]) == len(page.content)
