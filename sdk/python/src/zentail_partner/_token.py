"""The back-channel code exchange: ``POST /v1/token`` (RFC 6749 §4.1.3), as Zentail documents
it: form-encoded ``grant_type=authorization_code&code=…&redirect_uri=…`` with the client
authenticated by HTTP Basic (``client_secret_basic``), or by an assertion signed with its
private key (``private_key_jwt``, RFC 7523 §2.2; :class:`PrivateKeySigner`)."""

from __future__ import annotations

import base64
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
    """The token for one Zentail account. It does not expire by itself; it stops working
    when the account uninstalls the app. Store it like a password (``repr`` hides it)."""

    access_token: str = field(repr=False)
    token_type: str
    scope: str | None = None


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


def _access_token(body: Any) -> AccessToken:
    token = parse_object(body)
    if not isinstance(token.get("access_token"), str) or not token["access_token"]:
        raise UnexpectedResponse("the token response has no access_token")
    scope = token.get("scope")
    return AccessToken(
        token["access_token"], str(token.get("token_type", "bearer")), str(scope) if scope else None
    )
