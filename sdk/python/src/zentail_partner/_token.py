"""The back-channel code exchange: ``POST /v1/token`` (RFC 6749 §4.1.3), as Zentail documents
it: form-encoded ``grant_type=authorization_code&code=…&redirect_uri=…`` with the client
authenticated by HTTP Basic (``client_secret_basic``), or by an assertion signed with its
private key (``private_key_jwt``, RFC 7523 §2.2; :class:`PrivateKeySigner`); and, for an
app that opted in to expiring tokens, the refresh (``grant_type=refresh_token``, RFC 6749
§6)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from zentail_partner._callback import AppCredentials
from zentail_partner._errors import UnexpectedResponse
from zentail_partner._operation import Operation, oauth_error, parse_object

if TYPE_CHECKING:
    from zentail_partner._assertion import PrivateKeySigner


@dataclass(frozen=True)
class AccessToken:
    """The token for one Zentail account. Store it like a password (``repr`` hides it).

    By default it does not expire by itself; it stops working when the account uninstalls
    the app. For an app that opted in to expiring tokens, ``expires_in`` is its lifetime in
    seconds, ``expires_at`` the same as a ``time.time()`` instant, and ``refresh_token``
    gets the next pair (:func:`refresh_access_token`; a client given ``on_tokens=`` does it
    for you). Each refresh token works once: always store the newest pair."""

    access_token: str = field(repr=False)
    token_type: str
    scope: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """Whether the token expires in less than ``seconds`` (never, if it has no expiry)."""
        if self.expires_at is None:
            return False
        return self.expires_at - (time.time() if now is None else now) < seconds


def basic_authorization(client_id: str, client_secret: str) -> str:
    """``Basic <credentials>`` as RFC 6749 §2.3.1 defines it: each of the ID and the secret is
    form-encoded (Appendix B) *before* ``id:secret`` is base64-encoded. Plain RFC 7617 Basic,
    as most HTTP libraries send it, differs as soon as either contains a reserved character."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def exchange_code(
    app: AppCredentials, code: str, *, signer: PrivateKeySigner | None = None
) -> Operation[AccessToken]:
    """Exchange a (verified, see :func:`verify_callback`) install code for the account's
    access token. With ``signer`` the client authenticates with a signed assertion instead
    of its secret. Raises :class:`InvalidGrant`, :class:`InvalidClient` or another
    :class:`TokenExchangeError`."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    headers = {}
    if signer is not None:
        form |= signer.form(app.client_id)
    else:
        headers["Authorization"] = basic_authorization(app.client_id, app.client_secret)
    return Operation(
        "POST",
        "v1/token",
        parse=_access_token,
        form=form,
        headers=headers,
        read_error=oauth_error,
        uses_token=False,
    )


def refresh_access_token(
    app: AppCredentials, refresh_token: str, scope: str | None = None
) -> Operation[AccessToken]:
    """Redeem ``refresh_token`` for a new access token and a new refresh token (RFC 6749
    §6); the old refresh token must not be used again once the new pair is in use. A narrower
    ``scope`` narrows the new access token only. Raises :class:`InvalidGrant` when the
    refresh token is dead (the account must install the app again)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        form["scope"] = scope
    return Operation(
        "POST",
        "v1/token",
        parse=_access_token,
        form=form,
        headers={"Authorization": basic_authorization(app.client_id, app.client_secret)},
        read_error=oauth_error,
        uses_token=False,
    )


def _access_token(body: Any) -> AccessToken:
    token = parse_object(body)
    if not isinstance(token.get("access_token"), str) or not token["access_token"]:
        raise UnexpectedResponse("the token response has no access_token")
    scope = token.get("scope")
    expires_in = token.get("expires_in")
    if expires_in is not None and (not isinstance(expires_in, int) or expires_in <= 0):
        raise UnexpectedResponse("the token response has an invalid expires_in")
    refresh = token.get("refresh_token")
    return AccessToken(
        token["access_token"],
        str(token.get("token_type", "bearer")),
        str(scope) if scope else None,
        expires_in,
        refresh if isinstance(refresh, str) and refresh else None,
        time.time() + expires_in if expires_in else None,
    )
