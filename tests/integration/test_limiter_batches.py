"""The takes of one event-loop iteration go to Redis as one script call, and decide exactly
as if sent one by one (against the real Redis)."""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest
import redis

from zentail import generations
from zentail.limits import Bucket, Limiter


@pytest.fixture
def limiter(redis_url: str | None) -> Limiter:
    if redis_url is None:
        pytest.skip("Redis is not reachable")
    return Limiter(redis_url, prefix=f"test-batches-{uuid.uuid4().hex[:8]}:")


def test_fifty_concurrent_takes_from_one_bucket_are_one_round_trip_and_allow_the_burst(
    limiter: Limiter,
) -> None:
    bucket = Bucket("api:one", rate=0.001, burst=10)

    async def scenario() -> list[bool]:
        outcomes = await asyncio.gather(*(limiter.atake([bucket]) for _ in range(50)))
        await limiter.aclose()
        return [outcome.refusal is None for outcome in outcomes]

    allowed = asyncio.run(scenario())
    assert allowed == [True] * 10 + [False] * 40  # in the order they were taken
    assert limiter.round_trips == 1
    assert limiter.fallbacks == 0


def test_a_batch_keeps_each_takes_buckets_counters_and_record_flag_apart(
    limiter: Limiter, redis_url: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(limiter.prefix + generations.token_counter("a"), 7)
    client.set(limiter.prefix + generations.ALL, 3)
    full = Bucket("api:full", rate=0.001, burst=1)
    roomy = Bucket("api:roomy", rate=0.001, burst=5)

    async def scenario() -> list[object]:
        outcomes = await asyncio.gather(
            limiter.atake([full], counters=[generations.ALL, generations.token_counter("a")]),
            limiter.atake([full, roomy]),  # all or nothing: ``full`` refuses, ``roomy`` untouched
            limiter.atake([roomy], counters=[generations.token_counter("b")], record=False),
            limiter.atake([roomy]),
        )
        await limiter.aclose()
        return list(outcomes)

    first, both, tested, taken = asyncio.run(scenario())  # type: ignore[misc]
    assert first.refusal is None
    assert first.counters[1:] == (b"3", b"7")
    assert first.counters[0] is not None  # the epoch, set by the first call that found none
    assert [d.allowed for d in both.decisions] == [False, True]
    assert tested.counters[1:] == (None,)
    assert tested.decisions[0].remaining == 4  # nothing taken from ``roomy`` before it
    assert taken.decisions[0].remaining == 4  # the test took nothing either
    assert limiter.round_trips == 1
    client.close()


def test_takes_sent_to_a_redis_that_does_not_answer_fall_back_each_to_the_process() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = Limiter(f"redis://127.0.0.1:{port}/0", prefix="nowhere:")
    bucket = Bucket("api:x", rate=1, burst=2)

    async def scenario() -> list[bool]:
        outcomes = await asyncio.gather(*(limiter.atake([bucket]) for _ in range(3)))
        return [outcome.shared for outcome in outcomes]

    assert asyncio.run(scenario()) == [False, False, False]
    assert limiter.fallbacks == 3


def test_a_redis_without_the_script_loaded_gets_it_once_and_answers_every_take(
    limiter: Limiter, redis_url: str
) -> None:
    with redis.Redis.from_url(redis_url) as client:
        client.script_flush()
    bucket = Bucket("api:flushed", rate=0.001, burst=3)

    async def scenario() -> list[bool]:
        outcomes = await asyncio.gather(*(limiter.atake([bucket]) for _ in range(4)))
        await limiter.aclose()
        return [outcome.refusal is None for outcome in outcomes]

    assert asyncio.run(scenario()) == [True, True, True, False]
    assert limiter.fallbacks == 0
