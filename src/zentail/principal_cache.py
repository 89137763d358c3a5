"""Resolved access tokens, cached per process and trusted only while their generations hold.

An entry is stamped with the epoch and the two counters (:mod:`zentail.generations`) that the
request's Redis round trip read *before* the database read that filled it. A later request
uses the entry only if its own round trip read the same three values: any revocation,
replacement, uninstall or suspension committed after the fill has moved one of them, so it is
refused on the very next request, on every worker and node. With no Redis answer (not
configured, or unreachable) nothing is cached and every request reads the database.
``max_age`` bounds an entry's life in any case.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from zentail.domain.tokens import Principal
from zentail.limits import Outcome
from zentail.oauth.stores import Client
from zentail.storage.gateway import timestamp

MAX_ENTRIES = 50_000
STAMP_LENGTH = 3  # the epoch, generations.ALL and the token's counter; a read may add more


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    stamp: tuple[bytes | None, ...]
    filled_at: float


class PrincipalCache:
    def __init__(self, *, max_age: float) -> None:
        self._entries: dict[str, _Entry] = {}
        self._max_age = max_age

    def get(self, digest: str, outcome: Outcome) -> Principal | None:
        """The cached principal, if ``outcome``'s counters still vouch for it."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if (
            outcome.shared
            and entry.stamp == outcome.counters[:STAMP_LENGTH]
            and time.monotonic() - entry.filled_at < self._max_age
        ):
            return entry.principal
        del self._entries[digest]
        return None

    def put(self, digest: str, principal: Principal, outcome: Outcome) -> None:
        """Remember ``principal``, read from the database after ``outcome`` was read."""
        if not outcome.shared or self._max_age <= 0:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[digest] = _Entry(principal, outcome.counters[:STAMP_LENGTH], time.monotonic())

    def account_of(self, digest: str) -> int | None:
        """The account of the cached principal, vouched for or not: which account's data
        counter the request's round trip should read (:mod:`zentail.response_cache`)."""
        entry = self._entries.get(digest)
        return None if entry is None else entry.principal.account_id

    def forget(self, digest: str) -> None:
        self._entries.pop(digest, None)


class CachedClient:
    """A client's rows (the app and each secret, with its expiry) as the token endpoint read
    them, stamped like a principal; secrets are checked for expiry at each use."""

    def __init__(self, rows: list[tuple[Any, ...]], stamp: tuple[bytes | None, ...]) -> None:
        self.rows = rows
        self.stamp = stamp
        self.filled_at = time.monotonic()

    def client(self, now: dt.datetime) -> Client:
        app_id, client_id, redirect_uri, status, lifetime, jwks, jwks_uri, secrets_accepted, *_ = (
            self.rows[0]
        )
        valid: list[str] = []
        expired: list[str] = []
        for *_, digest, expires_at in self.rows:
            if digest is not None:
                expires = timestamp(expires_at)
                (valid if expires is None or expires > now else expired).append(digest)
        return Client(
            app_id,
            client_id,
            redirect_uri,
            status == "active",
            tuple(valid),
            tuple(expired),
            lifetime,
            jwks,
            jwks_uri,
            bool(secrets_accepted),
        )
