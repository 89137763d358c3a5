"""One call to the platform, described without doing any I/O, and the reading of its answer.

An :class:`Operation` says what to send and how to read the answer. :class:`Client` and
:class:`AsyncClient` only move bytes: everything between building the request and returning a
typed result (or raising the right :class:`ZentailError`) lives here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from zentail_partner._errors import (
    ApiError,
    FieldError,
    InvalidClient,
    InvalidGrant,
    TokenExchangeError,
    UnexpectedResponse,
    ZentailError,
)

T = TypeVar("T")
EXCERPT_LENGTH = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: ``{"results": [...], "pagination": {"hasNext", "nextToken"}}``.

    ``next_url`` is the platform's ``nextToken``: the full URL of the next page, requested as
    is (Zentail's paging guide). The clients' ``paginate()`` follows it for you.
    """

    results: list[T]
    has_next: bool
    next_url: str | None


def problem_error(response: httpx.Response) -> ZentailError:
    """The exception an Open API error answer (an RFC 9457 problem document) stands for."""
    body = _json_or_none(response)
    if not isinstance(body, dict) or not ({"title", "detail"} & body.keys()):
        return _unexpected("not a problem document", response)
    errors = tuple(
        FieldError(str(item.get("field", "")), str(item.get("message", "")))
        for item in body.get("errors") or ()
        if isinstance(item, dict)
    )
    title = str(body.get("title") or response.reason_phrase)
    return ApiError(response.status_code, title, str(body.get("detail") or title), errors)


OAUTH_ERRORS: dict[str, type[TokenExchangeError]] = {
    "invalid_grant": InvalidGrant,
    "invalid_client": InvalidClient,
}


def oauth_error(response: httpx.Response) -> ZentailError:
    """The exception a token-endpoint error answer (RFC 6749 §5.2) stands for."""
    body = _json_or_none(response)
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return _unexpected("not an RFC 6749 error response", response)
    description = body.get("error_description")
    error_class = OAUTH_ERRORS.get(body["error"], TokenExchangeError)
    return error_class(
        body["error"], str(description) if description else None, response.status_code
    )


def rate_limit_detail(response: httpx.Response) -> str:
    """What a 429 answer says, whichever error format it uses."""
    body = _json_or_none(response)
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error_description") or "too many requests")
    return "too many requests"


@dataclass(frozen=True)
class Operation(Generic[T]):
    """An HTTP call and how to read its answer.

    ``url`` is relative to the client's base URL (or absolute, for next pages). ``parse``
    turns the decoded JSON of a 2xx answer into the result; ``read_error`` turns any other
    answer but 429 (which the clients retry) into the exception to raise. ``uses_token``:
    the client adds its access token in the ``Authorization`` header.
    """

    method: str
    url: str
    parse: Callable[[Any], T]
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    form: Mapping[str, str] | None = field(default=None, repr=False)
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    read_error: Callable[[httpx.Response], ZentailError] = problem_error
    uses_token: bool = True

    def outcome(self, response: httpx.Response) -> T:
        """The result a (non-429) answer carries, or raise the error it stands for."""
        if not response.is_success:
            raise self.read_error(response)
        if not response.content:
            return self.parse(None)
        body = _json_or_none(response)
        if body is None:
            raise _unexpected("the answer is not JSON", response)
        return self.parse(body)


def parse_object(body: Any) -> Any:
    """A JSON object, returned as is (the result types are ``TypedDict``)."""
    if not isinstance(body, dict):
        raise UnexpectedResponse(f"expected a JSON object, got {type(body).__name__}")
    return body


def parse_results(body: Any) -> list[Any]:
    """The ``results`` list of ``{"results": [...]}``, each a JSON object."""
    results = parse_object(body).get("results")
    if not isinstance(results, list):
        raise UnexpectedResponse("the answer has no results list")
    return [parse_object(item) for item in results]


def parse_page(body: Any) -> Page[Any]:
    """Zentail's paging envelope (see :class:`Page`)."""
    pagination = parse_object(body).get("pagination")
    if not isinstance(pagination, dict) or not isinstance(pagination.get("hasNext"), bool):
        raise UnexpectedResponse("the answer has no pagination.hasNext")
    next_url = pagination.get("nextToken")
    if pagination["hasNext"] and not isinstance(next_url, str):
        raise UnexpectedResponse("pagination.hasNext is true but nextToken is not a URL")
    return Page(parse_results(body), pagination["hasNext"], next_url or None)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _unexpected(reason: str, response: httpx.Response) -> UnexpectedResponse:
    excerpt = " ".join(response.text.split())[:EXCERPT_LENGTH]
    return UnexpectedResponse(f"{reason}: {excerpt!r}", response.status_code)
