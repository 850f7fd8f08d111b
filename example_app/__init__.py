"""The example host application of flask_pis_documents.

``flask --app example_app run`` finds :func:`create_app`. Everything here is
a DEMO: fake persons, a public JWT secret, an in-process S3 (moto) unless
``PIS_DOCUMENTS_S3_ENDPOINT_URL`` is set. See ``example_app/README.md``.

Environment:

- ``EXAMPLE_BASE_URL``: where this app is reached (default
  ``http://127.0.0.1:5000``, or the host and port given to ``flask run``);
  the extension's relationship checker calls this app's own MPI stand-in there.
- ``EXAMPLE_DATABASE_URL``: the SQLAlchemy URL (default: ``example.sqlite``
  in the instance folder).
- ``EXAMPLE_JWT_SECRET_KEY``: replaces the demo JWT secret.
- ``PIS_*``: any of the extension's settings (JSON values are decoded).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

import click
import flask_smorest
from flask import Flask
from flask.helpers import get_debug_flag
from flask_jwt_extended import JWTManager
from flask_sqlalchemy import SQLAlchemy
from werkzeug.serving import is_running_from_reloader

from flask_pis_documents import PisDocuments, PrmGlobalParametersLoader, __version__, get_state

from . import relationships, swagger, tokens
from .embedded_s3 import create_buckets, start_embedded_s3
from .seed import seed

__all__ = ["DEFAULT_BASE_URL", "create_app", "db"]

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_DATABASE_URL = "sqlite:///example.sqlite"  # relative: in the app's instance folder

db = SQLAlchemy()


def _run_command_params() -> Mapping[str, Any] | None:
    """The options of ``flask run`` when the app is being loaded by it, else ``None``."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command is None or ctx.command.name != "run":
        return None
    return ctx.params


def _is_serving_process(params: Mapping[str, Any] | None) -> bool:
    """True in the process that serves ``flask run`` (not the reloader's watcher)."""
    if params is None:
        return False
    reload = params.get("reload")
    if reload is None:
        reload = get_debug_flag()
    return is_running_from_reloader() if reload else True


def _base_url(params: Mapping[str, Any] | None) -> str:
    if os.environ.get("EXAMPLE_BASE_URL"):
        return os.environ["EXAMPLE_BASE_URL"]
    if params is not None and params.get("port"):
        host = params.get("host") or "127.0.0.1"
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"
        return f"http://{host}:{params['port']}"
    return DEFAULT_BASE_URL


def _pis_environment() -> dict[str, Any]:
    """The extension's settings from ``PIS_*`` environment variables."""
    settings: dict[str, Any] = {}
    for key, value in os.environ.items():
        if key.startswith("PIS_"):
            try:
                settings[key] = json.loads(value)
            except ValueError:
                settings[key] = value
    return settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the example host app.

    :param config: settings applied last, over the defaults and the environment.
    """
    run_params = _run_command_params()
    app = Flask(__name__)
    app.config.update(
        EXAMPLE_BASE_URL=_base_url(run_params),
        SQLALCHEMY_DATABASE_URI=os.environ.get("EXAMPLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
        # DEMO ONLY: a public secret; see example_app/tokens.py.
        JWT_SECRET_KEY=os.environ.get("EXAMPLE_JWT_SECRET_KEY") or tokens.DEMO_JWT_SECRET_KEY,
        JWT_ALGORITHM="HS256",
        API_TITLE="flask_pis_documents example app",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/swagger-ui",
        API_SPEC_OPTIONS={
            "info": {
                "description": "DEMO host of flask_pis_documents: fake persons, demo JWT secret. "
                "Get a token with `flask --app example_app demo-token PERSON_ID`."
            }
        },
    )
    app.config.update(_pis_environment())
    app.config.update(config or {})
    app.config["EXAMPLE_BASE_URL"] = str(app.config["EXAMPLE_BASE_URL"]).rstrip("/")
    app.config.setdefault(
        "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL",
        app.config["EXAMPLE_BASE_URL"] + relationships.CHECK_PATH,
    )
    embedded_s3 = not app.config.get("PIS_DOCUMENTS_S3_ENDPOINT_URL")
    if embedded_s3:
        # Sets fake AWS credentials first: no boto3 client exists yet.
        app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"] = start_embedded_s3()
    app.config["EXAMPLE_EMBEDDED_S3"] = embedded_s3

    db.init_app(app)
    JWTManager(app)
    app.config["EXAMPLE_SWAGGER_UI_LOCAL"] = swagger.configure_swagger_ui(app)
    api = flask_smorest.Api(app)
    api.register_blueprint(relationships.blueprint)

    bind = app.config.get("PIS_DOCUMENTS_SQLALCHEMY_BIND")
    PisDocuments(app, api=api, global_parameters_loader=PrmGlobalParametersLoader(bind))
    pis_config = get_state(app).config

    with app.app_context():
        seed(db.engines[bind], pis_config.timezone)
    if embedded_s3:
        create_buckets(
            app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"],
            pis_config.s3_region,
            pis_config.buckets.values(),
        )
    app.cli.add_command(tokens.demo_token_command)

    if _is_serving_process(run_params):
        click.echo(tokens.start_banner(app))
    return app
