"""zentail.settings: production refuses unsafe settings, and docs/configuration.md lists
every setting and nothing that is not one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zentail.settings import Settings

DOC = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_every_setting_is_documented_and_every_documented_variable_exists() -> None:
    documented = set(re.findall(r"`(ZENTAIL_[A-Z_]+)`", DOC.read_text()))
    actual = {f"ZENTAIL_{name.upper()}" for name in Settings.model_fields}
    assert documented == actual


def test_production_refuses_the_development_secret_key() -> None:
    with pytest.raises(ValueError, match="ZENTAIL_SECRET_KEY"):
        Settings(env="production", issuer="https://platform.example")


def test_production_refuses_a_plain_http_issuer() -> None:
    with pytest.raises(ValueError, match="ZENTAIL_ISSUER"):
        Settings(env="production", secret_key="k" * 40, issuer="http://platform.example")


def test_production_accepts_a_real_key_and_https_issuer() -> None:
    settings = Settings(env="production", secret_key="k" * 40, issuer="https://platform.example")
    assert settings.secure_cookies
