"""The Open API's route class: read endpoints run on the event loop.

A read is a token check plus one or two indexed queries. Sending it to Starlette's thread
pool and back costs two GIL hand-offs, more than the work itself, so ``GET`` endpoints
written as plain functions are called directly on the event loop (together with the read
unit of work that :func:`zentail.api.auth.require_scope` opens there). Writes stay in the
thread pool: on SQLite a write may wait for the database's write lock, which must never
block the loop. See docs/decisions/0006-api-reads-on-the-event-loop.md.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute

READ_METHODS = frozenset({"GET", "HEAD"})


def on_event_loop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a plain function so that FastAPI awaits it instead of using a worker thread.
    ``functools.wraps`` keeps the signature FastAPI reads parameters from."""

    @functools.wraps(endpoint)
    async def call_inline(*args: Any, **kwargs: Any) -> Any:
        return endpoint(*args, **kwargs)

    return call_inline


class ApiRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = {method.upper() for method in kwargs.get("methods") or ("GET",)}
        if methods <= READ_METHODS and not inspect.iscoroutinefunction(endpoint):
            endpoint = on_event_loop(endpoint)
        super().__init__(path, endpoint, **kwargs)
