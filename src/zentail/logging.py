"""Logging for ``zentail serve``: one configuration for the app and uvicorn, every line
passing through :class:`CredentialRedactingFilter`, as plain text or one JSON object per
line (``ZENTAIL_LOG_FORMAT``).

Codes, tokens and secrets never reach a log (checklist item 50). The application never logs
them; the one place a client can make the server print one is the access log's request line,
which includes the path and the query string. So the access log shows no query string at
all for the authorization server's endpoints (``POST /v1/token?client_secret=…`` is refused,
but would otherwise be logged); elsewhere the values of credential-named parameters are
masked, and so is every credential-shaped value in the path or the query (a token or code
pasted into a URL: ``ztk_…``, ``ztr_…``, ``ztc_…``, long hex or base64url runs), whatever its name.

The access line is written by :mod:`zentail.observability.middleware` (logger
``zentail.access``), which knows the status, the duration and the request id; uvicorn's own
access log is switched off so that each request is logged exactly once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import time
from typing import Any, Literal, TextIO
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
LogFormat = Literal["plain", "json"]
_ACCESS_LOGGER = "uvicorn.access"
_TARGET_ARG = 2  # uvicorn.access args: (client_addr, method, full_path, http_version, status)
# What a credential looks like: this server's token and code prefixes, or a long run of hex
# or base64url characters (a secret, a digest, a JWT segment). Client IDs (20 hex digits)
# and ordinary ids, SKUs and words stay readable.
CREDENTIAL_SHAPE = re.compile(r"zt[kcr]_[A-Za-z0-9_\-]*|[A-Za-z0-9_\-]{32,}")


# No format here shows a record's caller, thread or process, and looking them up costs more
# than the rest of an access line: records skip them (the Logging HOWTO, "Optimization").
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False


def redact_value(value: str) -> str:
    """``value`` with every credential-shaped run replaced by the mask."""
    return CREDENTIAL_SHAPE.sub(MASK, value)


def redact_target(target: str) -> str:
    """The request target (path and query) as it may be logged."""
    # A target that is not valid Unicode (a lone surrogate from a decoded byte) is logged with
    # those characters replaced, after the same redaction.
    target = target.encode("utf-8", "replace").decode("utf-8")
    path, question_mark, query = target.partition("?")
    path = redact_value(path)
    if not question_mark:
        return path
    if path in OAUTH_PATHS:
        return f"{path}?{MASK}"
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [
        (redact_value(k), MASK if k.lower() in CREDENTIAL_PARAMETERS else redact_value(v))
        for k, v in pairs
    ]
    return f"{path}?{urlencode(masked, safe='[]')}"


class CredentialRedactingFilter(logging.Filter):
    """Rewrites an access-log request target with :func:`redact_target` (uvicorn's, should
    it be switched on)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == _ACCESS_LOGGER and isinstance(record.args, tuple):
            args = list(record.args)
            target = args[_TARGET_ARG] if len(args) > _TARGET_ARG else None
            if isinstance(target, str):
                args[_TARGET_ARG] = redact_target(target)
                record.args = tuple(args)
        return True


# Attributes a record carries on every line; anything else passed through ``extra=`` (the
# access line's method, path, status, ...) becomes a field of the JSON object.
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of msg with terminal colours
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``msg``,
    the fields given through ``extra=``, and ``exc`` when an exception is attached."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """:class:`logging.Formatter` whose ``asctime`` (local time, logging's default layout) is
    formatted once per second instead of once per line."""

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt is not None:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if int(record.created) != second:
            text = time.strftime(self.default_time_format, self.converter(record.created))
            self._second = (int(record.created), text)  # one assignment: safe across threads
        return f"{text},{int(record.msecs):03d}"  # logging's default_msec_format


class LoopBatchedStreamHandler(logging.StreamHandler[TextIO]):
    """A :class:`logging.StreamHandler` whose lines emitted on a running event loop are
    written together at the end of the loop iteration: one write and one flush for all the
    access lines of an iteration, instead of one of each per line.

    A line is never held past its loop iteration. Lines from outside a loop (worker threads,
    the CLI), lines at ``WARNING`` or above, and :meth:`flush` (which ``logging.shutdown``
    calls at exit) write what is pending first, so lines keep their order.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._scheduled_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            try:
                loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is None or record.levelno >= logging.WARNING:
                self._write(line)
            elif self._scheduled_on is loop or self._scheduled_on is None:
                if self._scheduled_on is None:
                    self._scheduled_on = loop
                    loop.call_soon(self.flush)
                self._pending.append(line)
            else:  # pending lines wait on another loop: keep the order, write now
                self._write(line)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def _write(self, line: str = "") -> None:
        """Write the pending lines and ``line``, then flush the stream (the lock held)."""
        pending, self._pending, self._scheduled_on = self._pending, [], None
        self.stream.write("".join(pending) + line)
        self.stream.flush()

    def flush(self) -> None:
        self.acquire()
        try:
            if self._pending:
                self._write()
            elif self.stream and hasattr(self.stream, "flush"):
                self.stream.flush()
            self._scheduled_on = None
        finally:
            self.release()


def logging_config(level: str = "INFO", log_format: LogFormat = "plain") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping for the app and uvicorn alike.

    Handed to ``uvicorn.run(log_config=…)``, so every worker process applies it too.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": f"{__name__}.CredentialRedactingFilter"}},
        "formatters": {
            "plain": {"()": f"{__name__}.PlainFormatter", "fmt": FORMAT},
            "json": {"()": f"{__name__}.JsonFormatter"},
        },
        "handlers": {
            "stderr": {
                "class": f"{__name__}.LoopBatchedStreamHandler",
                "formatter": log_format,
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
