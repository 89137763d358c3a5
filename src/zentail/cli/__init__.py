"""The ``zentail`` command: one module per noun."""

from __future__ import annotations

from zentail.cli import (  # noqa: F401  (registers commands)
    accounts,
    apps,
    db,
    installs,
    partners,
    serve,
    tokens,
)
from zentail.cli._app import app


def main() -> None:
    app()


__all__ = ["app", "main"]
