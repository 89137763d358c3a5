"""Leaky-bucket rate limiting (GCRA), shared by every worker and node through Redis.

One primitive serves both the Open API's per-token rate limit (10 requests/s, bursts of 10,
as Zentail documents) and the token endpoint's brute-force throttle (RFC 6749 §2.3.1).
Without ``ZENTAIL_REDIS_URL`` an in-process bucket is used, which is right only for a single
worker process (the sandbox); production deployments set Redis.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float
    remaining: int
    limit: int


class Limiter(Protocol):
    def acquire(self, key: str, *, rate: float, burst: int, record: bool = True) -> Decision:
        """Take one unit from ``key``'s bucket (``rate`` per second, ``burst`` deep).

        ``record=False`` only asks whether a unit *would* be granted.
        """
        ...


def _gcra(tat: float, now: float, rate: float, burst: int) -> tuple[bool, float, float, int]:
    """Generic cell rate algorithm: returns (allowed, new_tat, retry_after, remaining)."""
    interval = 1.0 / rate
    new_tat = max(tat, now) + interval
    allow_at = new_tat - interval * burst
    if now < allow_at:
        return False, tat, allow_at - now, 0
    return True, new_tat, 0.0, int((now - allow_at) / interval)


class MemoryLimiter:
    """Buckets in this process only (single-worker sandbox and tests)."""

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def acquire(self, key: str, *, rate: float, burst: int, record: bool = True) -> Decision:
        with self._lock:
            now = time.monotonic()
            allowed, new_tat, retry_after, remaining = _gcra(
                self._tats.get(key, now), now, rate, burst
            )
            if allowed and record:
                self._tats[key] = new_tat
        return Decision(allowed, retry_after, remaining, burst)


# The same algorithm as _gcra, run atomically inside Redis with Redis's clock, so that all
# workers and nodes share one bucket per key.
_GCRA_SCRIPT = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local interval = 1 / tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local record = ARGV[3] == '1'
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return {0, tostring(allow_at - now), 0}
end
if record then
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1)
end
return {1, '0', math.floor((now - allow_at) / interval)}
"""


class RedisLimiter:
    def __init__(self, url: str, *, prefix: str = "zentail:limit:") -> None:
        self._client = redis.Redis.from_url(url)
        self._script = self._client.register_script(_GCRA_SCRIPT)
        self._prefix = prefix

    def acquire(self, key: str, *, rate: float, burst: int, record: bool = True) -> Decision:
        allowed, retry_after, remaining = self._script(
            keys=[self._prefix + key], args=[rate, burst, "1" if record else "0"]
        )
        return Decision(bool(allowed), float(retry_after), int(remaining), burst)


def create_limiter(redis_url: str | None, *, prefix: str = "zentail:limit:") -> Limiter:
    return RedisLimiter(redis_url, prefix=prefix) if redis_url else MemoryLimiter()


def retry_after_header(decision: Decision) -> str:
    """Whole seconds, rounded up, at least 1 (RFC 9110 §10.2.3)."""
    return str(max(1, math.ceil(decision.retry_after)))
