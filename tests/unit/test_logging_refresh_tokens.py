"""The access log redacts refresh tokens wherever they appear (checklist item 54)."""

from __future__ import annotations

from zentail.crypto import new_refresh_token
from zentail.logging import MASK, redact_target


def test_a_refresh_token_in_a_path_or_query_is_redacted() -> None:
    token = new_refresh_token()
    for target in (f"/v1/salesOrder/{token}", f"/v1/warehouses?x={token}", f"/v1/x?t={token[:8]}"):
        redacted = redact_target(target)
        assert token[:8] not in redacted
        assert MASK in redacted
