"""The ``zentail`` command: one module per noun."""

from __future__ import annotations

from zentail.cli import accounts, apps, db, installs, serve, tokens  # noqa: F401  (registers commands)
from zentail.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
