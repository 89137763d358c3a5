"""Logging for ``zentail serve``: one configuration for the app and uvicorn, every line
passing through :class:`CredentialRedactingFilter`.

Codes, tokens and secrets never reach a log (checklist item 50). The application never logs
them; the one place a client can make the server print one is the access log's request line,
which includes the query string. So the access log shows no query string at all for the
authorization server's endpoints (``POST /v1/token?client_secret=…`` is refused, but would
otherwise be logged), and elsewhere the values of credential-named parameters are masked.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

OAUTH_PATHS = frozenset({"/v1/token", "/v1/revoke", "/v1/introspect"})
CREDENTIAL_PARAMETERS = frozenset(
    {
        "access_token",
        "authorization_code",
        "client_secret",
        "code",
        "hmac",
        "password",
        "refresh_token",
        "token",
    }
)
MASK = "[redacted]"
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_ACCESS_LOGGER = "uvicorn.access"
_TARGET_ARG = 2  # uvicorn.access args: (client_addr, method, full_path, http_version, status)


def redact_target(target: str) -> str:
    """The request target as it may be logged."""
    path, question_mark, query = target.partition("?")
    if not question_mark:
        return target
    if path in OAUTH_PATHS:
        return f"{path}?{MASK}"
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(k, MASK if k.lower() in CREDENTIAL_PARAMETERS else v) for k, v in pairs]
    return f"{path}?{urlencode(masked, safe='[]')}"


class CredentialRedactingFilter(logging.Filter):
    """Rewrites uvicorn's access-log request target with :func:`redact_target`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _ACCESS_LOGGER and isinstance(record.args, tuple):
            args = list(record.args)
            target = args[_TARGET_ARG] if len(args) > _TARGET_ARG else None
            if isinstance(target, str):
                args[_TARGET_ARG] = redact_target(target)
                record.args = tuple(args)
        return True


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping for the app and uvicorn alike.

    Handed to ``uvicorn.run(log_config=…)``, so every worker process applies it too.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": f"{__name__}.CredentialRedactingFilter"}},
        "formatters": {"plain": {"format": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": ["redact"],
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": level, "handlers": [], "propagate": True},
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }
