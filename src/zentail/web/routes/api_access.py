"""API access (account admins only): ad-hoc tokens for the account's own scripts.

A new token is shown once, on the response to the POST that created it (``no-store``); the
list shows label, scopes, creation, last use and creator; revoking needs a confirmation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import tokens
from zentail.domain.errors import InvalidInput
from zentail.domain.scopes import SCOPES
from zentail.storage.models import AccessToken
from zentail.storage.tenancy import AccountScope
from zentail.web import pages
from zentail.web.errors import PageError
from zentail.web.params import RowIdPath
from zentail.web.viewer import AccountAdmin, Viewer, platform_of

router = APIRouter()


def page_context(scope: AccountScope, **extra: Any) -> dict[str, Any]:
    """The token list (rendered while the session is open) and the generate form."""
    return {"tokens": tokens.list_account_tokens(scope), "all_scopes": SCOPES, **extra}


def account_scope_of(viewer: Viewer, session: Session) -> AccountScope:
    assert viewer.account_id is not None
    return AccountScope(session, viewer.account_id)


@router.get("/api-access")
def api_access(request: Request, viewer: AccountAdmin) -> Response:
    with platform_of(request).db.session() as session:
        return pages.render(
            request, "api_access.html", page_context(account_scope_of(viewer, session))
        )


@router.post("/api-access/tokens")
def generate(
    request: Request,
    viewer: AccountAdmin,
    label: Annotated[str, Form(max_length=1000)],
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create a token; with no scope ticked it gets every scope."""
    platform = platform_of(request)
    with platform.db.session(write=True) as session:
        scope = account_scope_of(viewer, session)
        try:
            token, raw = tokens.create_account_token(
                scope, platform.keyring, label=label, scopes=scopes or None, actor=viewer.actor
            )
        except InvalidInput as error:
            context = page_context(scope, error=error.message, field=error.field, label=label)
            return pages.render(request, "api_access.html", context, status=400)
        context = page_context(scope, new_token=raw, new_token_row=token)
        return pages.render(request, "api_access.html", context, no_store=True)


def find_token(scope: AccountScope, token_id: int) -> AccessToken:
    token = scope.get(AccessToken, id=token_id, kind="account")
    if token is None or token.revoked_at is not None:
        raise PageError(404, "Not found", "There is no such active token on your account.")
    return token


@router.get("/api-access/tokens/{token_id}/revoke")
def confirm_revoke(request: Request, token_id: RowIdPath, viewer: AccountAdmin) -> Response:
    with platform_of(request).db.session() as session:
        token = find_token(account_scope_of(viewer, session), token_id)
        return pages.render(request, "revoke_token.html", {"token": token})


@router.post("/api-access/tokens/{token_id}/revoke")
def revoke(request: Request, token_id: RowIdPath, viewer: AccountAdmin) -> Response:
    with platform_of(request).db.session(write=True) as session:
        scope = account_scope_of(viewer, session)
        token = find_token(scope, token_id)
        tokens.revoke_account_token(scope, token.id, actor=viewer.actor)
        label = token.label
    pages.flash(request, f"The token “{label}” was revoked. It no longer works.")
    return pages.see_other("/api-access")
