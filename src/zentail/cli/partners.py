"""``zentail partners create``: a partner organisation with its first developer login."""

from __future__ import annotations

import typer

from zentail.cli._app import JSON_OPTION, app, emit, unit_of_work
from zentail.domain import partners
from zentail.domain.actors import Actor

partners_app = typer.Typer(help="Partner organisations and their developers.", no_args_is_help=True)
app.add_typer(partners_app, name="partners")


@partners_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="Unique organisation name."),
    developer_email: str = typer.Option(..., "--developer-email"),
    developer_password: str = typer.Option(
        None, "--developer-password", help="Generated and printed if omitted."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a partner; its developer logs in at /login and sees the developer console."""
    with unit_of_work() as (_, session):
        created = partners.create_partner(
            session,
            name=name,
            developer_email=developer_email,
            developer_password=developer_password,
            actor=Actor.cli(),
        )
        data: dict[str, object] = {
            "partner_id": created.partner.id,
            "name": created.partner.name,
            "developer_email": created.developer.email,
        }
    text = f"partner {data['name']} created\npartner_id: {data['partner_id']}"
    if created.generated_password:
        data["developer_password"] = created.generated_password
        text += f"\ndeveloper:  {data['developer_email']}, password {created.generated_password}"
    emit(data, as_json, text)
