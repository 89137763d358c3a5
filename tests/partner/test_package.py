"""The SDK's packaging promises: its own distribution (``pip install ./sdk/python``) that
brings httpx and nothing of the platform, a declared public API, no server import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import venv
from pathlib import Path
from typing import get_args

import pytest

import zentail_partner as partner

SDK = Path(__file__).resolve().parents[2] / "sdk" / "python"

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
    assert partner.Client.__module__ == "zentail_partner"
    assert partner.InvalidGrant.__module__ == "zentail_partner"


def test_sdk_imports_and_runs_without_server_packages() -> None:
    result = _run_blocked(
        """
        import httpx
        import zentail_partner as partner

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


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with ``pip install ./sdk/python`` (not editable) in it."""
    root = tmp_path_factory.mktemp("sdk-venv") / "venv"
    venv.create(root, with_pip=True)
    python = root / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(SDK)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def test_pip_install_of_the_sdk_directory_brings_httpx_and_no_server_package(
    fresh_venv: Path,
) -> None:
    listed = subprocess.run(
        [fresh_venv, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    )
    names = {entry["name"].lower().replace("_", "-") for entry in json.loads(listed.stdout)}
    assert {"zentail-partner", "httpx"} <= names
    assert "zentail" not in names
    server = {"sqlalchemy", "fastapi", "starlette", "alembic", "pydantic", "uvicorn", "psycopg"}
    server |= {"psycopg-binary", "typer", "jinja2", "argon2-cffi", "cryptography", "redis"}
    assert not names & server, names & server


def test_the_installed_sdk_exchanges_a_code_from_its_own_site_packages(fresh_venv: Path) -> None:
    code = """
        import httpx, zentail_partner as partner
        app = partner.AppCredentials("id", "secret", "https://p.example/cb")
        answer = httpx.Response(200, json={"access_token": "t", "token_type": "bearer"})
        with partner.Client("http://z", transport=httpx.MockTransport(lambda r: answer)) as z:
            assert z.call(partner.exchange_code(app, "code")).access_token == "t"
        print(partner.__file__)
        """
    result = subprocess.run(
        [fresh_venv, "-I", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "site-packages" in result.stdout
    assert str(SDK) not in result.stdout


def test_signing_assertions_is_an_optional_extra_imported_only_when_used() -> None:
    import tomllib

    project = tomllib.loads((SDK / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == ["httpx>=0.27"]
    assert project["optional-dependencies"]["jwt"] == ["joserfc>=1.0"]
    result = _run_blocked(
        """
        import sys
        import zentail_partner
        assert "joserfc" not in sys.modules, "joserfc imported with the base SDK"
        """
    )
    assert result.returncode == 0, result.stderr
