"""Zentail's paging: ``{"results": [...], "pagination": {"hasNext": …, "nextToken": …}}``.

``nextToken`` is the full URL of the next page (Zentail's paging guide says to GET it
verbatim), and that URL carries an opaque ``nextToken`` query value (the listing reference
treats it as a parameter that overrides all others), so both documented readings work.

Paging is keyset-based: the token holds the sort key of the last row served and the filters
of the first request, so pages stay consistent while rows change (no offsets). The token is
signed with a key derived from ``ZENTAIL_SECRET_KEY`` and bound to the endpoint's path, so a
token that was altered, or issued by another endpoint, is a 400 naming ``nextToken``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel, Field
from starlette.requests import Request

from zentail.api import timestamps
from zentail.domain.errors import InvalidInput

DEFAULT_PAGE_LENGTH = 25
MAX_PAGE_LENGTH = 100

# The two query parameters every paged endpoint takes.
PageLengthQuery = Annotated[int | None, Query(description="Page size, 1 to 100 (default 25)")]
NextTokenQuery = Annotated[
    str | None,
    Query(description="Continue a previous listing; other parameters are then ignored"),
]

T = TypeVar("T")
Row = TypeVar("Row")


class Pagination(BaseModel):
    hasNext: bool = Field(description="True when another page follows")  # noqa: N815
    nextToken: str | None = Field(  # noqa: N815
        description="Full URL of the next page (GET it as is), or null on the last page"
    )


class Page(BaseModel, Generic[T]):
    results: list[T]
    pagination: Pagination


@dataclass(frozen=True)
class PageRequest:
    """What one page needs: the filters (as first sent), the page size and the cursor."""

    query: Mapping[str, Any]
    limit: int
    after: Sequence[Any] | None


def _serializer(request: Request) -> URLSafeSerializer:
    key = request.app.state.platform.keyring.digest("zentail/page-token")
    return URLSafeSerializer(key, salt=request.url.path)


def page_length(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_LENGTH
    if not 1 <= value <= MAX_PAGE_LENGTH:
        raise InvalidInput("pageLength", f"must be between 1 and {MAX_PAGE_LENGTH}")
    return value


def begin(
    request: Request,
    *,
    next_token: str | None,
    page_length_value: int | None,
    query: Mapping[str, Any],
) -> PageRequest:
    """The first page from the query parameters, or a later page from ``nextToken`` (which
    then overrides every other parameter, as Zentail's listing reference says)."""
    if not next_token:
        kept = {name: value for name, value in query.items() if value is not None}
        return PageRequest(kept, page_length(page_length_value), None)
    try:
        state = _serializer(request).loads(next_token)
    except BadSignature:
        raise InvalidInput("nextToken", "is not a token this endpoint issued") from None
    return PageRequest(state["q"], state["n"], state["a"])


def respond(
    request: Request,
    page: PageRequest,
    rows: Sequence[Row],
    *,
    cursor: Callable[[Row], list[Any]],
    render: Callable[[Row], T],
) -> Page[T]:
    """Build the page from ``rows`` fetched with ``limit + 1`` (the extra row only tells
    whether a next page exists)."""
    has_next = len(rows) > page.limit
    shown = rows[: page.limit]
    token = None
    if has_next:
        state = {"q": dict(page.query), "n": page.limit, "a": cursor(shown[-1])}
        token = next_url(request, _serializer(request).dumps(state))
    return Page[T](
        results=[render(row) for row in shown],
        pagination=Pagination(hasNext=has_next, nextToken=token),
    )


def next_url(request: Request, token: str) -> str:
    """The URL of the next page: this endpoint with only ``nextToken`` in the query."""
    return str(request.url.replace(query=f"nextToken={token}"))


def time_key(ts: dt.datetime, row_id: int) -> list[Any]:
    """The keyset cursor of a row sorted by (timestamp, id), as kept in ``nextToken``."""
    return [timestamps.render_exact(ts), row_id]


def time_cursor(page: PageRequest) -> tuple[dt.datetime, int] | None:
    """The (timestamp, id) cursor of ``page``, or ``None`` on the first page."""
    if page.after is None:
        return None
    ts, row_id = page.after
    return timestamps.parse(str(ts), "nextToken"), int(row_id)
