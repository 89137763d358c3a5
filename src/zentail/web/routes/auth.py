"""Login and logout for account users and staff.

Passwords are checked with argon2 and users are locked out after
``login_max_failures`` consecutive failures (:func:`zentail.domain.users.log_in`): the same
answer for an existing and an unknown e-mail address.
Logging in starts a new session; logging out clears it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import users
from zentail.domain.actors import Actor
from zentail.limits import Bucket
from zentail.observability import metrics
from zentail.platform import Platform
from zentail.storage.models import User
from zentail.web import pages
from zentail.web.viewer import USER_KEY, log_out, platform_of, start_session

router = APIRouter()
HOME = "/apps"


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a full URL): no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    return target


DEVELOPER_HOME = "/developer"


@router.get("/")
def home(request: Request) -> Response:
    user_id = request.session.get(USER_KEY)
    if not isinstance(user_id, int):
        return pages.see_other("/login")
    with platform_of(request).db.session() as session:
        user = session.get(User, user_id)
    return pages.see_other(DEVELOPER_HOME if user and user.role == "developer" else HOME)


@router.get("/login")
def login_form(request: Request, next: str = HOME, expired: bool = False) -> Response:
    return pages.render(request, "login.html", {"next": safe_next(next), "expired": expired})


@router.post("/login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = HOME,
) -> Response:
    platform = platform_of(request)
    settings = platform.settings
    ip = request.client.host if request.client else None
    actor = Actor(label=f"login:{email.strip().lower()[:150]}", source_ip=ip)
    if not login_attempt_allowed(platform, ip, record=False):
        metrics.record_rate_limited("login")
        return address_throttled(request, next, email)
    policy = users.LockoutPolicy(settings.login_max_failures, settings.login_lockout_seconds)
    try:
        user = users.log_in(
            platform.db,
            platform.keyring,
            email=email,
            password=password,
            policy=policy,
            actor=actor,
        )
    except users.LoginRefused as refused:
        login_attempt_allowed(platform, ip, record=True)
        minutes = max(1, settings.login_lockout_seconds // 60)
        message = (
            f"Too many failed attempts: this login is locked. Try again in {minutes} minutes."
            if refused.locked
            else "Wrong e-mail or password."
        )
        context = {"next": safe_next(next), "email": email, "error": message}
        return pages.render(request, "login.html", context, status=429 if refused.locked else 400)
    start_session(request, user)
    if user.role == "developer":  # the developer console is all a developer's login opens
        target = safe_next(next)
        return pages.see_other(target if target.startswith(DEVELOPER_HOME) else DEVELOPER_HOME)
    return pages.see_other(safe_next(next))


def login_attempt_allowed(platform: Platform, ip: str | None, *, record: bool) -> bool:
    """The per-address failure bucket: ``login_max_failures_per_address`` failures per
    ``login_lockout_seconds``, whatever the e-mail, so that one address cannot try passwords
    across many users (the per-user lockout alone would not stop that)."""
    settings = platform.settings
    bucket = Bucket(
        f"login-failures:address:{ip or 'unknown'}",
        settings.login_max_failures_per_address / settings.login_lockout_seconds,
        settings.login_max_failures_per_address,
    )
    return platform.limiter.take([bucket], record=record).decisions[0].allowed


def address_throttled(request: Request, next: str, email: str) -> Response:
    message = "Too many failed logins from your network. Try again later."
    context = {"next": safe_next(next), "email": email, "error": message}
    return pages.render(request, "login.html", context, status=429)


@router.post("/logout")
def logout(request: Request) -> Response:
    log_out(request)
    pages.flash(request, "You have logged out.")
    return pages.see_other("/login")
