"""``zentail.domain.client_keys``: the once-only store of assertion ``jti`` values."""

from __future__ import annotations

import datetime as dt

import pytest

from zentail.domain import client_keys
from zentail.limits import Limiter
from zentail.oauth.errors import TemporarilyUnavailable

SOON = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)


def test_without_redis_the_process_remembers_a_jti() -> None:
    limiter = Limiter(None, prefix="t:")
    assert client_keys.first_use(limiter, "c", "j", SOON) is True
    assert client_keys.first_use(limiter, "c", "j", SOON) is False
    assert client_keys.first_use(limiter, "other-client", "j", SOON) is True


def test_an_unreachable_redis_fails_closed() -> None:
    """Configured but not answering: no node can tell a replay from a first use."""
    limiter = Limiter("redis://127.0.0.1:1/0", prefix="t:", timeout=0.2)
    try:
        with pytest.raises(TemporarilyUnavailable):
            client_keys.first_use(limiter, "c", "j", SOON)
    finally:
        limiter.close()


def test_the_key_bounds_attacker_chosen_ids() -> None:
    key = client_keys.jti_key("c" * 500, "j" * 500)
    assert key.startswith(client_keys.JTI_KEY_PREFIX)
    assert len(key) == len(client_keys.JTI_KEY_PREFIX) + 40
    assert key != client_keys.jti_key("c" * 500, "j" * 499)
