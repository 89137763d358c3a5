"""The one settings object: every knob is an environment variable prefixed ``ZENTAIL_``.

``docs/configuration.md`` lists them all. Development defaults let the sandbox start with
no configuration; ``ZENTAIL_ENV=production`` refuses the insecure ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "zentail-development-key-do-not-use-in-production"  # noqa: S105


class Settings(BaseSettings):
    """Runtime configuration, read once from ``ZENTAIL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ZENTAIL_", frozen=True)

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///zentail.db"
    secret_key: str = Field(default=DEV_SECRET_KEY, repr=False)
    issuer: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    redis_prefix: str = "zentail:"
    redis_timeout: float = Field(default=0.5, gt=0)
    credential_cache_seconds: int = Field(default=60, ge=0)
    response_cache_bytes: int = Field(default=8 * 2**20, ge=0)  # 0: the fast lane renders each

    authorization_code_ttl: int = Field(default=600, ge=1)
    secret_rotation_grace: int = Field(default=7 * 24 * 3600, ge=0)
    callback_max_age: int = Field(default=300, ge=1)

    client_auth_max_failures: int = Field(default=10, ge=1)
    client_auth_failure_window: int = Field(default=300, ge=1)
    client_auth_max_failures_per_address: int = Field(default=100, ge=1)

    api_rate_per_second: float = Field(default=10.0, gt=0)
    api_rate_burst: int = Field(default=10, ge=1)

    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=900, ge=1)
    login_max_failures_per_address: int = Field(default=50, ge=1)
    session_max_age: int = Field(default=8 * 3600, ge=60)

    token_last_used_resolution: int = Field(default=60, ge=0)
    purge_batch_size: int = Field(default=1000, ge=1)
    purge_retention: int = Field(default=7 * 24 * 3600, ge=0)
    purge_interval: int = Field(default=3600, ge=0)

    log_format: Literal["plain", "json"] = "plain"
    metrics_token: str | None = Field(default=None, repr=False)

    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_give_up_seconds: int = Field(default=24 * 3600, ge=1)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError(
                    "ZENTAIL_SECRET_KEY must be set to a random value of at least 32 characters "
                    "when ZENTAIL_ENV=production"
                )
            if not self.issuer.startswith("https://"):
                raise ValueError(
                    "ZENTAIL_ISSUER must be an https:// URL when ZENTAIL_ENV=production"
                )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure`` whenever the platform is served over https."""
        return self.issuer.startswith("https://")
