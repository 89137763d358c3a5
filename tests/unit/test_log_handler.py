"""The handler of ``zentail serve``'s log: lines of one loop iteration written together,
never held past it, never out of order; the plain format's timestamp."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from zentail.logging import FORMAT, LoopBatchedStreamHandler, PlainFormatter


class Stream:
    """Counts writes, keeps what was written."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)

    def flush(self) -> None:
        pass

    @property
    def lines(self) -> list[str]:
        return "".join(self.writes).splitlines()


@pytest.fixture
def logger() -> logging.Logger:
    logger = logging.getLogger(f"test.log_handler.{time.monotonic_ns()}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def attach(logger: logging.Logger) -> tuple[Stream, LoopBatchedStreamHandler]:
    stream = Stream()
    handler = LoopBatchedStreamHandler(stream)  # type: ignore[arg-type]
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    return stream, handler


def test_the_lines_of_one_loop_iteration_go_out_in_one_write_by_the_next(
    logger: logging.Logger,
) -> None:
    stream, _ = attach(logger)

    async def scenario() -> tuple[int, int]:
        for n in range(5):
            logger.info("line %d", n)
        held = len(stream.writes)
        await asyncio.sleep(0)
        return held, len(stream.writes)

    assert asyncio.run(scenario()) == (0, 1)
    assert stream.lines == [f"line {n}" for n in range(5)]


def test_a_warning_writes_the_pending_lines_before_it_at_once(logger: logging.Logger) -> None:
    stream, _ = attach(logger)

    async def scenario() -> None:
        logger.info("first")
        logger.warning("second")
        assert stream.lines == ["first", "second"]

    asyncio.run(scenario())


def test_a_line_from_a_thread_is_written_at_once_after_the_pending_ones(
    logger: logging.Logger,
) -> None:
    stream, _ = attach(logger)

    async def scenario() -> None:
        logger.info("on the loop")
        thread = threading.Thread(target=logger.info, args=("in a thread",))
        thread.start()
        thread.join()
        assert stream.lines == ["on the loop", "in a thread"]

    asyncio.run(scenario())


def test_flush_writes_the_pending_lines_at_once_as_logging_shutdown_does_at_exit(
    logger: logging.Logger,
) -> None:
    stream, handler = attach(logger)

    async def scenario() -> None:
        logger.info("last words")
        assert stream.lines == []
        handler.flush()
        assert stream.lines == ["last words"]

    asyncio.run(scenario())


def test_a_line_on_another_loop_writes_the_lines_pending_on_the_first_before_it(
    logger: logging.Logger,
) -> None:
    stream, _ = attach(logger)
    second_loop_done = threading.Event()

    async def on_second_loop() -> None:
        logger.info("second loop")
        second_loop_done.set()

    async def scenario() -> None:
        logger.info("first loop")
        thread = threading.Thread(target=asyncio.run, args=(on_second_loop(),))
        thread.start()
        thread.join()
        assert stream.lines == ["first loop", "second loop"]

    asyncio.run(scenario())
    assert second_loop_done.is_set()


def test_without_a_loop_every_line_is_written_at_once(logger: logging.Logger) -> None:
    stream, _ = attach(logger)
    logger.info("one")
    logger.info("two")
    assert stream.writes == ["one\n", "two\n"]


def test_the_plain_timestamp_is_the_one_of_the_standard_formatter() -> None:
    standard, plain = logging.Formatter(FORMAT), PlainFormatter(FORMAT)
    for created in (1_765_000_000.0, 1_765_000_000.5, 1_765_000_001.999, 1_765_000_000.25):
        record = logging.makeLogRecord({"msg": "m", "created": created, "msecs": 0})
        record.msecs = (created - int(created)) * 1000
        assert plain.format(record) == standard.format(record)
