"""The SDK's packaging promises: a declared public API, and no server dependency."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import get_args

from zentail import partner

SERVER_PACKAGES = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "typer",
    "uvicorn",
    "jinja2",
    "argon2",
    "cryptography",
    "redis",
    "psycopg",
)

BLOCKER = f"""
import importlib.abc
import sys

BLOCKED = {SERVER_PACKAGES!r}

class RefuseServerPackages(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{{name}} is a server dependency")
        return None

sys.meta_path.insert(0, RefuseServerPackages())
"""


def _run_blocked(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(partner) if not name.startswith("_")}
    assert public == set(partner.__all__)
    assert len(partner.__all__) == len(set(partner.__all__))


def test_public_objects_show_the_public_module_path() -> None:
    assert partner.Client.__module__ == "zentail.partner"
    assert partner.InvalidGrant.__module__ == "zentail.partner"


def test_sdk_imports_and_runs_without_server_packages() -> None:
    result = _run_blocked(
        """
        import httpx
        from zentail import partner

        app = partner.AppCredentials("id", "secret", "https://p.example/cb")
        answer = httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        with partner.Client("http://z", transport=httpx.MockTransport(lambda r: answer)) as z:
            assert z.call(partner.exchange_code(app, "code")).access_token == "t"
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in BLOCKED)
        assert not loaded, loaded
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_the_blocker_refuses_what_the_server_needs() -> None:
    result = _run_blocked("import zentail.app")
    assert result.returncode != 0
    assert "is a server dependency" in result.stderr


def test_order_statuses_match_the_platforms() -> None:
    # The SDK cannot import the server's list (it must not need SQLAlchemy), so it repeats it.
    from zentail.domain import orders

    assert get_args(partner.OrderStatus) == orders.STATUSES
