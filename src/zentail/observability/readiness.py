"""Readiness: the database answers, its schema is at the migrations' head, and Redis (when
configured) answers. Each check is blocking I/O with a short timeout, run in a worker
thread, so a dead dependency never stalls the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass

import redis
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from zentail.platform import Platform
from zentail.storage.migrate import alembic_config

CHECK_TIMEOUT = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@functools.cache
def script_heads() -> frozenset[str]:
    """The head revisions shipped with this build (read once)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(script.get_heads())


def database_check(platform: Platform) -> Check:
    """``SELECT 1``, then the schema's revisions against :func:`script_heads`."""
    with platform.db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        current = frozenset(MigrationContext.configure(connection).get_current_heads())
    if current != script_heads():
        shown = ", ".join(sorted(current)) or "none"
        expected = ", ".join(sorted(script_heads()))
        return Check("migrations", False, f"schema at {shown}, code expects {expected}")
    return Check("migrations", True, "at head")


@functools.cache
def _redis_client(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def redis_check(url: str) -> Check:
    _redis_client(url).ping()
    return Check("redis", True, "answers")


async def run(name: str, check: Callable[[], Check]) -> Check:
    """``check`` in a thread, bounded by :data:`CHECK_TIMEOUT`; any failure is "not ready"."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(check), CHECK_TIMEOUT)
    except TimeoutError:
        return Check(name, False, f"no answer within {CHECK_TIMEOUT:g}s")
    except Exception as error:  # any failure means not ready
        return Check(name, False, type(error).__name__)


async def checks(platform: Platform) -> list[Check]:
    pending = [run("database", functools.partial(database_check, platform))]
    if platform.settings.redis_url:
        pending.append(run("redis", functools.partial(redis_check, platform.settings.redis_url)))
    results = await asyncio.gather(*pending)
    database = results[0]
    if database.name == "migrations":  # the database answered; its schema was compared
        results = [Check("database", True, "answers"), *results]
    return list(results)
