"""Fixtures for the checklist tests: a platform with a strict client-authentication throttle."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from zentail.app import create_app
from zentail.settings import Settings

STRICT_PER_CLIENT = 3
STRICT_PER_ADDRESS = 5


@pytest.fixture(scope="module")
def strict_app(settings: Settings) -> Iterator[FastAPI]:
    """The same database, with throttle limits small enough to reach in a test."""
    strict = settings.model_copy(
        update={
            "client_auth_max_failures": STRICT_PER_CLIENT,
            "client_auth_max_failures_per_address": STRICT_PER_ADDRESS,
            "redis_prefix": f"zentail-test:strict:{uuid.uuid4().hex[:8]}:",
        }
    )
    application = create_app(strict)
    yield application
    application.state.platform.close()


@pytest.fixture
def client_from(strict_app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """``client_from("203.0.113.7")``: a client of the strict platform at that address."""
    opened: list[TestClient] = []

    def make(address: str) -> TestClient:
        test_client = TestClient(strict_app, client=(address, 50000))
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.close()
