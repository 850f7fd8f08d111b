"""``flask pis-documents ...``: set up the MPI tables, import persons, explain a result."""
from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .adapters.database import engine
from .adapters.models import MpiBase
from .adapters.person_store import InvalidPersonRecord, import_persons
from .domain.rules import RULE_NAMES
from .exceptions import PisDocumentsException
from .domain.identity import Identity
from .service import plan_uploads
from .state import get_state

cli = AppGroup("pis-documents", help="ESOZ person documents upload.")


def _bind() -> str | None:
    return get_state(current_app).config.sqlalchemy_bind


@cli.command("init-db")
def init_db() -> None:
    """Create the MPI tables the default person loader reads."""
    MpiBase.metadata.create_all(engine(_bind()))
    click.echo("created the MPI tables: " + ", ".join(sorted(MpiBase.metadata.tables)))


@cli.command("import-persons")
@click.argument("file", type=click.File("rb"))
def import_persons_command(file: Any) -> None:
    """Load a JSON list of person records; idempotent by id, all or nothing."""
    try:
        records = json.load(file)
    except (ValueError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file.name} is not JSON: {error}") from None
    if not isinstance(records, list):
        raise click.ClickException(f"{file.name} must hold a JSON list of person records")
    try:
        with Session(engine(_bind())) as session, session.begin():
            count = import_persons(session, records)
    except InvalidPersonRecord as error:
        raise click.ClickException(f"nothing imported: {error}") from None
    except SQLAlchemyError as error:
        raise click.ClickException(f"nothing imported: the database refused ({type(error).__name__})") from None
    click.echo(f"imported {count} persons")


@cli.command("explain")
@click.argument("person_id")
@click.option("--applicant", "applicant_id", default=None, help="The applicant person id.")
def explain(person_id: str, applicant_id: str | None) -> None:
    """Print which documents are required, by which rule, and where they exist."""
    state = get_state(current_app)
    applicant = applicant_id if applicant_id and applicant_id != person_id else None
    try:
        plan = plan_uploads(state, Identity(person_id, applicant))
    except PisDocumentsException as error:
        raise click.ClickException(str(error)) from None
    if plan.relationship_status is not None:
        click.echo(f"relationship check: {plan.relationship_status}")
    if not plan.documents:
        click.echo("no documents are required")
    for document in plan.documents:
        rules = ", ".join(f"rule {r} ({RULE_NAMES[r]})" for r in document.rules)
        where = f"exists in {document.found_in}" if document.found_in else "to upload"
        click.echo(f"{document.name}: {rules}; {where}")
