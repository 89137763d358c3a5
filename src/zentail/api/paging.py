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
from zentail.crypto import Keyring
from zentail.domain.errors import InvalidInput

DEFAULT_PAGE_LENGTH = 25
MAX_PAGE_LENGTH = 100

# The two query parameters every paged endpoint takes.
PageLengthQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_PAGE_LENGTH, description="Page size, 1 to 100 (default 25)"),
]
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


def _serializer(keyring: Keyring, path: str) -> URLSafeSerializer:
    return URLSafeSerializer(keyring.digest("zentail/page-token"), salt=path)


def page_length(value: int | None) -> int:
    if value is None:
        return DEFAULT_PAGE_LENGTH
    if not 1 <= value <= MAX_PAGE_LENGTH:
        raise InvalidInput("pageLength", f"must be between 1 and {MAX_PAGE_LENGTH}")
    return value


def begin_page(
    keyring: Keyring,
    path: str,
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
        state = _serializer(keyring, path).loads(next_token)
    except BadSignature:
        raise InvalidInput("nextToken", "is not a token this endpoint issued") from None
    return PageRequest(state["q"], state["n"], state["a"])


def begin(
    request: Request,
    *,
    next_token: str | None,
    page_length_value: int | None,
    query: Mapping[str, Any],
) -> PageRequest:
    """:func:`begin_page` for the endpoint ``request`` was sent to."""
    return begin_page(
        request.app.state.platform.keyring,
        request.url.path,
        next_token=next_token,
        page_length_value=page_length_value,
        query=query,
    )


def split_page(
    keyring: Keyring,
    issuer: str,
    path: str,
    page: PageRequest,
    rows: Sequence[Row],
    cursor: Callable[[Row], list[Any]],
) -> tuple[Sequence[Row], str | None]:
    """The rows to show from ``rows`` fetched with ``limit + 1`` (the extra row only tells
    whether a next page exists), and the next page's URL or ``None``."""
    shown = rows[: page.limit]
    if len(rows) <= page.limit:
        return shown, None
    state = {"q": dict(page.query), "n": page.limit, "a": cursor(shown[-1])}
    return shown, next_url(issuer, path, _serializer(keyring, path).dumps(state))


def respond(
    request: Request,
    page: PageRequest,
    rows: Sequence[Row],
    *,
    cursor: Callable[[Row], list[Any]],
    render: Callable[[Row], T],
) -> Page[T]:
    """The page of ``rows`` for the endpoint ``request`` was sent to."""
    platform = request.app.state.platform
    shown, token = split_page(
        platform.keyring, platform.settings.issuer, request.url.path, page, rows, cursor
    )
    return Page[T](
        results=[render(row) for row in shown],
        pagination=Pagination(hasNext=token is not None, nextToken=token),
    )


def next_url(issuer: str, path: str, token: str) -> str:
    """The URL of the next page: this endpoint under the platform's own base URL
    (``ZENTAIL_ISSUER``, never the request's ``Host`` header) with only ``nextToken``."""
    return f"{issuer.rstrip('/')}{path}?nextToken={token}"


def time_key(ts: dt.datetime, row_id: int) -> list[Any]:
    """The keyset cursor of a row sorted by (timestamp, id), as kept in ``nextToken``."""
    return [timestamps.render_exact(ts), row_id]


def time_cursor(page: PageRequest) -> tuple[dt.datetime, int] | None:
    """The (timestamp, id) cursor of ``page``, or ``None`` on the first page."""
    if page.after is None:
        return None
    ts, row_id = page.after
    return timestamps.parse(str(ts), "nextToken"), int(row_id)
