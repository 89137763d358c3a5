"""Bounded retries of rate-limited calls (HTTP 429, RFC 6585 §4), honouring ``Retry-After``.

:class:`Attempts` is the retry loop's state, shared by both clients: they sleep
:attr:`Attempts.delay`, send :attr:`Attempts.request`, and hand the answer to
:meth:`Attempts.receive` while :attr:`Attempts.pending` is true. A 429 is retried only because
the platform refuses it before doing any work, so even a ``POST`` is safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import Generic, TypeVar

import httpx

from zentail_partner._errors import RateLimited
from zentail_partner._operation import Operation, rate_limit_detail

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Retry a 429 at most ``max_retries`` times. Wait what ``Retry-After`` says or, when it
    says nothing, ``backoff`` seconds doubled on each retry; a wait longer than ``max_wait``
    seconds is not waited for: :class:`RateLimited` is raised at once."""

    max_retries: int = 3
    backoff: float = 0.5
    max_wait: float = 30.0

    def delay(self, retry_after: float | None, retries_done: int) -> float | None:
        """Seconds to wait before the next try, or ``None`` to give up."""
        if retries_done >= self.max_retries:
            return None
        wait = self.backoff * 2**retries_done if retry_after is None else retry_after
        return wait if wait <= self.max_wait else None


def retry_after(response: httpx.Response, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` in seconds: delay-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when.replace(tzinfo=when.tzinfo or dt.UTC) - now).total_seconds())


class Attempts(Generic[T]):
    """The tries of one :class:`Operation` (see the module docstring)."""

    def __init__(self, operation: Operation[T], request: httpx.Request, policy: RetryPolicy):
        self.operation = operation
        self.request = request
        self.policy = policy
        self.delay = 0.0
        self.retries = 0
        self._outcome: tuple[T] | None = None

    @property
    def pending(self) -> bool:
        return self._outcome is None

    def receive(self, response: httpx.Response) -> None:
        """Take an answer: schedule a retry, keep the result, or raise the error it means."""
        if response.status_code == 429:
            wait = retry_after(response)
            delay = self.policy.delay(wait, self.retries)
            if delay is None:
                raise RateLimited(rate_limit_detail(response), wait)
            self.retries += 1
            self.delay = delay
            return
        self._outcome = (self.operation.outcome(response),)

    def result(self) -> T:
        if self._outcome is None:
            raise RuntimeError("the operation has not completed")
        return self._outcome[0]
