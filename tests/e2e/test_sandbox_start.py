"""``zentail serve --demo`` as a new user meets it: a real server process on a port other
than 8000 advertises that port as its issuer, and every start prints the logins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import free_port, running_process
from zentail import demo

pytestmark = pytest.mark.server


def _env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    return env | {"ZENTAIL_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}"}


def _serve(env: dict[str, str], tmp_path: Path, name: str) -> tuple[str, str]:
    """Start ``zentail serve --demo`` on a free port; return its issuer and its output."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "zentail", "serve", "--demo", "--port", str(port)]
    log = tmp_path / f"{name}.log"
    with running_process(command, env, log, f"{base}/healthz", start_timeout=180):
        metadata = httpx.get(f"{base}/.well-known/oauth-authorization-server").json()
    return metadata["issuer"], log.read_text()


def test_a_sandbox_on_another_port_advertises_that_port_and_prints_logins_every_start(
    tmp_path: Path,
) -> None:
    env = _env(tmp_path)
    for start in ("first", "second"):
        issuer, output = _serve(env, tmp_path, start)
        port = issuer.rsplit(":", 1)[1]
        assert issuer == f"http://127.0.0.1:{port}"
        assert f"platform:        {issuer}/" in output
        assert f"{demo.ADMIN_EMAIL} / {demo.ADMIN_PASSWORD}" in output
        assert f"{demo.STAFF_EMAIL} / {demo.STAFF_PASSWORD}" in output
        assert demo.DOCUMENTED_CLIENT_SECRET in output
    assert "seeded on an earlier start" in output


def test_an_explicit_issuer_is_kept(tmp_path: Path) -> None:
    env = _env(tmp_path) | {"ZENTAIL_ISSUER": "http://sandbox.example:9000"}
    issuer, _ = _serve(env, tmp_path, "explicit")
    assert issuer == "http://sandbox.example:9000"
