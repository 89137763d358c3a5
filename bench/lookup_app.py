"""The physical limit of "one hash and one lookup": a bare Starlette endpoint that digests the
presented token (HMAC-SHA256) and finds it with one indexed ``SELECT`` — stdlib ``sqlite3`` on
a WAL file (``/v1/sqlite-lookup``) or asyncpg against PostgreSQL (``/v1/pg-lookup``).

Environment: ``BENCH_SQLITE_PATH`` and/or ``BENCH_PG_DSN``, ``BENCH_DIGEST_KEY`` (hex).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

KEY = bytes.fromhex(os.environ.get("BENCH_DIGEST_KEY", "00"))
QUERY = "SELECT id, account_id FROM access_tokens WHERE digest = {} AND revoked_at IS NULL"
state: dict[str, Any] = {}


def digest(request: Request) -> str:
    token = request.headers.get("authorization", "")
    return hmac.new(KEY, token.encode(), hashlib.sha256).hexdigest()


def respond(row: Any) -> JSONResponse:
    if row is None:
        return JSONResponse({"detail": "invalid token"}, status_code=401)
    return JSONResponse({"results": [], "pagination": {"hasNext": False, "nextToken": None}})


async def sqlite_lookup(request: Request) -> JSONResponse:
    row = state["sqlite"].execute(QUERY.format("?"), (digest(request),)).fetchone()
    return respond(row)


async def pg_lookup(request: Request) -> JSONResponse:
    async with state["pg"].acquire() as connection:
        row = await connection.fetchrow(QUERY.format("$1"), digest(request))
    return respond(row)


@asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    if path := os.environ.get("BENCH_SQLITE_PATH"):
        state["sqlite"] = sqlite3.connect(path, check_same_thread=False)
        state["sqlite"].execute("PRAGMA journal_mode=WAL")
    if dsn := os.environ.get("BENCH_PG_DSN"):
        state["pg"] = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
    yield
    if "pg" in state:
        await state["pg"].close()


app = Starlette(
    routes=[Route("/v1/sqlite-lookup", sqlite_lookup), Route("/v1/pg-lookup", pg_lookup)],
    lifespan=lifespan,
)
