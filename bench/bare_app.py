"""The reference point: a bare Starlette endpoint with no authentication and no database."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_request: Request) -> JSONResponse:
    return JSONResponse({"results": [], "pagination": {"hasNext": False, "nextToken": None}})


app = Starlette(routes=[Route("/v1/bare", hello)])
