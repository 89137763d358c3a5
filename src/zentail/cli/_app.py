"""The Typer application, shared helpers and the mapping of domain errors to exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from sqlalchemy.orm import Session

from zentail.domain.errors import DomainError, NotFound
from zentail.platform import Platform
from zentail.settings import Settings

app = typer.Typer(
    name="zentail",
    help="Run and administer a zentail platform. Settings come from ZENTAIL_* variables.",
    no_args_is_help=True,
    add_completion=False,
)

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON.")


def platform() -> Platform:
    try:
        return Platform(Settings())
    except ValueError as error:
        fail(f"invalid settings: {error}")


@contextmanager
def unit_of_work() -> Iterator[tuple[Platform, Session]]:
    """A platform and a write session; domain errors become a message and exit code."""
    current = platform()
    try:
        with current.db.session(write=True) as session:
            yield current, session
    except NotFound as error:
        fail(str(error), code=3)
    except DomainError as error:
        fail(str(error))
    finally:
        current.close()


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        typer.echo(text)
