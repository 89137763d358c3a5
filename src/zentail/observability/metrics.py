"""Every Prometheus metric of the platform, and the small functions that record them.

When ``PROMETHEUS_MULTIPROC_DIR`` is set before prometheus-client is first imported (``zentail
serve`` sets it for its workers), values live in files shared by the worker processes and
:func:`exposition` aggregates them, so one scrape shows the whole node. Otherwise they live
in this process only.

Label values are bounded: routes are templates (``/v1/salesOrder/{order_number}``), never
raw paths; statuses are HTTP codes; outcomes are RFC 6749 error codes; limiters are names.
"""

from __future__ import annotations

import os
import re
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
RESPONSE_CACHE = Counter(
    "zentail_response_cache",
    "Fast-lane reads by how their body was made: hit (a cached body the account's data"
    " generation still vouched for), fill (rendered and kept), or uncached (rendered, nothing"
    " kept: no generation could be read, or the cache is off)",
    ["result"],
)
_RESPONSE_CACHE_RESULTS = {
    name: RESPONSE_CACHE.labels(name) for name in ("hit", "fill", "uncached")
}
DB_POOL_IN_USE = Gauge(
    "zentail_db_pool_connections_in_use",
    "Database connections checked out, by pool (orm: SQLAlchemy's; gateway: the request"
    " path's asyncpg pools), summed over live worker processes",
    ["pool"],
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


def record_response_body(result: str) -> None:
    """One fast-lane body: ``"hit"``, ``"fill"`` or ``"uncached"``."""
    _RESPONSE_CACHE_RESULTS[result].inc()


ORM_POOL_IN_USE = DB_POOL_IN_USE.labels("orm")
GATEWAY_POOL_IN_USE = DB_POOL_IN_USE.labels("gateway")


def _checked_out(*_: object) -> None:
    ORM_POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    ORM_POOL_IN_USE.dec()


def track_pool(engine: Any) -> None:
    """Keep :data:`DB_POOL_IN_USE` ``{pool="orm"}`` in step with ``engine``'s pool (a
    SQLAlchemy ``Engine``): +1 on checkout, -1 on checkin. Idempotent."""
    if not event.contains(engine, "checkout", _checked_out):
        event.listen(engine, "checkout", _checked_out)
        event.listen(engine, "checkin", _checked_in)


def gateway_pool_changed(delta: int) -> None:
    """A connection left (+1) or returned to (-1) a request-path pool: the hook
    :class:`~zentail.storage.gateway.PostgresGateway` calls (``on_pool_change``)."""
    GATEWAY_POOL_IN_USE.inc(delta)


def multiprocess_mode() -> bool:
    """Whether values live in shared files (decided by prometheus-client at its import)."""
    return values.ValueClass is not values.MutexValue


def exposition() -> bytes:
    """The Prometheus text exposition of every metric, over all worker processes (the live
    gauges of workers that died without saying so are dropped first)."""
    if not multiprocess_mode():
        return generate_latest(REGISTRY)
    forget_dead_workers(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of every worker process that is gone.

    A worker killed with SIGKILL never runs :func:`process_exited`; its gauge file would
    keep counting (its pool connections "in use" forever) until the node restarts. Any pid
    whose process no longer exists, or is a zombie awaiting its parent, is marked dead.
    """
    pids = {
        int(m.group(1)) for name in os.listdir(directory) if (m := LIVE_GAUGE_FILE.fullmatch(name))
    }
    for pid in pids - {os.getpid()}:
        if not _alive(pid):
            process_exited(pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # another user's process has the pid now: our worker is gone
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True  # no procfs: kill(0) is all we know


def process_exited(pid: int) -> None:
    """Drop the live gauges of a worker that exited (multiprocess mode)."""
    if multiprocess_mode():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
