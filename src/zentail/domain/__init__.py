"""Business rules, in the platform's vocabulary (account, app, install, token, order).

Functions take a SQLAlchemy session (or an :class:`~zentail.storage.tenancy.AccountScope`)
and raise :mod:`zentail.domain.errors`; only the edges turn those into HTTP responses.
"""
