"""Demo access tokens: the ``demo-token`` command and the start banner.

DEMO ONLY. The example app signs its tokens with :data:`DEMO_JWT_SECRET_KEY`,
a secret published in this repository. Never use it, or this module, to
issue tokens anywhere but on a developer's own machine.
"""
from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_jwt_extended import create_access_token

from flask_pis_documents import get_state

#: DEMO ONLY, public: signs the example app's tokens (override: EXAMPLE_JWT_SECRET_KEY).
DEMO_JWT_SECRET_KEY = "example-app-DEMO-ONLY-jwt-secret-public-never-use-in-production"
#: Demo tokens last a working day, so the printed one outlives a coffee break.
DEMO_TOKEN_LIFETIME = timedelta(hours=8)
#: The person of the start banner's curl line: rule 4 (OFFLINE), two documents to upload.
BANNER_PERSON_ID = "demo-offline-adult"


def demo_token(person_id: str, applicant_person_id: str | None = None) -> str:
    """Sign an access token for ``person_id`` with the extension's scope, in the current app.

    The claim names and the scope follow the extension's configuration.
    """
    config = get_state(current_app).config
    claims: dict[str, object] = {
        config.person_id_claim: person_id,
        config.scope_claim: config.scope,
    }
    if applicant_person_id is not None:
        claims[config.applicant_person_id_claim] = applicant_person_id
    token: str = create_access_token(
        identity=f"demo-user-{person_id}",
        additional_claims=claims,
        expires_delta=DEMO_TOKEN_LIFETIME,
    )
    return token


@click.command("demo-token")
@click.argument("person_id")
@click.option("--applicant", "applicant_person_id", default=None, help="The applicant person id.")
@with_appcontext
def demo_token_command(person_id: str, applicant_person_id: str | None) -> None:
    """Print a DEMO access token for PERSON_ID (scope person_documents:write_pis)."""
    click.echo(demo_token(person_id, applicant_person_id))


def documents_url(app: Flask) -> str:
    """The absolute URL of the extension's endpoint on this app."""
    prefix = get_state(app).config.url_prefix
    return f"{app.config['EXAMPLE_BASE_URL']}{prefix}/documents"


def start_banner(app: Flask) -> str:
    """What ``flask run`` prints on start: a demo token and a ready curl line.

    It names only a demo person id, never any personal data.
    """
    with app.app_context():
        token = demo_token(BANNER_PERSON_ID)
    url = documents_url(app)
    return "\n".join(
        [
            "",
            "flask_pis_documents example app (DEMO: fake data, demo JWT secret, embedded S3 unless configured)",
            f"  OpenAPI:    {app.config['EXAMPLE_BASE_URL']}/openapi.json",
            f"  Swagger UI: {app.config['EXAMPLE_BASE_URL']}/swagger-ui",
            f"  Demo token for {BANNER_PERSON_ID} (other persons: flask --app example_app demo-token PERSON_ID):",
            f"  {token}",
            "  Try it:",
            f'  curl -X POST -H "Authorization: Bearer {token}" {url}',
            "",
        ]
    )
