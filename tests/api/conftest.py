"""Fixtures for the Open API tests.

``client`` here talks to an app whose per-token rate limit is high, so tests that make many
calls are not throttled; ``limited_client`` has a tiny bucket for the rate-limit tests.
Both share the session's database. ``seller`` is an account with a token obtained through
the install flow (install → code → ``POST /v1/token``), holding every scope.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.factories import Seller
from tests.support import World, exchange
from zentail.app import create_app
from zentail.domain.scopes import ALL_SCOPES, join_scopes
from zentail.settings import Settings


def _app(settings: Settings, rate: float, burst: int) -> Iterator[FastAPI]:
    application = create_app(
        settings.model_copy(update={"api_rate_per_second": rate, "api_rate_burst": burst})
    )
    yield application
    application.state.platform.close()


@pytest.fixture(scope="session")
def unthrottled_app(settings: Settings) -> Iterator[FastAPI]:
    yield from _app(settings, rate=10_000, burst=10_000)


@pytest.fixture(scope="session")
def limited_app(settings: Settings) -> Iterator[FastAPI]:
    yield from _app(settings, rate=0.001, burst=3)


@pytest.fixture
def client(unthrottled_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(unthrottled_app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def limited_client(limited_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(limited_app, base_url="http://testserver") as test_client:
        yield test_client


def new_seller(client: TestClient, world: World) -> Seller:
    """An account and an install token for it, obtained through the documented flow."""
    app = world.app(scopes=join_scopes(ALL_SCOPES))
    account = world.account()
    response = exchange(client, app, world.code(app, account))
    assert response.status_code == 200, response.text
    return Seller(world.platform, account.id, response.json()["access_token"], client)


@pytest.fixture
def seller(client: TestClient, world: World) -> Seller:
    return new_seller(client, world)


@pytest.fixture
def other_seller(client: TestClient, world: World) -> Seller:
    return new_seller(client, world)
