"""A database that does not answer is a 503 with Retry-After at every edge, within
seconds: a problem document on the API, an HTML page on the web; never a 500."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support import free_port
from tests.web.pages import CSRF_FIELD
from zentail.app import create_app
from zentail.settings import Settings

KEY = "unreachable-database-test-key-0123456789"


@pytest.fixture(params=["sqlite-file", "postgresql-port"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """An app whose database cannot be opened: a SQLite file in a directory that does not
    exist, or a PostgreSQL port nobody listens on."""
    url = (
        f"sqlite:///{tmp_path / 'missing' / 'zentail.db'}"
        if request.param == "sqlite-file"
        else f"postgresql://postgres@127.0.0.1:{free_port()}/zentail"
    )
    application = create_app(Settings(database_url=url, secret_key=KEY))
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            yield client
    finally:
        application.state.platform.close()


def test_the_web_login_answers_a_503_page_with_retry_after(unreachable: TestClient) -> None:
    page = unreachable.get("/login")
    csrf = CSRF_FIELD.search(page.text)
    assert csrf
    started = time.monotonic()
    answer = unreachable.post(
        "/login",
        data={"csrf_token": csrf.group(1), "email": "a@example.com", "password": "whatever-x"},
    )
    assert time.monotonic() - started < 5
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
    assert answer.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in answer.text


def test_an_api_read_answers_a_503_problem_with_retry_after(unreachable: TestClient) -> None:
    answer = unreachable.get("/v1/warehouses", headers={"AUTHORIZATION": "ztk_" + "a" * 43})
    assert answer.status_code == 503
    assert answer.headers["retry-after"]
    assert answer.headers["content-type"] == "application/problem+json"
