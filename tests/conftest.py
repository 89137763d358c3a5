"""Shared fixtures.

Every database-backed test runs twice: on SQLite and on PostgreSQL (``[sqlite]`` /
``[postgresql]`` in its id). Each backend gets a fresh database, migrated with Alembic, once
per session. Tests do not share rows: each creates its own accounts and apps (the
:class:`~tests.support.World` factory), which is also how tenant isolation is exercised.
PostgreSQL tests are skipped, with the reason in the summary, only when no server is
reachable at ``ZENTAIL_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432``).

Safe under pytest-xdist (``scripts/test`` runs the suite on every core): each worker has its own
databases, Redis key prefix, temporary directories (pytest's per-worker ``basetemp``) and port
range (:func:`tests.support.free_port`). Tests marked ``serial`` share one xdist group, so no
two of them ever run at the same time (:mod:`tests.summary`, which also prints which parts of
the suite ran and why any were skipped).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.support import LiveServer, World, start_live_server, worker_name
from zentail.app import create_app
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "ZENTAIL_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ZENTAIL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"
BACKENDS = ["sqlite", "postgresql"]

pytest_plugins = ["tests.summary"]

# Property tests: no example database in the working tree, and no deadline (the machine is
# shared, so a slow example says nothing about the code). Failures print a reproduction blob.
hypothesis_settings.register_profile(
    "zentail",
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("zentail")


def _postgres_database(name: str) -> Iterator[str]:
    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """Redis for rate limits, when reachable (it is in CI); otherwise in-process buckets."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return REDIS_URL


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated database on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'zentail.db'}"
        upgrade(url)
        yield url
        return
    for url in _postgres_database(f"zentail_test_{worker_name()}_{uuid.uuid4().hex[:12]}"):
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str | None) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        issuer="http://testserver",
        redis_url=redis_url,
        redis_prefix=f"zentail-test:{worker_name()}:{uuid.uuid4().hex[:8]}:",
        purge_interval=0,  # tests that purge do it themselves, or start their own app
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.platform.close()


@pytest.fixture(scope="session")
def platform(app: FastAPI) -> Platform:
    platform: Platform = app.state.platform
    return platform


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def world(platform: Platform) -> World:
    """Factories for accounts, apps, installs and tokens, unique to the calling test."""
    return World(platform)


@pytest.fixture(scope="session")
def live_server(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real ``zentail serve`` process on a free port, sharing the test database."""
    log_path: Path = tmp_path_factory.mktemp("live") / "server.log"
    with start_live_server(settings, log_path) as server:
        yield server
