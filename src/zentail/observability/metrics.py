"""Every Prometheus metric of the platform, and the small functions that record them.

When ``PROMETHEUS_MULTIPROC_DIR`` is set before prometheus-client is first imported (``zentail
serve`` sets it for its workers), values live in files shared by the worker processes and
:func:`exposition` aggregates them, so one scrape shows the whole node. Otherwise they live
in this process only.

Label values are bounded: routes are templates (``/v1/salesOrder/{order_number}``), never
raw paths; statuses are HTTP codes; outcomes are RFC 6749 error codes; limiters are names.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from sqlalchemy import event

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter(
    "zentail_http_requests",
    "HTTP requests answered, by route template, method and status",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "zentail_http_request_duration_seconds",
    "Time from request to last response byte, by route template and method",
    ["route", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TOKEN_EXCHANGES = Counter(
    "zentail_token_exchanges",
    "POST /v1/token outcomes: success, or the RFC 6749 §5.2 error code",
    ["outcome"],
)
RATE_LIMITED = Counter(
    "zentail_rate_limited", "Requests refused by a rate limiter or throttle", ["limiter"]
)
REDIS_FALLBACK = Counter(
    "zentail_redis_fallback",
    "Rate-limit decisions taken without Redis (unreachable), by the in-process fallback",
)
DB_POOL_IN_USE = Gauge(
    "zentail_db_pool_connections_in_use",
    "Database connections checked out of the pool, summed over live worker processes",
    multiprocess_mode="livesum",
)


def record_token_exchange(outcome: str) -> None:
    """One ``POST /v1/token`` answer: ``"success"`` or the RFC 6749 error code."""
    TOKEN_EXCHANGES.labels(outcome).inc()


def record_rate_limited(limiter: str) -> None:
    """One request refused by ``limiter`` (e.g. ``"api"``, ``"client_auth"``, ``"login"``)."""
    RATE_LIMITED.labels(limiter).inc()


def record_redis_fallback() -> None:
    """One rate-limit decision taken by the in-process fallback because Redis failed."""
    REDIS_FALLBACK.inc()


def _checked_out(*_: object) -> None:
    DB_POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    DB_POOL_IN_USE.dec()


def track_pool(engine: Any) -> None:
    """Keep :data:`DB_POOL_IN_USE` in step with ``engine``'s pool (a SQLAlchemy ``Engine``,
    or an ``AsyncEngine``'s ``sync_engine``): +1 on checkout, -1 on checkin. Idempotent."""
    if not event.contains(engine, "checkout", _checked_out):
        event.listen(engine, "checkout", _checked_out)
        event.listen(engine, "checkin", _checked_in)


def multiprocess_mode() -> bool:
    """Whether values live in shared files (decided by prometheus-client at its import)."""
    return values.ValueClass is not values.MutexValue


def exposition() -> bytes:
    """The Prometheus text exposition of every metric, over all worker processes."""
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def process_exited(pid: int) -> None:
    """Drop the live gauges of a worker that exited (multiprocess mode)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
