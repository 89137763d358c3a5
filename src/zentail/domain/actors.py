"""Who is acting: recorded on every audit event."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The initiator of an action and where the request came from.

    ``label`` is what the audit log shows: ``user:<email>``, ``client:<client_id>``,
    ``cli`` or ``system``.
    """

    label: str
    user_id: int | None = None
    source_ip: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        return cls(label="cli")

    @classmethod
    def system(cls) -> Actor:
        return cls(label="system")
