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

from zentail.limits import Bucket, Limiter, Outcome
from zentail.oauth.errors import SlowDown

KEY_PREFIX = "client-auth:"


class ClientAuthThrottle:
    """Counts failed client authentications; refuses attempts while a bucket is full.

    The ``a``-prefixed methods are for the event loop, the others for worker threads. A check
    also reads ``counters`` in the same round trip (the token endpoint's client cache uses it).
    """

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
            buckets.append(self._bucket(f"{KEY_PREFIX}client:{hashed}", self._per_client))
        if source_ip:
            buckets.append(self._bucket(f"{KEY_PREFIX}address:{source_ip}", self._per_address))
        return buckets

    def _bucket(self, key: str, capacity: int) -> Bucket:
        return Bucket(key, capacity / self._window, capacity)

    @staticmethod
    def _refusal(buckets: list[Bucket], outcome: Outcome) -> SlowDownRefusal | None:
        for bucket, decision in zip(buckets, outcome.decisions, strict=True):
            if not decision.allowed:
                name = "client_id" if ":client:" in bucket.key else "source_address"
                return SlowDownRefusal(name, math.ceil(decision.retry_after))
        return None

    async def acheck(
        self, client_id: str | None, source_ip: str | None, counters: tuple[str, ...] = ()
    ) -> tuple[SlowDownRefusal | None, Outcome]:
        """The first full bucket for this attempt (``None`` when it may proceed), and the
        limiter's outcome (with ``counters``)."""
        buckets = self._buckets(client_id, source_ip)
        outcome = await self._limiter.atake(buckets, counters=counters, record=False)
        return self._refusal(buckets, outcome), outcome

    async def arecord_failure(self, client_id: str | None, source_ip: str | None) -> None:
        for bucket in self._buckets(client_id, source_ip):
            await self._limiter.atake([bucket], record=True)

    def blocked_by(self, client_id: str | None, source_ip: str | None) -> SlowDownRefusal | None:
        """:meth:`acheck` for worker threads."""
        buckets = self._buckets(client_id, source_ip)
        return self._refusal(buckets, self._limiter.take(buckets, record=False))

    def record_failure(self, client_id: str | None, source_ip: str | None) -> None:
        for bucket in self._buckets(client_id, source_ip):
            self._limiter.take([bucket], record=True)


@dataclass(frozen=True)
class SlowDownRefusal:
    """Which bucket is full (``client_id`` or ``source_address``) and for how long."""

    bucket: str
    retry_after: int

    def error(self) -> SlowDown:
        return SlowDown(self.retry_after)
