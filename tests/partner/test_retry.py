"""The retry schedule for 429 answers (no I/O, no sleeping: the shared state machine)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

import zentail_partner as partner
from zentail_partner._retry import Attempts, retry_after

NOW = dt.datetime(2026, 11, 29, 12, 0, 0, tzinfo=dt.UTC)


def limited(retry_after_value: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after_value} if retry_after_value is not None else {}
    return httpx.Response(429, json={"status": 429, "detail": "slow"}, headers=headers)


def attempts(policy: partner.RetryPolicy) -> Attempts[object]:
    request = httpx.Request("GET", "http://zentail.test/v1/salesOrder")
    return Attempts(partner.get_sales_order(1), request, policy)


def test_the_wait_is_what_retry_after_says() -> None:
    tries = attempts(partner.RetryPolicy())
    tries.receive(limited("7"))
    assert (tries.pending, tries.delay) == (True, 7)


def test_without_retry_after_the_wait_doubles() -> None:
    tries = attempts(partner.RetryPolicy(max_retries=3, backoff=0.5))
    delays = []
    for _ in range(3):
        tries.receive(limited())
        delays.append(tries.delay)
    assert delays == [0.5, 1.0, 2.0]
    with pytest.raises(partner.RateLimited, match="slow"):
        tries.receive(limited())


def test_a_success_after_retries_is_the_result() -> None:
    tries = attempts(partner.RetryPolicy())
    tries.receive(limited("1"))
    tries.receive(httpx.Response(200, json={"orderNumber": 1}))
    assert not tries.pending
    assert tries.result() == {"orderNumber": 1}


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after(limited("12"), NOW) == 12
    assert retry_after(limited("Sun, 29 Nov 2026 12:00:30 GMT"), NOW) == 30
    assert retry_after(limited("Sun, 29 Nov 2026 11:00:00 GMT"), NOW) == 0
    assert retry_after(limited("soon"), NOW) is None
    assert retry_after(limited(), NOW) is None
