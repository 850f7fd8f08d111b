"""The host's Flask-SQLAlchemy engine, as the database-backed adapters reach it."""
from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy.engine import Engine

from ..exceptions import ConfigurationError


def check_database(app: Flask, bind: str | None, needed_by: str) -> None:
    """Fail at ``init_app`` when the host has no Flask-SQLAlchemy or no such bind.

    :param needed_by: the hook that needs the database, named in the message.
    """
    db = app.extensions.get("sqlalchemy")
    if db is None:
        raise ConfigurationError(
            f"{needed_by} reads the database through Flask-SQLAlchemy: call "
            "db.init_app(app) before pis.init_app(app), or register your own hook"
        )
    with app.app_context():
        if bind not in db.engines:
            raise ConfigurationError(
                f"PIS_DOCUMENTS_SQLALCHEMY_BIND: no engine for bind {bind!r} in SQLALCHEMY_BINDS"
            )


def engine(bind: str | None) -> Engine:
    """The engine of ``bind`` (``None``: the default) in the current app."""
    engine: Engine = current_app.extensions["sqlalchemy"].engines[bind]
    return engine
