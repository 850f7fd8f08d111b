"""Database helpers and fixtures for the database-backed adapters (not tests).

Test modules import the fixtures they use::

    from db_support import database_url, db_app  # noqa: F401

``database_url`` is parametrized over ``sqlite`` (a file in ``tmp_path``) and
``postgresql``. The PostgreSQL param runs only when ``PIS_TEST_DATABASE_URL``
names a server (for example ``postgresql+psycopg://user@host:5432/dbname``);
each PostgreSQL test then gets its own freshly created schema, reached through
``search_path``, and the schema is dropped afterwards, so runs never collide.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import flask_sqlalchemy
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine, make_url

from conftest import SECRET
from flask_pis_documents import PisDocuments
from flask_pis_documents.adapters.models import MpiBase
from flask_pis_documents.state import EXTENSION_KEY

POSTGRES_ENV = "PIS_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = "PIS_TEST_DATABASE_URL is not set; the PostgreSQL tests need a server"

#: The five MPI tables the default person loader reads.
MPI_TABLES = (
    "persons",
    "person_documents",
    "person_authentication_methods",
    "confidant_person_relationships",
    "confidant_person_relationship_documents",
)
GLOBAL_PARAMETERS_TABLE = "global_parameters"


@dataclass(frozen=True)
class DatabaseTarget:
    """Where one test's database lives.

    :param kind: ``"sqlite"`` or ``"postgresql"``.
    :param url: the SQLAlchemy URL.
    :param engine_options: ``SQLALCHEMY_ENGINE_OPTIONS`` (the schema's
        ``search_path`` on PostgreSQL).
    :param schema: the test's own PostgreSQL schema, ``None`` on SQLite.
    """

    kind: str
    url: str
    engine_options: Mapping[str, Any] = field(default_factory=dict)
    schema: str | None = None

    def app_config(self) -> dict[str, Any]:
        """The Flask-SQLAlchemy keys of an app on this database."""
        return {
            "SQLALCHEMY_DATABASE_URI": self.url,
            "SQLALCHEMY_ENGINE_OPTIONS": dict(self.engine_options),
        }

    def bind_config(self) -> dict[str, Any]:
        """This database as one entry of ``SQLALCHEMY_BINDS``."""
        return {"url": self.url, **self.engine_options}


def _postgres_url(raw: str) -> str:
    url = make_url(raw)
    if url.drivername == "postgresql":  # no driver named: the installed one, psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseTarget]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield DatabaseTarget("sqlite", f"sqlite:///{tmp_path / 'mpi.sqlite3'}")
        return
    raw = os.environ.get(POSTGRES_ENV)
    if not raw:
        pytest.skip(POSTGRES_SKIP_REASON)
    url = _postgres_url(raw)
    schema = f"pis_test_{secrets.token_hex(6)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield DatabaseTarget(
            "postgresql",
            url,
            {"connect_args": {"options": f"-csearch_path={schema}"}},
            schema,
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


AppFactory = Callable[..., Flask]


@pytest.fixture
def db_app(database_url: DatabaseTarget, s3_endpoint: str) -> Iterator[AppFactory]:
    """Build a host app on the test database.

    ``flask_sqlalchemy.SQLAlchemy()`` is ``init_app``'d before
    ``PisDocuments(app, ...)``; the person loader is the default
    ``SqlPersonStore`` unless ``person_loader=`` is passed.

    :param config: app config, over the test defaults.
    :param init_db: run ``flask pis-documents init-db`` (default ``True``).
    :param hooks: keyword arguments of :class:`PisDocuments`.
    """
    apps: list[Flask] = []

    def build(config: Mapping[str, Any] | None = None, *, init_db: bool = True, **hooks: Any) -> Flask:
        app = Flask("db_host")
        app.config.update(
            TESTING=True,
            JWT_SECRET_KEY=SECRET,
            PIS_DOCUMENTS_S3_ENDPOINT_URL=s3_endpoint,
            PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
            **database_url.app_config(),
        )
        app.config.update(config or {})
        db = flask_sqlalchemy.SQLAlchemy()
        db.init_app(app)
        apps.append(app)
        hooks.setdefault("person_loader", None)
        PisDocuments(app, **hooks)
        if init_db:
            result = run_cli(app, "init-db")
            assert result.exit_code == 0, result.output
        return app

    yield build
    for app in apps:
        state = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            state.shutdown()
        with app.app_context():
            for engine in app.extensions["sqlalchemy"].engines.values():
                engine.dispose()


def run_cli(app: Flask, *args: str) -> Result:
    """Run ``flask pis-documents ARGS...`` on ``app``."""
    return app.test_cli_runner().invoke(args=["pis-documents", *args])


def write_json(directory: Path, data: Any, name: str | None = None) -> Path:
    """Write ``data`` as JSON into a new file under ``directory``."""
    path = directory / (name or f"persons-{secrets.token_hex(4)}.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def import_records(app: Flask, directory: Path, records: list[Any]) -> Result:
    """``import-persons`` a file of ``records``; it must succeed."""
    result = run_cli(app, "import-persons", str(write_json(directory, records)))
    assert result.exit_code == 0, result.output
    return result


def engine_of(app: Flask, bind: str | None = None) -> Engine:
    """The app's engine for ``bind``."""
    with app.app_context():
        engine: Engine = app.extensions["sqlalchemy"].engines[bind]
        return engine


def row_counts(app: Flask, bind: str | None = None) -> dict[str, int]:
    """Rows in each MPI table."""
    engine = engine_of(app, bind)
    with engine.connect() as connection:
        return {
            name: connection.execute(
                select(func.count()).select_from(MpiBase.metadata.tables[name])
            ).scalar_one()
            for name in MPI_TABLES
        }


def table_rows(app: Flask, table: str, *columns: str) -> list[tuple[Any, ...]]:
    """``columns`` of every row of ``table``, sorted."""
    model = MpiBase.metadata.tables[table]
    with engine_of(app).connect() as connection:
        rows = connection.execute(select(*(model.c[c] for c in columns))).all()
    return sorted((tuple(row) for row in rows), key=repr)


def set_global_parameters(app: Flask, values: Mapping[str, str]) -> None:
    """Replace the rows of the ``global_parameters`` table."""
    table = MpiBase.metadata.tables[GLOBAL_PARAMETERS_TABLE]
    with engine_of(app).begin() as connection:
        connection.execute(table.delete())
        if values:
            connection.execute(
                table.insert(), [{"parameter": k, "value": v} for k, v in values.items()]
            )


@contextmanager
def count_queries(engine: Engine) -> Iterator[list[str]]:
    """Collect the SQL statements ``engine`` executes inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def moment(**delta: float) -> str:
    """An ISO timestamp (UTC) ``delta`` away from now, such as ``moment(days=-1)``."""
    return (datetime.now(timezone.utc) + timedelta(**delta)).isoformat()


def birth_date_for_age(years: int) -> date:
    """A birth date of someone ``years`` old today, whose birthday is months away."""
    today = date.today()
    shifted = today - timedelta(days=120)  # safely inside the year of age, in any time zone
    try:
        return shifted.replace(year=shifted.year - years)
    except ValueError:  # 29 February
        return shifted.replace(year=shifted.year - years, day=28)


def unzr_for(birth: date) -> str:
    """A unzr matching ``birth``."""
    return f"{birth:%Y%m%d}-00017"
