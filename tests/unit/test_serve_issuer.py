"""The issuer ``zentail serve`` derives from ``--host``/``--port``."""

from __future__ import annotations

import pytest

from zentail.cli.serve import derived_issuer


@pytest.mark.parametrize(
    ("host", "port", "issuer"),
    [
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),  # noqa: S104 - an input, never bound
        ("::1", 8000, "http://[::1]:8000"),
        ("localhost", 8001, "http://localhost:8001"),
    ],
)
def test_issuer_names_the_served_address(host: str, port: int, issuer: str) -> None:
    assert derived_issuer(host, port) == issuer
