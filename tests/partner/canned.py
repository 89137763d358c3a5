"""Canned platform answers for SDK unit tests, shaped as docs/zentail-api.md §4 describes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.partner.live import new_order

BASE_URL = "http://zentail.test"
TOKEN = "v2podKNZ395VqsQ7dz0afA1T9HpfPQkvoJHHo3Vow4U="

ORDER: dict[str, Any] = {
    "orderNumber": 10000001,
    "channelOrderId": "CH-1",
    "status": "PENDING",
    "orderTs": "2026-01-02T03:04:05.000Z",
    "lastUpdatedTs": "2026-01-02T03:04:05.000Z",
    "shippingAddress": new_order("CH-1")["shippingAddress"],
    "products": [],
}


def page(results: list[Any], next_url: str | None = None) -> httpx.Response:
    return httpx.Response(
        200,
        json={"results": results, "pagination": {"hasNext": bool(next_url), "nextToken": next_url}},
    )


def problem(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": "Bad Request", "status": status}
    body["detail"] = detail
    if errors:
        body["errors"] = errors
    return httpx.Response(status, json=body, headers={"content-type": "application/problem+json"})


class Recorder:
    """A transport handler answering from a list, keeping every request it saw."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request) if callable(answer) else answer

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]
