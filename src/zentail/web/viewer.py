"""Who is looking at the page: the logged-in user, loaded from the database on every request,
and the role checks routes declare as dependencies.

Roles: ``staff`` (Zentail operators, no account), ``admin`` and ``member`` (of one account),
``developer`` (of one partner organisation: the developer console only, never an account's
pages, the catalog or the staff console).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from zentail.domain import users
from zentail.domain.actors import Actor
from zentail.platform import Platform
from zentail.storage.models import Account, Partner, User
from zentail.web import csrf
from zentail.web.errors import LoginRequired, PageError

USER_KEY = "user_id"
EPOCH_KEY = "epoch"


@dataclass(frozen=True)
class Viewer:
    """A snapshot of the logged-in user for this request."""

    user_id: int
    email: str
    role: str
    account_id: int | None
    account_name: str | None
    source_ip: str | None
    partner_id: int | None = None
    partner_name: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    @property
    def is_developer(self) -> bool:
        return self.role == "developer"

    @property
    def is_account_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_install(self) -> bool:
        """Account admins install and uninstall on their account; staff on any account."""
        return self.role in ("admin", "staff")

    @property
    def actor(self) -> Actor:
        return Actor(label=f"user:{self.email}", user_id=self.user_id, source_ip=self.source_ip)


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def start_session(request: Request, user: User) -> None:
    """Log ``user`` in: a new session (nothing carried over from before) with a new CSRF
    token, against session fixation."""
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[EPOCH_KEY] = user.session_epoch
    csrf.renew(request)


def end_session(request: Request) -> None:
    request.session.clear()


def log_out(request: Request) -> None:
    """End this session and, server-side, every other session of the same user: the session
    is a signed cookie, so a copy of it would otherwise stay valid until it expires."""
    user_id = request.session.get(USER_KEY)
    if isinstance(user_id, int):
        with platform_of(request).db.session(write=True) as session:
            users.end_all_sessions(session, user_id)
    end_session(request)


def logged_in_viewer(request: Request) -> Viewer:
    """The logged-in user, whatever the role, or :class:`LoginRequired`. A user deleted
    since login, or whose sessions were ended (logout elsewhere), is logged out."""
    user_id = request.session.get(USER_KEY)
    if not isinstance(user_id, int):
        raise LoginRequired
    with platform_of(request).db.session() as session:
        user = session.get(User, user_id)
        if user is None or request.session.get(EPOCH_KEY) != user.session_epoch:
            end_session(request)
            raise LoginRequired
        account = session.get(Account, user.account_id) if user.account_id else None
        partner = session.get(Partner, user.partner_id) if user.partner_id else None
        viewer = Viewer(
            user.id,
            user.email,
            user.role,
            user.account_id,
            account.name if account else None,
            request.client.host if request.client else None,
            partner.id if partner else None,
            partner.name if partner else None,
        )
    request.state.viewer = viewer
    return viewer


def current_viewer(request: Request) -> Viewer:
    """The logged-in staff or account user (every page outside the developer console).
    A developer is refused: their login reaches their partner's apps and nothing else."""
    viewer = logged_in_viewer(request)
    if viewer.is_developer:
        raise PageError(
            403,
            "This page is not part of the developer console",
            "Your login belongs to a partner organisation: it opens the developer console only.",
        )
    return viewer


def developer(request: Request) -> Viewer:
    """A partner's developer: the developer console's only users."""
    viewer = logged_in_viewer(request)
    if not viewer.is_developer or viewer.partner_id is None:
        raise PageError(403, "Developers only", "The developer console is for partner developers.")
    return viewer


def installer(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    """Account admins and staff: who may install and uninstall."""
    if not viewer.can_install:
        raise PageError(
            403,
            "Only account admins can do this",
            "Members can browse apps and see what is installed. Ask an admin of your account "
            "to install or uninstall apps.",
        )
    return viewer


def account_admin(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    """Account admins only (API access, the account's audit log)."""
    if not viewer.is_account_admin:
        raise PageError(
            403, "Only account admins can do this", "This page is for your account's admins."
        )
    return viewer


def staff(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    if not viewer.is_staff:
        raise PageError(403, "Staff only", "The staff console is for Zentail staff.")
    return viewer


def acting_account(viewer: Viewer, account_id: int | None) -> int:
    """The account a request acts on: always the viewer's own for account users (another
    account's ID is simply not found, as everywhere in the platform); staff name one."""
    if viewer.is_staff:
        if account_id is None:
            raise PageError(400, "Choose an account", "Pick the account to act for.")
        return account_id
    assert viewer.account_id is not None
    if account_id is not None and account_id != viewer.account_id:
        raise PageError(404, "Not found", "There is no such account.")
    return viewer.account_id


AnyViewer = Annotated[Viewer, Depends(current_viewer)]
Installer = Annotated[Viewer, Depends(installer)]
AccountAdmin = Annotated[Viewer, Depends(account_admin)]
Staff = Annotated[Viewer, Depends(staff)]
Developer = Annotated[Viewer, Depends(developer)]
