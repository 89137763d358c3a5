"""The running platform's shared parts, built once from :class:`~zentail.settings.Settings`
and handed to the HTTP app and the CLI alike."""

from __future__ import annotations

from zentail.crypto import Keyring
from zentail.limits import Limiter, create_limiter
from zentail.settings import Settings
from zentail.storage.database import Database


class Platform:
    """Settings, database, keys and rate limiter: everything a request handler or command needs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.keyring = Keyring(settings.secret_key)
        self.limiter: Limiter = create_limiter(
            settings.redis_url, prefix=f"{settings.redis_prefix}limit:"
        )

    def close(self) -> None:
        self.db.dispose()
