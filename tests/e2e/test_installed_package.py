"""The CLI works from an installed wheel, not only from the source tree: migrations,
templates and static files ship inside the package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# One worker builds the wheel once for all of this module's tests.
pytestmark = pytest.mark.xdist_group("installed-package")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The project built as a wheel and installed into a directory of its own, put first on
    ``PYTHONPATH`` so that it shadows the source tree; the dependencies come from the
    test environment."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: a build writes build/ and *.egg-info beside its sources
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(work),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(work.glob("zentail-*.whl"))
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    env["PYTHONPATH"] = str(target)
    env["ZENTAIL_DATABASE_URL"] = f"sqlite:///{work / 'installed.db'}"
    return env


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )


def test_installed_package_is_the_one_imported(installed: dict[str, str], tmp_path: Path) -> None:
    result = run(installed, tmp_path, "-c", "import zentail; print(zentail.__file__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(installed["PYTHONPATH"])


def test_installed_cli_migrates_and_creates_an_account(
    installed: dict[str, str], tmp_path: Path
) -> None:
    upgrade = run(installed, tmp_path, "-m", "zentail", "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    created = run(
        installed,
        tmp_path,
        "-m",
        "zentail",
        "accounts",
        "create",
        "--name",
        "Wheel Seller",
        "--admin-email",
        "wheel@example.com",
        "--json",
    )
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == "Wheel Seller"


def test_installed_app_renders_its_pages(installed: dict[str, str], tmp_path: Path) -> None:
    script = (
        "from fastapi.testclient import TestClient\n"
        "from zentail.app import create_app\n"
        "client = TestClient(create_app())\n"
        "page = client.get('/login')\n"
        "css = client.get('/static/style.css')\n"
        "print(page.status_code, css.status_code, '<form' in page.text)\n"
    )
    run(installed, tmp_path, "-m", "zentail", "db", "upgrade")
    result = run(installed, tmp_path, "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "200", "True"]
