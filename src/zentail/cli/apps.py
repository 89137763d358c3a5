"""``zentail apps register|list|show|update|rotate-secret|suspend|resume|delete``, the app's
webhook: ``set-webhook``, ``deliveries``, its public keys for ``private_key_jwt``:
``set-jwks``, and its refused token requests: ``diagnostics``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from zentail.cli._app import JSON_OPTION, app, emit, fail, unit_of_work
from zentail.domain import apps, client_keys, diagnostics, partners, webhooks
from zentail.domain.actors import Actor
from zentail.oauth.diagnostics import entry
from zentail.storage.models import App, utcnow

apps_app = typer.Typer(help="The partner app registry.", no_args_is_help=True)
app.add_typer(apps_app, name="apps")


def describe(row: App) -> dict[str, Any]:
    now = utcnow()
    return {
        "client_id": row.client_id,
        "name": row.name,
        "contact_email": row.contact_email,
        "redirect_uri": row.redirect_uri,
        "scopes": row.scopes.split(),
        "status": row.status,
        "description": row.description,
        "has_logo": row.logo is not None,
        "valid_secrets": [
            {"created_at": s.created_at, "expires_at": s.expires_at}
            for s in apps.valid_secrets(row, now)
        ],
        "partner_id": row.partner_id,
        "webhook_url": row.webhook_url,
        "token_lifetime_seconds": row.token_lifetime_seconds,
        "jwks_uri": row.jwks_uri,
        "jwks_kids": client_keys.key_ids(row) or None,
        "secrets_accepted": row.secrets_accepted,
        "created_at": row.created_at,
    }


LIFETIME_HELP = (
    "Issue expiring access tokens living this many seconds (60 to a year), each with a "
    "rotating refresh token (docs/partner-guide.md); 'none' for long-lived tokens."
)


def _read_logo(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        fail(f"cannot read logo: {error}")


@apps_app.command("register")
def register(
    name: str = typer.Option(..., "--name", help="Unique application name."),
    contact_email: str = typer.Option(..., "--contact-email"),
    redirect_uri: str = typer.Option(..., "--redirect-uri", help="https (http for loopback)."),
    scopes: str = typer.Option(..., "--scopes", help='Space-separated, e.g. "salesOrder:read".'),
    logo: Path | None = typer.Option(None, "--logo", help="Square image, at least 50x50 px."),
    description: str = typer.Option("", "--description"),
    partner_id: int | None = typer.Option(
        None, "--partner", help="The ID of the partner organisation that owns the app."
    ),
    token_lifetime: str = typer.Option("none", "--token-lifetime", help=LIFETIME_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a partner app. The client secret is printed once and never again."""
    with unit_of_work() as (platform, session):
        row, credentials = apps.register_app(
            session,
            platform.keyring,
            name=name,
            contact_email=contact_email,
            redirect_uri=redirect_uri,
            scopes=scopes,
            description=description,
            logo=_read_logo(logo),
            actor=Actor.cli(),
            token_lifetime_seconds=apps.parse_token_lifetime(token_lifetime),
        )
        if partner_id is not None:
            partners.attach_app(
                session, row, partners.get_partner(session, partner_id), actor=Actor.cli()
            )
        data = {**describe(row), "client_secret": credentials.client_secret}
    emit(
        data,
        as_json,
        f"registered {row.name}\nclient_id:     {credentials.client_id}\n"
        f"client_secret: {credentials.client_secret}  (shown once; store it now)",
    )


@apps_app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List registered apps."""
    with unit_of_work() as (_, session):
        rows = [describe(row) for row in apps.list_apps(session)]
    text = "\n".join(f"{r['client_id']}\t{r['status']}\t{r['name']}" for r in rows)
    emit(rows, as_json, text or "no apps")


@apps_app.command("show")
def show(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one app (never its secret)."""
    with unit_of_work() as (_, session):
        data = describe(apps.get_app(session, client_id))
    emit(data, as_json, "\n".join(f"{key}: {value}" for key, value in data.items()))


