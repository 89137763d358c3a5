"""Brute-force protection for client authentication (RFC 6749 §2.3.1: the server "MUST
protect any endpoint utilizing it against brute force attacks"; RFC 6819 §5.1.4.2.3 lists
locking out and tar-pitting).

Failed authentications are counted in two leaky buckets of the platform's limiter (shared by
every worker through Redis): one per presented client ID and one per source address. Each
holds ``max_failures`` and drains over ``window`` seconds. While either is full, every
authentication attempt through that bucket, right or wrong, is refused with 429 ``slow_down``
and ``Retry-After`` before the secret is even checked, so guessing cannot continue.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from zentail.limits import Limiter
from zentail.oauth.errors import SlowDown

KEY_PREFIX = "client-auth:"


@dataclass(frozen=True)
class Bucket:
    key: str
    name: str
    capacity: int


class ClientAuthThrottle:
    """Counts failed client authentications; refuses attempts while a bucket is full."""

    def __init__(
        self, limiter: Limiter, *, max_failures: int, max_failures_per_address: int, window: int
    ) -> None:
        self._limiter = limiter
        self._per_client = max_failures
        self._per_address = max_failures_per_address
        self._window = window

    def _buckets(self, client_id: str | None, source_ip: str | None) -> list[Bucket]:
        buckets = []
        if client_id:
            # Client IDs are attacker-chosen strings: bound the key's length.
            hashed = hashlib.sha256(client_id.encode()).hexdigest()[:32]
            buckets.append(Bucket(f"{KEY_PREFIX}client:{hashed}", "client_id", self._per_client))
        if source_ip:
            buckets.append(
                Bucket(f"{KEY_PREFIX}address:{source_ip}", "source_address", self._per_address)
            )
        return buckets

    def _acquire(self, bucket: Bucket, *, record: bool) -> tuple[bool, float]:
        decision = self._limiter.acquire(
            bucket.key, rate=bucket.capacity / self._window, burst=bucket.capacity, record=record
        )
        return decision.allowed, decision.retry_after

    def blocked_by(self, client_id: str | None, source_ip: str | None) -> SlowDownRefusal | None:
        """The first full bucket for this attempt, or ``None`` when it may proceed."""
        for bucket in self._buckets(client_id, source_ip):
            allowed, retry_after = self._acquire(bucket, record=False)
            if not allowed:
                return SlowDownRefusal(bucket.name, math.ceil(retry_after))
        return None

    def record_failure(self, client_id: str | None, source_ip: str | None) -> None:
        for bucket in self._buckets(client_id, source_ip):
            self._acquire(bucket, record=True)


@dataclass(frozen=True)
class SlowDownRefusal:
    """Which bucket is full (``client_id`` or ``source_address``) and for how long."""

    bucket: str
    retry_after: int

    def error(self) -> SlowDown:
        return SlowDown(self.retry_after)
