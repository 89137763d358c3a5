"""The example app's settings, read from ``PARTNER_*`` environment variables.

The defaults match the sandbox (``zentail serve --demo``): the demo platform at
http://127.0.0.1:8000 registers this app with Zentail's documented example credentials and
the redirect URI http://127.0.0.1:8001/oauth_callback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import zentail_partner as partner

DEV_SECRET_KEY = "partner-app-development-key-do-not-use-in-production"


@dataclass(frozen=True)
class Config:
    platform_url: str = "http://127.0.0.1:8000"
    client_id: str = "6779ef20e75817b79602"
    client_secret: str = field(
        default="31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3", repr=False
    )
    previous_client_secrets: tuple[str, ...] = field(default=(), repr=False)
    redirect_uri: str = "http://127.0.0.1:8001/oauth_callback"
    host: str = "127.0.0.1"
    port: int = 8001
    database: Path = Path("partner_app.db")
    secret_key: str = field(default=DEV_SECRET_KEY, repr=False)
    username: str = "partner@demo.example"
    password: str = field(default="demo-partner-password", repr=False)

    @classmethod
    def from_env(cls) -> Config:
        """Every field may be overridden by ``PARTNER_<FIELD>`` (upper case);
        ``PARTNER_PREVIOUS_CLIENT_SECRETS`` is comma-separated."""
        env = {
            name: os.environ[f"PARTNER_{name.upper()}"]
            for name in cls.__dataclass_fields__
            if f"PARTNER_{name.upper()}" in os.environ
        }
        return cls(
            platform_url=env.get("platform_url", cls.platform_url),
            client_id=env.get("client_id", cls.client_id),
            client_secret=env.get("client_secret", cls.client_secret),
            previous_client_secrets=tuple(
                s for s in env.get("previous_client_secrets", "").split(",") if s
            ),
            redirect_uri=env.get("redirect_uri", cls.redirect_uri),
            host=env.get("host", cls.host),
            port=int(env.get("port", cls.port)),
            database=Path(env.get("database", str(cls.database))),
            secret_key=env.get("secret_key", cls.secret_key),
            username=env.get("username", cls.username),
            password=env.get("password", cls.password),
        )

    @property
    def app(self) -> partner.AppCredentials:
        return partner.AppCredentials(
            self.client_id, self.client_secret, self.redirect_uri, self.previous_client_secrets
        )
