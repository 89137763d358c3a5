"""``X-Request-ID``: taken from the request when it is sane, generated otherwise.

A sane id is 1 to 128 characters of letters, digits and ``-_.:/+=@`` — enough for UUIDs,
ULIDs and the ids proxies and tracing systems send, and nothing that could forge a log line
(no spaces, quotes, control characters) or smuggle a long credential-shaped value.
"""

from __future__ import annotations

import random
import re

MAX_LENGTH = 128
_SANE = re.compile(rb"^[A-Za-z0-9\-_.:/+=@]{1,128}$")


def from_header(value: bytes | None) -> str:
    """The id to use for a request whose ``X-Request-ID`` header is ``value`` (raw bytes,
    as ASGI delivers them)."""
    if value is not None and _SANE.match(value):
        return value.decode("ascii")
    return generated()


def generated() -> str:
    """32 random hex digits. An id needs to be unique, not secret: 128 bits from the
    process's own generator (seeded from the OS, reseeded in a forked child) cost a tenth of
    a call to the OS's."""
    return f"{random.getrandbits(128):032x}"
