"""The sync and async clients: they send what an :class:`Operation` describes and nothing more.

Building the request, retrying 429s, reading answers and following pages are decided by the
shared code in :class:`_BaseClient`, ``_operation`` and ``_retry``; the two classes below differ
only in ``await``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, Self, TypeVar

import httpx

from zentail_partner._callback import AppCredentials
from zentail_partner._errors import ApiError, TransportError, UnexpectedResponse
from zentail_partner._operation import Operation, Page
from zentail_partner._retry import Attempts, RetryPolicy
from zentail_partner._token import AccessToken, refresh_access_token
from zentail_partner._version import __version__

T = TypeVar("T")
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)
USER_AGENT = f"zentail-partner/{__version__} httpx/{httpx.__version__}"
DEFAULT_TIMEOUT = 10.0


class _BaseClient(Generic[TransportT]):
    """What the two clients share: configuration, request building, page following.

    ``base_url``: the platform, e.g. ``http://127.0.0.1:8000``. ``token``: the account's
    access token (not needed for :func:`exchange_code`), as a string or the
    :class:`AccessToken` the exchange returned. ``retry``: how 429s are retried.
    ``timeout``: seconds for each of connect, read, write and pool. ``transport``: an httpx
    transport (e.g. ``httpx.MockTransport`` in tests).

    Expiring tokens: given an :class:`AccessToken` with a ``refresh_token``, the ``app``'s
    credentials and ``on_tokens``, the client refreshes the pair ``refresh_margin`` seconds
    before it expires, and once on a 401, and hands every new pair to ``on_tokens`` (store
    it: the previous refresh token dies once the new pair is used).
    """

    def __init__(
        self,
        base_url: str,
        token: str | AccessToken | None = None,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeout: float = DEFAULT_TIMEOUT,
        transport: TransportT | None = None,
        app: AppCredentials | None = None,
        on_tokens: Callable[[AccessToken], None] | None = None,
        refresh_margin: float = 60.0,
    ) -> None:
        self.base_url = httpx.URL(base_url.rstrip("/") + "/")
        self._tokens = token if isinstance(token, AccessToken) else None
        self._token = token.access_token if isinstance(token, AccessToken) else token
        self._app = app
        self._on_tokens = on_tokens
        self._refresh_margin = refresh_margin
        self.retry = retry
        self._timeout = httpx.Timeout(timeout).as_dict()
        self._http = self._open(transport)

    def _open(self, transport: TransportT | None) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.base_url)!r}, token={'…' if self._token else None})"
        )

    def _refresh_operation(self) -> Operation[AccessToken] | None:
        """The refresh to run, or ``None`` when this client cannot refresh."""
        tokens = self._tokens
        if tokens is None or tokens.refresh_token is None or self._app is None:
            return None
        return refresh_access_token(self._app, tokens.refresh_token)

    def _refresh_due(self, operation: Operation[Any]) -> bool:
        tokens = self._tokens
        return (
            operation.uses_token
            and tokens is not None
            and tokens.expires_within(self._refresh_margin)
            and self._refresh_operation() is not None
        )

    def _retry_after_refresh(self, operation: Operation[Any], error: ApiError) -> bool:
        """Whether a 401 should be answered by refreshing and sending ``operation`` again."""
        return error.status == 401 and operation.uses_token and bool(self._refresh_operation())

    def _adopt(self, tokens: AccessToken) -> None:
        self._tokens, self._token = tokens, tokens.access_token
        if self._on_tokens is not None:
            self._on_tokens(tokens)

    def _attempts(self, operation: Operation[T]) -> Attempts[T]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **operation.headers}
        if operation.uses_token:
            if not self._token:
                raise ValueError("this call needs an access token: pass token= to the client")
            headers["Authorization"] = self._token  # raw, as Zentail documents it
        request = httpx.Request(
            operation.method,
            self.base_url.join(operation.url),
            params=operation.params or None,
            json=operation.json,
            data=operation.form,
            headers=headers,
            extensions={"timeout": self._timeout},
        )
        return Attempts(operation, request, self.retry)

    def _after(self, operation: Operation[Page[T]], page: Page[T]) -> Operation[Page[T]] | None:
        """The operation fetching the page after ``page``, or ``None`` after the last one.

        The next-page URL must stay on the platform's origin: the client sends its token there.
        """
        if not page.has_next or page.next_url is None:
            return None
        url = self.base_url.join(page.next_url)
        if (url.scheme, url.host, url.port) != (
            self.base_url.scheme,
            self.base_url.host,
            self.base_url.port,
        ):
            raise UnexpectedResponse(
                f"the next page is on another origin: {url.copy_with(query=None)}"
            )
        return Operation("GET", str(url), operation.parse, read_error=operation.read_error)


@contextmanager
def _transport_errors() -> Iterator[None]:
    try:
        yield
    except httpx.TransportError as error:
        where = error.request.url.copy_with(query=None)
        raise TransportError(f"no answer from {where}: {type(error).__name__}: {error}") from error


class Client(_BaseClient[httpx.BaseTransport]):
    """A synchronous client for one platform and (optionally) one account's access token:
    ``Client(base_url, token=None, *, retry=RetryPolicy(), timeout=10.0, transport=None)``.
    Use it as a context manager, or call :meth:`close`.
    """

    _http: httpx.Client

    def _open(self, transport: httpx.BaseTransport | None) -> httpx.Client:
        return httpx.Client(transport=transport)

    def call(self, operation: Operation[T]) -> T:
        """Run ``operation`` and return its result; raises a :class:`ZentailError`. With
        expiring tokens, refreshes first when the token is about to expire, or after a 401."""
        refreshed = self._refresh_due(operation) and self._refresh()
        try:
            return self._run(operation)
        except ApiError as error:
            if refreshed or not self._retry_after_refresh(operation, error):
                raise
        self._refresh()
        return self._run(operation)

    def _refresh(self) -> bool:
        refresh = self._refresh_operation()
        if refresh is not None:
            self._adopt(self._run(refresh))
        return True

    def _run(self, operation: Operation[T]) -> T:
        attempts = self._attempts(operation)
        while attempts.pending:
            attempts.receive(self._send(attempts.request, attempts.delay))
        return attempts.result()

    def _send(self, request: httpx.Request, delay: float) -> httpx.Response:
        time.sleep(delay)
        with _transport_errors():
            return self._http.send(request)

    def pages(self, operation: Operation[Page[T]]) -> Iterator[Page[T]]:
        """Every page of a listing, following ``nextToken`` until ``hasNext`` is false."""
        current: Operation[Page[T]] | None = operation
        while current is not None:
            page = self.call(current)
            yield page
            current = self._after(current, page)

    def paginate(self, operation: Operation[Page[T]]) -> Iterator[T]:
        """Every item of a listing, page after page."""
        for page in self.pages(operation):
            yield from page.results

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_BaseClient[httpx.AsyncBaseTransport]):
    """The asynchronous twin of :class:`Client`: same arguments (an async ``transport``),
    same methods, awaited; ``pages`` and ``paginate`` are async iterators."""

    _http: httpx.AsyncClient

    def _open(self, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=transport)

    async def _send(self, request: httpx.Request, delay: float) -> httpx.Response:
        await asyncio.sleep(delay)
        with _transport_errors():
            return await self._http.send(request)

    async def call(self, operation: Operation[T]) -> T:
        refreshed = self._refresh_due(operation) and await self._refresh()
        try:
            return await self._run(operation)
        except ApiError as error:
            if refreshed or not self._retry_after_refresh(operation, error):
                raise
        await self._refresh()
        return await self._run(operation)

    async def _refresh(self) -> bool:
        refresh = self._refresh_operation()
        if refresh is not None:
            self._adopt(await self._run(refresh))
        return True

    async def _run(self, operation: Operation[T]) -> T:
        attempts = self._attempts(operation)
        while attempts.pending:
            attempts.receive(await self._send(attempts.request, attempts.delay))
        return attempts.result()

    async def paginate(self, operation: Operation[Page[T]]) -> AsyncIterator[T]:
        async for page in self.pages(operation):
            for item in page.results:
                yield item

    async def pages(self, operation: Operation[Page[T]]) -> AsyncIterator[Page[T]]:
        current: Operation[Page[T]] | None = operation
        while current is not None:
            page = await self.call(current)
            yield page
            current = self._after(current, page)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
