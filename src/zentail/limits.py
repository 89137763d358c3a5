"""Leaky-bucket rate limiting (GCRA), shared by every worker and node through Redis.

One primitive serves the Open API's per-token rate limit (10 requests/s, bursts of 10, as
Zentail documents), the token endpoint's brute-force throttle (RFC 6749 §2.3.1) and the login
throttle. A call takes (or only tests) one unit from one or more buckets and, in the same
round trip, reads a few counters (the credential generations of :mod:`zentail.generations`),
so the hot path pays one Redis round trip per request for both.

Without ``ZENTAIL_REDIS_URL`` buckets live in the process, which is right only for a single
worker (the sandbox). When Redis is configured but does not answer, every call falls back to
the in-process buckets at once (per-node limits, logged and counted) and Redis is tried again
after :data:`RETRY_REDIS_AFTER` seconds; the result then says ``shared=False`` and carries no
counters, so nothing is cached on its strength.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from zentail.observability import metrics
from zentail.redis_pipe import PipelinedRedis, RedisReplyError, RedisUnavailable

log = logging.getLogger("zentail.limits")

RETRY_REDIS_AFTER = 1.0
MAX_ONCE_KEYS = 100_000


@dataclass(frozen=True)
class Bucket:
    """A leaky bucket: ``burst`` units deep, refilled at ``rate`` units per second."""

    key: str
    rate: float
    burst: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float
    remaining: int
    limit: int


@dataclass(frozen=True)
class Outcome:
    """One call's answer: a decision per bucket, and the counters read alongside.

    ``shared`` is False when the in-process fallback answered; ``counters`` is then empty.
    """

    decisions: tuple[Decision, ...]
    counters: tuple[bytes | None, ...]
    shared: bool

    @property
    def refusal(self) -> Decision | None:
        """The first bucket that refused, if any."""
        return next((d for d in self.decisions if not d.allowed), None)


def gcra(tat: float, now: float, rate: float, burst: int) -> tuple[bool, float, float, int]:
    """Generic cell rate algorithm: returns (allowed, new_tat, retry_after, remaining)."""
    interval = 1.0 / rate
    new_tat = max(tat, now) + interval
    allow_at = new_tat - interval * burst
    if now < allow_at:
        return False, tat, allow_at - now, 0
    return True, new_tat, 0.0, int((now - allow_at) / interval)


class MemoryBuckets:
    """Buckets in this process only: the single-worker sandbox, and the fallback while Redis
    is unreachable. Thread-safe; all buckets of one call are decided together."""

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, buckets: Sequence[Bucket], *, record: bool) -> tuple[Decision, ...]:
        with self._lock:
            now = time.monotonic()
            results = [
                (bucket, gcra(self._tats.get(bucket.key, now), now, bucket.rate, bucket.burst))
                for bucket in buckets
            ]
            all_allowed = all(result[0] for _, result in results)
            if record and all_allowed:
                for bucket, (_, new_tat, _, _) in results:
                    self._tats[bucket.key] = new_tat
            if len(self._tats) > 100_000:  # bounded: forget buckets that have drained
                self._tats = {k: v for k, v in self._tats.items() if v > now}
        return tuple(
            Decision(allowed, retry_after, remaining, bucket.burst)
            for bucket, (allowed, _, retry_after, remaining) in results
        )


# The same algorithm as gcra(), run atomically inside Redis with Redis's clock. KEYS: the n
# buckets, then the epoch key, then the counters to read. ARGV: n, record flag, a fresh epoch
# value (kept only if none is set), then rate and burst per bucket. Returns, per bucket,
# allowed / retry_after / remaining, then the epoch, then each counter.
_SCRIPT = """
local n = tonumber(ARGV[1])
local record = ARGV[2] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {}
local updates = {}
local all_allowed = true
for i = 1, n do
  local interval = 1 / tonumber(ARGV[2 + 2 * i])
  local burst = tonumber(ARGV[3 + 2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * burst
  if now < allow_at then
    all_allowed = false
    table.insert(out, 0)
    table.insert(out, tostring(allow_at - now))
    table.insert(out, 0)
  else
    table.insert(out, 1)
    table.insert(out, '0')
    table.insert(out, math.floor((now - allow_at) / interval))
    updates[i] = new_tat
  end
end
if record and all_allowed then
  for i = 1, n do
    local ms = math.ceil((updates[i] - now) * 1000) + 1
    redis.call('SET', KEYS[i], tostring(updates[i]), 'PX', ms)
  end
end
redis.call('SET', KEYS[n + 1], ARGV[3], 'NX')
for i = n + 1, #KEYS do
  table.insert(out, redis.call('GET', KEYS[i]) or false)
end
return out
"""


# The epoch a process proposes if Redis has none (a fresh data set): random per process.
PROCESS_EPOCH = uuid.uuid4().hex
SCRIPT_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


def _script_arguments(
    prefix: str, buckets: Sequence[Bucket], counters: Sequence[str], *, record: bool
) -> tuple[list[str], list[str | float | int]]:
    keys = [prefix + b.key for b in buckets] + [prefix + EPOCH_KEY] + [prefix + c for c in counters]
    args: list[str | float | int] = [len(buckets), "1" if record else "0", PROCESS_EPOCH]
    for bucket in buckets:
        args += [bucket.rate, bucket.burst]
    return keys, args


EPOCH_KEY = "epoch"


def _outcome(buckets: Sequence[Bucket], reply: list[Any]) -> Outcome:
    decisions = tuple(
        Decision(
            bool(reply[3 * i]),
            float(reply[3 * i + 1]),
            int(reply[3 * i + 2]),
            bucket.burst,
        )
        for i, bucket in enumerate(buckets)
    )
    counters = tuple(v if isinstance(v, bytes) else None for v in reply[3 * len(buckets) :])
    return Outcome(decisions, counters, shared=True)


class Limiter:
    """Buckets and counters, in Redis when configured (with the in-process fallback), else in
    the process. One instance per process; safe to share between the event loop (``a*``
    methods) and worker threads (the others)."""

    def __init__(self, redis_url: str | None, *, prefix: str, timeout: float = 0.5) -> None:
        self.prefix = prefix
        self.redis_url = redis_url
        self._memory = MemoryBuckets()
        self._timeout = timeout
        self._down_until = 0.0
        self._sync: redis.Redis[bytes] | None = None
        self._pipes: dict[asyncio.AbstractEventLoop, PipelinedRedis] = {}
        self._sync_script: object = None
        self._lock = threading.Lock()
        self._once: dict[str, float] = {}  # first_use without Redis: key → monotonic expiry
        self.fallbacks = 0  # how often the in-process buckets answered for Redis
        self.round_trips = 0  # calls sent to Redis (for bench/)

    # -- the event loop -----------------------------------------------------------------

    def _pipe(self) -> PipelinedRedis:
        # One client per event loop: a connection belongs to the loop it was made on (the
        # test client runs a fresh loop per test).
        loop = asyncio.get_running_loop()
        pipe = self._pipes.get(loop)
        if pipe is None:
            assert self.redis_url is not None
            self._pipes = {lp: p for lp, p in self._pipes.items() if not lp.is_closed()}
            pipe = self._pipes[loop] = PipelinedRedis(self.redis_url, timeout=self._timeout)
        return pipe

    async def _evalsha(self, keys: list[str], args: list[str | float | int]) -> Any:
        pipe = self._pipe()
        try:
            return await pipe.call("EVALSHA", SCRIPT_SHA, len(keys), *keys, *args)
        except RedisReplyError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
            return await pipe.call("EVAL", _SCRIPT, len(keys), *keys, *args)

    async def atake(
        self, buckets: Sequence[Bucket], *, counters: Sequence[str] = (), record: bool = True
    ) -> Outcome:
        """Take (``record=True``) or test one unit from every bucket, all or nothing, and read
        ``counters`` (epoch first) in the same round trip."""
        if self.redis_url is not None and time.monotonic() >= self._down_until:
            keys, args = _script_arguments(self.prefix, buckets, counters, record=record)
            self.round_trips += 1
            try:
                reply = await self._evalsha(keys, args)
            except (RedisUnavailable, RedisReplyError) as error:
                self._redis_failed(error)
            else:
                return _outcome(buckets, reply)
        return self._fallback(buckets, record=record)

    async def aincrement(self, counters: Sequence[str]) -> bool:
        """Add one to each counter (a credential generation); False when Redis is down."""
        if self.redis_url is None or not counters:
            return self.redis_url is None
        self.round_trips += 1
        try:
            pipe = self._pipe()
            await asyncio.gather(*(pipe.call("INCR", self.prefix + c) for c in counters))
        except (RedisUnavailable, RedisReplyError) as error:
            self._redis_failed(error)
            return False
        return True

    # -- worker threads (web UI, CLI) ---------------------------------------------------

    def _sync_client(self) -> redis.Redis[bytes]:
        with self._lock:
            if self._sync is None:
                assert self.redis_url is not None
                self._sync = redis.Redis.from_url(
                    self.redis_url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                )
                self._sync_script = self._sync.register_script(_SCRIPT)
            return self._sync

    def take(
        self, buckets: Sequence[Bucket], *, counters: Sequence[str] = (), record: bool = True
    ) -> Outcome:
        """:meth:`atake` for code running in a worker thread."""
        if self.redis_url is not None and time.monotonic() >= self._down_until:
            client = self._sync_client()
            keys, args = _script_arguments(self.prefix, buckets, counters, record=record)
            self.round_trips += 1
            try:
                reply = self._sync_script(keys=keys, args=args, client=client)  # type: ignore[operator]
            except (redis.RedisError, OSError) as error:
                self._redis_failed(error)
            else:
                return _outcome(buckets, reply)
        return self._fallback(buckets, record=record)

    def increment(self, counters: Iterable[str]) -> bool:
        """:meth:`aincrement` for code running in a worker thread."""
        counters = list(counters)
        if self.redis_url is None or not counters:
            return self.redis_url is None
        self.round_trips += 1
        try:
            pipe = self._sync_client().pipeline(transaction=False)
            for counter in counters:
                pipe.incr(self.prefix + counter)
            pipe.execute()
        except (redis.RedisError, OSError) as error:
            self._redis_failed(error)
            return False
        return True

    # -- once-only keys (a client assertion's jti) ----------------------------------------

    async def afirst_use(self, key: str, seconds: int) -> bool | None:
        """``SET key NX EX seconds``: True the first time ``key`` is set while it lives,
        False after; ``None`` when Redis is configured but does not answer (the caller
        decides). Without Redis, the process remembers."""
        if not self._redis_for_first_use():
            return self._memory_first_use(key, seconds) if self.redis_url is None else None
        try:
            reply = await self._pipe().call("SET", self.prefix + key, "1", "NX", "EX", seconds)
        except (RedisUnavailable, RedisReplyError) as error:
            self._redis_failed(error)
            return None
        return reply is not None

    def first_use(self, key: str, seconds: int) -> bool | None:
        """:meth:`afirst_use` for code running in a worker thread."""
        if not self._redis_for_first_use():
            return self._memory_first_use(key, seconds) if self.redis_url is None else None
        try:
            reply = self._sync_client().set(self.prefix + key, b"1", nx=True, ex=seconds)
        except (redis.RedisError, OSError) as error:
            self._redis_failed(error)
            return None
        return reply is not None and reply is not False

    def _redis_for_first_use(self) -> bool:
        """Whether to ask Redis (configured, and not known to be down); counts the trip."""
        if self.redis_url is None or time.monotonic() < self._down_until:
            return False
        self.round_trips += 1
        return True

    def _memory_first_use(self, key: str, seconds: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._once) > MAX_ONCE_KEYS:
                self._once = {k: until for k, until in self._once.items() if until > now}
            if self._once.get(key, 0.0) > now:
                return False
            self._once[key] = now + seconds
            return True

    # -- shared -------------------------------------------------------------------------

    def _redis_failed(self, error: BaseException) -> None:
        if time.monotonic() >= self._down_until:
            log.warning(
                "Redis unreachable (%s); limits fall back to this process for %.0fs",
                type(error).__name__,
                RETRY_REDIS_AFTER,
            )
        self._down_until = time.monotonic() + RETRY_REDIS_AFTER

    def _fallback(self, buckets: Sequence[Bucket], *, record: bool) -> Outcome:
        if self.redis_url is not None:
            self.fallbacks += 1
            metrics.record_redis_fallback()
        return Outcome(self._memory.take(buckets, record=record), (), shared=False)

    async def aclose(self) -> None:
        pipe = self._pipes.pop(asyncio.get_running_loop(), None)
        if pipe is not None:
            pipe.close()

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
            self._sync = None


def retry_after_header(decision: Decision) -> str:
    """Whole seconds, rounded up, at least 1 (RFC 9110 §10.2.3)."""
    return str(max(1, math.ceil(decision.retry_after)))
