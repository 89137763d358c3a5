"""Staff console, accounts: create an account with its first admin, see its users and
installed apps, add users. A password left empty is generated and shown once."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from zentail.domain import accounts, installs, users
from zentail.domain.errors import Conflict, InvalidInput
from zentail.storage.tenancy import AccountScope
from zentail.web import pages
from zentail.web.params import RowIdPath
from zentail.web.viewer import Staff, platform_of

router = APIRouter(prefix="/staff/accounts")

Text = Annotated[str, Form(max_length=1000)]
Password = Annotated[str, Form(max_length=1000)]
ACCOUNT_ROLES = ("member", "admin")


def new_password(typed: str) -> tuple[str, bool]:
    """The typed password, or a generated one (``True``: show it once)."""
    return (typed, False) if typed else (secrets.token_urlsafe(12), True)


@router.get("")
def account_list(request: Request, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        context = {"accounts": accounts.list_accounts(session)}
        return pages.render(request, "staff/accounts.html", context)


@router.get("/new")
def create_form(request: Request, viewer: Staff) -> Response:
    return pages.render(request, "staff/account_form.html", {"values": {}})


@router.post("/new")
def create(
    request: Request,
    viewer: Staff,
    name: Text,
    admin_email: Text,
    admin_password: Password = "",
) -> Response:
    password, generated = new_password(admin_password)
    try:
        with platform_of(request).db.session(write=True) as session:
            account, admin = accounts.create_account(
                session,
                name=name,
                admin_email=admin_email,
                admin_password=password,
                actor=viewer.actor,
            )
    except (InvalidInput, Conflict) as error:
        context = {"values": {"name": name, "admin_email": admin_email}, "error": str(error)}
        status = 409 if isinstance(error, Conflict) else 400
        return pages.render(request, "staff/account_form.html", context, status=status)
    return user_created(request, account.id, admin.email, password if generated else None)


def user_created(request: Request, account_id: int, email: str, password: str | None) -> Response:
    if password is None:
        pages.flash(request, f"{email} can now log in.")
        return pages.see_other(f"/staff/accounts/{account_id}")
    context = {"account_id": account_id, "email": email, "password": password}
    return pages.render(request, "staff/user_created.html", context, no_store=True)


def account_context(session: Session, account_id: int, **extra: Any) -> dict[str, Any]:
    """The account page: users, installed apps and the add-user form."""
    return {
        "account": accounts.get_account(session, account_id),
        "users": users.list_users(session, account_id=account_id),
        "installations": installs.list_installations_with_last_use(
            AccountScope(session, account_id)
        ),
        "roles": ACCOUNT_ROLES,
        "values": {},
        **extra,
    }


@router.get("/{account_id}")
def account_detail(request: Request, account_id: RowIdPath, viewer: Staff) -> Response:
    with platform_of(request).db.session() as session:
        return pages.render(request, "staff/account.html", account_context(session, account_id))


@router.post("/{account_id}/users")
def add_user(
    request: Request,
    account_id: RowIdPath,
    viewer: Staff,
    email: Text,
    role: Annotated[str, Form(max_length=16)] = "member",
    password: Password = "",
) -> Response:
    chosen, generated = new_password(password)
    try:
        if role not in ACCOUNT_ROLES:
            raise InvalidInput("role", "must be admin or member")
        with platform_of(request).db.session(write=True) as session:
            accounts.get_account(session, account_id)
            user = users.create_user(
                session,
                email=email,
                password=chosen,
                role=role,
                account_id=account_id,
                actor=viewer.actor,
            )
    except (InvalidInput, Conflict) as error:
        with platform_of(request).db.session() as session:
            values = {"email": email, "role": role}
            context = account_context(session, account_id, error=str(error), values=values)
            status = 409 if isinstance(error, Conflict) else 400
            return pages.render(request, "staff/account.html", context, status=status)
    return user_created(request, account_id, user.email, chosen if generated else None)
