"""Domain errors. Each edge (API, web, CLI) maps them to its own presentation.

DomainError
├── NotFound       the thing does not exist, or belongs to another account
├── Conflict       the request contradicts the current state (duplicate name, bad transition)
├── InvalidInput   a field's value is unacceptable (``field`` names it)
└── Forbidden      the actor may not do this
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class; ``str(error)`` is a message safe to show to the caller."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class Forbidden(DomainError):
    pass


class InvalidInput(DomainError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
