"""A host that records a review task in the completion's own transaction.

The completion ledger is kept in the host's database (the default engine);
the ``documents_completed`` hook writes through :func:`completion_session`,
so the task and the ledger row commit, or roll back, together.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from flask_pis_documents import PisDocuments, completion_session
from flask_pis_documents.adapters.completion_ledger import SqlCompletionLedger
from flask_pis_documents.adapters.models import DocumentsCompletionRow

db = SQLAlchemy()


class ReviewTask(db.Model):  # type: ignore[name-defined]
    __tablename__ = "review_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(128))
    documents: Mapped[str] = mapped_column(Text)


def load_person(person_id: str) -> Mapping[str, Any] | None:
    persons: Mapping[str, Any] = current_app.config["PERSONS"]
    return persons.get(person_id)


# start-ledger
pis = PisDocuments(
    person_loader=load_person,
    relationship_checker=lambda person_id, applicant_id: "not_found",
    completion_ledger=SqlCompletionLedger(bind=None),  # the host's default engine
)


@pis.documents_completed
def ready_for_review(person_id: str, names: Collection[str]) -> None:
    session = completion_session()  # the ledger's transaction
    assert session is not None
    session.add(ReviewTask(person_id=person_id, documents=",".join(sorted(names))))


def create_app(config: Mapping[str, Any]) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    db.init_app(app)
    pis.init_app(app)
    with app.app_context():
        db.create_all()
        # init-db creates this table on PIS_DOCUMENTS_SQLALCHEMY_BIND; here, by hand.
        DocumentsCompletionRow.__table__.create(db.engine, checkfirst=True)
    return app
# end-ledger
