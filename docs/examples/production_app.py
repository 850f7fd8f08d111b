"""A production host: the MPI's PostgreSQL through a bind, RS256 tokens, S3.

Configured from the environment (twelve-factor style):

- ``DATABASE_URL``: the host's own database (optional).
- ``MPI_DATABASE_URL``: the MPI, such as ``postgresql+psycopg://pis@mpi-db/mpi``.
- ``PRM_DATABASE_URL``: the PRM, for its ``global_parameters`` table
  (optional: without it the ages come from ``PIS_DOCUMENTS_GLOBAL_PARAMETERS``).
- ``JWT_PUBLIC_KEY_FILE`` (a PEM file) or ``JWKS_URL``; ``JWT_AUDIENCE`` and
  ``JWT_ISSUER`` when the tokens carry them.
- ``RELATIONSHIP_CHECK_URL``: ESOZ's "Check confidant person relationship".
- ``S3_ENDPOINT_URL`` and ``S3_PUBLIC_ENDPOINT_URL`` for stores other than
  AWS S3; AWS credentials from the standard chain.

Serve it with ``gunicorn -c gunicorn.conf.py 'production_app:create_app()'``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

from flask_pis_documents import PisDocuments, PrmGlobalParametersLoader, get_state

MPI_BIND = "mpi"
PRM_BIND = "prm"

db = SQLAlchemy()


# start-settings
def database_bind(url: str) -> dict[str, Any]:
    """A bind with checked connections and a pool that fits the extension's pool."""
    options: dict[str, Any] = {"url": url, "pool_pre_ping": True}
    if url.startswith("postgresql"):
        options.update(
            # Per worker process. A request holds one or two connections at
            # once; workers x (pool_size + max_overflow) must stay below the
            # server's max_connections.
            pool_size=8,
            max_overflow=4,
            pool_timeout=3,   # fail fast: the extension waits 3.5 s
            # Stop a query the extension no longer waits for.
            connect_args={"options": "-c statement_timeout=3000"},
        )
    return options


def settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The app config from the environment."""
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL", "sqlite://"),
        "SQLALCHEMY_BINDS": {MPI_BIND: database_bind(env["MPI_DATABASE_URL"])},
        "PIS_DOCUMENTS_SQLALCHEMY_BIND": MPI_BIND,
        # About six pool tasks per request in flight: 6 x gunicorn's threads.
        "PIS_DOCUMENTS_MAX_WORKERS": int(env.get("PIS_DOCUMENTS_MAX_WORKERS", 24)),
        "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": env["RELATIONSHIP_CHECK_URL"],
        "PIS_DOCUMENTS_S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL"),
        "PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL": env.get("S3_PUBLIC_ENDPOINT_URL"),
        # One algorithm, asymmetric: the extension only ever verifies tokens.
        "JWT_ALGORITHM": "RS256",
        "JWT_DECODE_ALGORITHMS": ["RS256"],
        "JWT_DECODE_AUDIENCE": env.get("JWT_AUDIENCE"),
        "JWT_DECODE_ISSUER": env.get("JWT_ISSUER"),
        "API_TITLE": "PIS", "API_VERSION": "1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/", "OPENAPI_JSON_PATH": "openapi.json",
    }
    if env.get("PRM_DATABASE_URL"):
        config["SQLALCHEMY_BINDS"][PRM_BIND] = database_bind(env["PRM_DATABASE_URL"])
    if env.get("JWKS_URL"):
        config["PIS_DOCUMENTS_JWKS_URL"] = env["JWKS_URL"]
    else:
        config["JWT_PUBLIC_KEY"] = Path(env["JWT_PUBLIC_KEY_FILE"]).read_text()
    return config
# end-settings


# start-health
def check_dependencies(app: Flask) -> dict[str, str]:
    """Ask every dependency of the endpoint the question a request asks."""
    state = get_state(app)
    probe = "healthz"  # a person id with no documents
    checks: dict[str, str] = {}

    def run(name: str, check: Any) -> None:
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # noqa: BLE001 - report, never raise
            checks[name] = f"failed: {type(error).__name__}"

    def database() -> None:
        with db.engines[MPI_BIND].connect() as connection:
            connection.execute(text("SELECT 1"))

    def storages() -> None:
        # The same calls, client and credentials as a request: a listing
        # (or, with PIS_DOCUMENTS_EXISTENCE_CHECK = "head", a HEAD) per storage.
        for storage in state.storage.storage_names:
            if state.storage.snapshot(storage, probe) is None:
                state.storage.exists(storage, probe, "probe")

    def relationship_service() -> None:
        state.relationship_checker(probe, probe + "-confidant")  # any answer will do

    run("mpi_database", database)
    run("storage", storages)
    run("relationship_service", relationship_service)
    return checks


def health() -> Any:
    checks = check_dependencies(get_state().app)
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "unavailable", checks=checks), (200 if healthy else 503)
# end-health


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(settings(os.environ))
    app.config.update(config or {})
    db.init_app(app)
    api = Api(app)
    parameters = (PrmGlobalParametersLoader(PRM_BIND)
                  if PRM_BIND in app.config["SQLALCHEMY_BINDS"] else None)
    PisDocuments(app, api=api, global_parameters_loader=parameters)
    app.add_url_rule("/healthz", "healthz", health)
    return app
