"""Verifying the install callback before its code is exchanged.

The platform redirects the installing user's browser to
``<redirect URI>?client_id=…&code=…&timestamp=<unix seconds>&hmac=<hex>``, where ``hmac`` is
HMAC-SHA256 keyed with the client secret over the other parameters (see
:mod:`zentail_partner._callback_signature`). The documented flow has no
``state``, so this signature is what tells a genuine callback from a forged one
(RFC 9700 §4.5: login CSRF and code injection).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from zentail_partner import _callback_signature as callback_signature
from zentail_partner._errors import InvalidCallback

DEFAULT_MAX_AGE = 300
REQUIRED_PARAMS = ("client_id", "code", callback_signature.TIMESTAMP_PARAM, "hmac")


@dataclass(frozen=True)
class AppCredentials:
    """What the platform issued at registration. ``previous_secrets`` are secrets being rotated
    out: callbacks signed with them are still accepted until you drop them from the list."""

    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    previous_secrets: tuple[str, ...] = field(default=(), repr=False)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.client_secret, *self.previous_secrets)


@dataclass(frozen=True)
class InstallCallback:
    """A verified callback: ``code`` may now be exchanged (once) with :func:`exchange_code`."""

    client_id: str
    code: str = field(repr=False)
    timestamp: int


def verify_callback(
    callback: str | Mapping[str, str],
    app: AppCredentials,
    *,
    max_age: float = DEFAULT_MAX_AGE,
    now: float | None = None,
) -> InstallCallback:
    """Check the callback's signature, freshness and ``client_id``; raise
    :class:`InvalidCallback` saying which check failed.

    ``callback`` is the full callback URL (preferred: repeated parameters are then detected),
    its query string, or the already-decoded query parameters. ``max_age`` bounds how old (or
    how far in the future) ``timestamp`` may be, in seconds.
    """
    params = _params(callback)
    missing = [name for name in REQUIRED_PARAMS if not params.get(name)]
    if missing:
        raise InvalidCallback(f"the callback lacks {', '.join(missing)}")
    if params["client_id"] != app.client_id:
        raise InvalidCallback(
            f"the callback is for client_id {params['client_id']!r}, not {app.client_id!r}"
        )
    now = time.time() if now is None else now
    age = now - _timestamp(params)
    if abs(age) > max_age:
        when = f"{age:.0f} s old" if age > 0 else f"dated {-age:.0f} s in the future"
        raise InvalidCallback(
            f"the callback is {when}; at most {max_age:g} s either way are accepted "
            "(check this server's clock, or install again)"
        )
    if not callback_signature.is_valid(params, app.secrets, now=now, max_age=max_age):
        raise InvalidCallback("the callback's hmac matches none of the app's client secrets")
    return InstallCallback(params["client_id"], params["code"], _timestamp(params))


def _params(callback: str | Mapping[str, str]) -> dict[str, str]:
    if not isinstance(callback, str):
        return dict(callback)
    query = urlsplit(callback).query if "?" in callback or "://" in callback else callback
    pairs = parse_qsl(query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InvalidCallback(f"the callback repeats {', '.join(repeated)}")
    return dict(pairs)


def _timestamp(params: Mapping[str, str]) -> int:
    try:
        return int(params[callback_signature.TIMESTAMP_PARAM])
    except ValueError:
        raise InvalidCallback("the callback's timestamp is not a Unix time in seconds") from None
