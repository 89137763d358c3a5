"""The running platform's shared parts, built once from :class:`~zentail.settings.Settings`
and handed to the HTTP app and the CLI alike."""

from __future__ import annotations

from zentail.crypto import Keyring
from zentail.limits import Limiter
from zentail.observability import metrics
from zentail.principal_cache import CachedClient, PrincipalCache
from zentail.response_cache import ResponseCache
from zentail.settings import Settings
from zentail.storage.database import Database
from zentail.storage.gateway import Gateway, PostgresGateway, create_gateway


class Platform:
    """Settings, database, keys and limiter: everything a request handler or command needs.

    ``db`` is the ORM unit of work (web UI, CLI, API writes, in worker threads); ``gateway``
    the request path's prebuilt statements on the event loop. Every committed credential change
    moves its generations in Redis through ``limiter`` (see :mod:`zentail.generations`).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = Limiter(
            settings.redis_url,
            prefix=settings.redis_prefix,
            timeout=settings.redis_timeout,
        )
        self.db = Database(settings.database_url, after_commit=self.limiter.increment)
        metrics.track_pool(self.db.engine)
        self.keyring = Keyring(settings.secret_key)
        self.principals = PrincipalCache(max_age=settings.credential_cache_seconds)
        self.responses = ResponseCache(  # the fast lane's rendered bodies
            max_bytes=settings.response_cache_bytes, max_age=settings.credential_cache_seconds
        )
        self.clients: dict[str, CachedClient] = {}  # the token endpoint's, by client ID
        self._gateway: Gateway | None = None

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = create_gateway(self.db.url)
            if isinstance(self._gateway, PostgresGateway):
                self._gateway.on_pool_change = metrics.gateway_pool_changed
        return self._gateway

    async def aclose(self) -> None:
        """Close what belongs to the running event loop (its pools and clients)."""
        if self._gateway is not None:
            await self._gateway.aclose()
        await self.limiter.aclose()

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        self.limiter.close()
        self.db.dispose()
