"""Exceptions that web routes raise to end a request with a page (see :mod:`.error_pages`)."""

from __future__ import annotations


class PageError(Exception):
    """Answer with an HTML error page: ``status``, a ``title`` and a plain-words ``message``.

    ``login_link`` adds a link to the login page (for an expired session).
    """

    def __init__(self, status: int, title: str, message: str, *, login_link: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message
        self.login_link = login_link


class LoginRequired(Exception):
    """The page needs a logged-in user: answered with a redirect to the login page."""
