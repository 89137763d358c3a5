"""Alembic, driven from code: the migrations ship inside the package, so ``zentail db upgrade``
works from an installed wheel as well as from the source tree."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from zentail.storage.database import normalize_url

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema at ``database_url`` up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)
