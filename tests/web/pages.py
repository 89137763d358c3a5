"""Helpers for driving the web platform with a TestClient, as a browser without JavaScript
would: read the CSRF token from the page, post forms, log in."""

from __future__ import annotations

import html
import re

import httpx
from fastapi.testclient import TestClient

from tests.support import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def csrf_token(client: TestClient, path: str = "/login") -> str:
    """The token embedded in the page at ``path``."""
    page = client.get(path)
    match = CSRF_FIELD.search(page.text)
    assert match, f"no CSRF field on {path} ({page.status_code})"
    return match.group(1)


def submit(
    client: TestClient, page: str, action: str, data: dict[str, str] | None = None
) -> httpx.Response:
    """Post the form found on ``page`` to ``action``, with that page's CSRF token."""
    form = {"csrf_token": csrf_token(client, page), **(data or {})}
    return client.post(action, data=form, follow_redirects=False)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    response = submit(client, "/login", "/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text
    return response


def shown_once(html: str, field_id: str) -> str | None:
    """The value of a one-time secret field (token, client secret, password) on a page."""
    match = re.search(rf'id="{field_id}" class="secret"[^>]*>([^<]+)</textarea>', html)
    return match.group(1) if match else None


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    """A form's hidden fields (CSRF token included; the consent form's request), as the
    browser would post them."""
    assert page.status_code == 200, page.text
    return {name: html.unescape(value) for name, value in HIDDEN_FIELD.findall(page.text)}
