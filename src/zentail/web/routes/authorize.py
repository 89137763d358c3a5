"""The authorization endpoint, ``/v1/authorize``: the partner-initiated entry point to the
authorization code flow (RFC 6749 §3.1, §4.1.1–§4.1.2; RFC 7636; RFC 9207).

``GET`` validates the request (:func:`zentail.oauth.authorize.validate`), sends a browser
without a session to ``/login`` and back, and shows the consent page: the app, its logo and,
in plain words, the scopes asked for. The page's form (CSRF-protected, like every form) posts
the request's parameters back, and ``POST`` validates them again as if they were new, so
nothing in the form is trusted. Approve installs through the Install button's own
:func:`zentail.domain.installs.issue_code` and answers ``303`` to the registered redirect URI
with ``code``, ``state`` and ``iss``; Deny answers ``303`` with ``error=access_denied``.
Only those who may install on their own account (its admins) can approve.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import apps, installs
from zentail.domain.scopes import describe
from zentail.oauth import authorize
from zentail.oauth.errors import AccessDenied
from zentail.oauth.metadata import AUTHORIZATION_PATH
from zentail.storage.models import App
from zentail.web import pages
from zentail.web.errors import PageError
from zentail.web.viewer import Viewer, current_viewer, platform_of

router = APIRouter()
Pairs = list[tuple[str, str]]
APPROVE = "approve"


async def form_pairs(request: Request) -> Pairs:
    """The consent form's fields as (name, value) pairs, as a query string would give them."""
    form = await request.form()
    return [(name, value) for name, value in form.multi_items() if isinstance(value, str)]


@router.get(AUTHORIZATION_PATH)
def consent_page(request: Request) -> Response:
    """The consent page for a valid request (errors: a page, or a redirect to the client)."""
    with platform_of(request).db.session() as session:
        app, checked = validated(session, request.query_params.multi_items())
        viewer = approver(request)
        context = {
            "app": app,
            "abilities": describe(" ".join(checked.scopes)),
            "parameters": checked.parameters(),
            "partner_site": urlsplit(checked.redirect_uri).netloc,
            "account_name": viewer.account_name,
        }
        return pages.render(request, "consent.html", context, no_store=True)


@router.post(AUTHORIZATION_PATH)
def decide(
    request: Request,
    pairs: Annotated[Pairs, Depends(form_pairs)],
    decision: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Approve (``decision=approve``) or deny, for the request the form carries."""
    platform = platform_of(request)
    viewer = approver(request)
    with platform.db.session(write=True) as session:
        app, checked = validated(session, pairs)
        if decision != APPROVE:
            denied = AccessDenied("The account admin denied the request")
            raise authorize.RedirectedError(denied, checked.redirect_uri, checked.state)
        assert viewer.account_id is not None
        issued = installs.issue_code(
            session,
            platform.keyring,
            app=app,
            account_id=viewer.account_id,
            actor=viewer.actor,
            code_ttl=platform.settings.authorization_code_ttl,
            scopes=" ".join(checked.scopes),
            code_challenge=checked.code_challenge,
        )
    return pages.see_other(
        authorize.success_location(checked, issued.code, platform.settings.issuer)
    )


def validated(session: Session, pairs: Pairs) -> tuple[App, authorize.AuthorizationRequest]:
    """The app and the valid request; :class:`PageError` (400) when the client or redirect
    URI cannot be trusted; :class:`~zentail.oauth.authorize.RedirectedError` otherwise."""
    try:
        app = apps.find_app(session, authorize.client_id_of(pairs))
        client = registered_client(app) if app is not None else None
        checked = authorize.validate(pairs, client)
    except authorize.UntrustedRedirect as untrusted:
        raise PageError(
            400,
            "This authorization request cannot be accepted",
            f"{untrusted.message} You have not been sent back to the application. "
            "Tell its developer which link brought you here.",
        ) from None
    assert app is not None
    return app, checked


def registered_client(app: App) -> authorize.RegisteredClient:
    return authorize.RegisteredClient(
        app.client_id, app.redirect_uri, tuple(app.scopes.split()), app.status == "active"
    )


def approver(request: Request) -> Viewer:
    """The logged-in admin of an account (:class:`LoginRequired` without a session): the
    Install button's permission, for the admin's own account."""
    viewer = current_viewer(request)
    if not viewer.can_install or viewer.account_id is None:
        raise PageError(
            403,
            "Only account admins can connect apps",
            "Members can browse apps and see what is installed, and staff install on an "
            "account's behalf from the app's page. Ask an admin of your account to connect "
            "this app.",
        )
    return viewer
