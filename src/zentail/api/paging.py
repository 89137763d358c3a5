"""Zentail's paging: ``{"results": [...], "pagination": {"hasNext": …, "nextToken": …}}``.

``nextToken`` is the full URL of the next page (Zentail's paging guide says to GET it
verbatim), and that URL carries an opaque ``nextToken`` query value (the listing reference
treats it as a parameter that overrides all others), so both documented readings work.
Paging is keyset-based: the token holds the sort key of the last row and the original
filters, so pages stay consistent while rows change.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from starlette.requests import Request

from zentail.domain.errors import InvalidInput

DEFAULT_PAGE_LENGTH = 25
MAX_PAGE_LENGTH = 100

T = TypeVar("T")


class Pagination(BaseModel):
    hasNext: bool  # noqa: N815 - Zentail's field name
    nextToken: str | None = Field(  # noqa: N815
        description="Full URL of the next page (GET it as is), or null on the last page"
    )


class Page(BaseModel, Generic[T]):
    results: list[T]
    pagination: Pagination


def encode_token(state: dict[str, Any]) -> str:
    raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    """Decode a ``nextToken``; anything that is not one of ours is a 400 naming the field."""
    try:
        padded = token + "=" * (-len(token) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("nextToken", "is not a token this API issued") from None
    if not isinstance(state, dict):
        raise InvalidInput("nextToken", "is not a token this API issued")
    return state


def next_url(request: Request, state: dict[str, Any]) -> str:
    """The URL of the next page: this endpoint with only ``nextToken`` in the query."""
    return str(request.url.replace(query=f"nextToken={encode_token(state)}"))


def page_length(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_LENGTH
    if not 1 <= value <= MAX_PAGE_LENGTH:
        raise InvalidInput("pageLength", f"must be between 1 and {MAX_PAGE_LENGTH}")
    return value
