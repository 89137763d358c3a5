"""Storage failures that the edges turn into responses."""

from __future__ import annotations


class DatabaseUnavailable(Exception):
    """The database could not be reached or answered too slowly (a restart, a failover, an
    exhausted pool). Every edge answers it ``503`` with ``Retry-After``: the request may be
    retried as it is, nothing was committed on its behalf."""

    retry_after = 2