@apps_app.command("update")
def update(
    client_id: str,
    token_lifetime: str = typer.Option(..., "--token-lifetime", help=LIFETIME_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an app's access-token lifetime. Tokens already issued keep theirs; the next
    code exchange or refresh follows the new setting."""
    with unit_of_work() as (_, session):
        row = apps.update_app(
            session,
            apps.get_app(session, client_id),
            actor=Actor.cli(),
            token_lifetime_seconds=apps.parse_token_lifetime(token_lifetime),
        )
        data = describe(row)
    lifetime = row.token_lifetime_seconds
    emit(
        data,
        as_json,
        f"{row.name}: "
        + (f"tokens expire after {lifetime} s" if lifetime else "long-lived tokens"),
    )


@apps_app.command("rotate-secret")
def rotate_secret(
    client_id: str,
    grace: int = typer.Option(
        None, "--grace", min=0, help="Seconds the old secret keeps working (default: setting)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Issue a new client secret, printed once; the old one works until the grace ends."""
    with unit_of_work() as (platform, session):
        row = apps.get_app(session, client_id)
        grace_seconds = platform.settings.secret_rotation_grace if grace is None else grace
        secret, old_until = apps.rotate_secret(
            session, platform.keyring, row, grace_seconds=grace_seconds, actor=Actor.cli()
        )
    data = {"client_id": client_id, "client_secret": secret, "old_secret_expires_at": old_until}
    emit(
        data,
        as_json,
        f"new client_secret: {secret}  (shown once)\n"
        f"old secret works until {old_until:%Y-%m-%d %H:%M:%S} UTC",
    )


def _set_status(client_id: str, active: bool, as_json: bool) -> None:
    with unit_of_work() as (_, session):
        row = apps.set_status(
            session, apps.get_app(session, client_id), active=active, actor=Actor.cli()
        )
        data = describe(row)
    emit(data, as_json, f"{row.name} is {row.status}")


@apps_app.command("suspend")
def suspend(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """Suspend an app: no installs, no exchanges, and its tokens stop working at once."""
    _set_status(client_id, False, as_json)


@apps_app.command("resume")
def resume(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """Resume a suspended app."""
    _set_status(client_id, True, as_json)


@apps_app.command("delete")
def delete(
    client_id: str,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete an app with its installations and tokens."""
    if not yes:
        typer.confirm(f"Delete app {client_id} and revoke all its tokens?", abort=True)
    with unit_of_work() as (_, session):
        apps.delete_app(session, apps.get_app(session, client_id), actor=Actor.cli())
    typer.echo(f"deleted {client_id}")


@apps_app.command("set-webhook")
def set_webhook(
    client_id: str,
    url: str = typer.Option(
        ..., "--url", help='https (http for loopback); "" removes the webhook.'
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set the app's webhook URL. The new signing secret (whsec_…) is printed once."""
    with unit_of_work() as (platform, session):
        row = apps.get_app(session, client_id)
        secret = webhooks.set_webhook(
            session,
            platform.keyring,
            row,
            url=url,
            actor=Actor.cli(),
            production=platform.settings.env == "production",
        )
        data = {"client_id": row.client_id, "webhook_url": row.webhook_url, "secret": secret}
    text = (
        f"webhook of {client_id} removed"
        if secret is None
        else f"webhook_url: {data['webhook_url']}\n"
        f"secret:      {secret}  (shown once; store it now)"
    )
    emit(data, as_json, text)


@apps_app.command("set-jwks")
def set_jwks(
    client_id: str,
    jwks: Path | None = typer.Option(
        None, "--jwks", help="A JWKS file of the app's public keys (RSA, EC or OKP)."
    ),
    jwks_uri: str | None = typer.Option(
        None, "--jwks-uri", help='Where the app publishes its JWKS (https); "" removes keys.'
    ),
    assertions_only: bool | None = typer.Option(
        None,
        "--assertions-only/--secrets-too",
        help="Accept only signed assertions (private_key_jwt): the app's secrets stop working.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register the app's public keys for private_key_jwt client authentication (RFC 7523)."""
    document = _read_text(jwks, "JWKS") if jwks is not None else None
    with unit_of_work() as (platform, session):
        row = apps.get_app(session, client_id)
        if document is not None or jwks_uri is not None:
            client_keys.set_keys(
                session,
                row,
                jwks=document,
                jwks_uri=jwks_uri,
                actor=Actor.cli(),
                production=platform.settings.env == "production",
            )
        if assertions_only is not None:
            client_keys.set_secrets_accepted(
                session, row, accepted=not assertions_only, actor=Actor.cli()
            )
        data = describe(row)
    keys = data["jwks_uri"] or ", ".join(data["jwks_kids"] or []) or "none"
    emit(data, as_json, f"keys of {client_id}: {keys}\nsecrets accepted: {row.secrets_accepted}")


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {what}: {error}")


@apps_app.command("deliveries")
def deliveries(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """The app's newest webhook deliveries (attempts, status, response code, next attempt)."""
    with unit_of_work() as (_, session):
        rows = [
            {
                "id": d.id,
                "message_id": d.message_id,
                "type": d.event_type,
                "status": d.status,
                "attempts": d.attempts,
                "last_status_code": d.last_status_code,
                "last_error": d.last_error,
                "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
                "created_at": d.created_at,
                "delivered_at": d.delivered_at,
            }
            for d in webhooks.list_deliveries(session, apps.get_app(session, client_id))
        ]
    text = "\n".join(
        f"{r['id']}\t{r['type']}\t{r['status']}\tattempts={r['attempts']}\t"
        f"code={r['last_status_code']}"
        for r in rows
    )
    emit(rows, as_json, text or "no deliveries")


@apps_app.command("diagnostics")
def token_diagnostics(client_id: str, as_json: bool = JSON_OPTION) -> None:
    """The app's refused token requests of the last week, newest first, with their reasons
    (what its developers read at GET /v1/diagnostics/token)."""
    with unit_of_work() as (_, session):
        row = apps.get_app(session, client_id)
        results = [entry(f) for f in diagnostics.recent(session, row.id, now=utcnow())]
    text = "\n".join(
        f"{r['at']}\t{r['error']}\t{r['reason']}\t{r['sourceIp'] or '-'}\t"
        + " ".join(f"{k}={v}" for k, v in r["detail"].items())
        for r in results
    )
    emit({"results": results}, as_json, text or "no refused token requests in the last 7 days")
