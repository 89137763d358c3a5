"""zentail: a self-hostable implementation of Zentail's partner-app platform.

The package is laid out by concern:

- ``zentail.oauth``: the authorization server protocol (RFC 6749, 7009, 7662, 8414), no ORM.
- ``zentail.domain``: business rules (accounts, apps, installs, tokens, orders).
- ``zentail.storage``: SQLAlchemy models, engine, tenancy scoping and Alembic migrations.
- ``zentail.api``: the account-scoped Open API under ``/v1``.
- ``zentail.web``: the server-rendered platform UI (login, app catalog, Install, staff console).
- ``zentail.cli``: the ``zentail`` command.

The partner SDK is its own distribution, ``zentail-partner`` (``sdk/python``, import name
``zentail_partner``, httpx only).
"""

__version__ = "0.1.0"
