"""A host that keeps persons, relationships and accounts in its own stores.

Every hook of :class:`~flask_pis_documents.PisDocuments` is registered here;
``tests/test_docs_examples.py`` runs this module against a real S3 server.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Flask

from flask_pis_documents import DependencyUnavailable, PisDocuments, completion_session

logger = logging.getLogger("host.documents")


# --- the host's own data: stand-ins for its tables or services --------------

@dataclass
class Patient:
    """How this host keeps a person (not the extension's record shape)."""

    uuid: str
    born: date | None
    active: bool
    papers: list[tuple[str, str]]  # (document type, number)
    offline_auth: bool = False
    guardians: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


PATIENTS: dict[str, Patient] = {
    "child-1": Patient(
        uuid="child-1",
        born=date(2016, 3, 14),
        active=True,
        papers=[("BIRTH_CERTIFICATE", "I-KB 123456")],
        guardians={"mother-1": [("BIRTH_CERTIFICATE", "I-KB 123456")]},
    ),
}
ACCOUNTS = {"account-42": "child-1"}  # the token's ``sub`` -> person id
RELATIONSHIPS = {("child-1", "mother-1"): "VERIFIED"}
SETTINGS = {"no_self_auth_age": "14", "no_self_registration_age": "14",
            "person_full_legal_capacity_age": "18"}
COMPLETED: list[tuple[str, list[str]]] = []


pis = PisDocuments()


# start-person-loader
@pis.person_loader
def load_person(person_id: str) -> Mapping[str, Any] | None:
    """Map the host's patient to the record shape the rules read."""
    patient = PATIENTS.get(person_id)
    if patient is None:
        return None  # 404
    return {
        "id": patient.uuid,
        "birth_date": patient.born.isoformat() if patient.born else None,
        "status": "active" if patient.active else "inactive",
        "is_active": patient.active,
        "documents": [{"type": kind, "number": number} for kind, number in patient.papers],
        "authentication_methods": [{"type": "OFFLINE"}] if patient.offline_auth else [],
        "confidant_person": [
            {
                "person_id": confidant_id,
                "documents_relationship": [{"type": kind, "number": number}
                                           for kind, number in documents],
            }
            for confidant_id, documents in patient.guardians.items()
        ],
    }
# end-person-loader


# start-relationship-checker
@pis.relationship_checker
def check_relationship(person_id: str, confidant_person_id: str) -> str:
    """Answer as ESOZ's "Check confidant person relationship" does."""
    status = RELATIONSHIPS.get((person_id, confidant_person_id))
    if status is None:
        return "not_found"
    return "approved" if status == "VERIFIED" else "not_approved"
# end-relationship-checker


# start-global-parameters
@pis.global_parameters_loader
def global_parameters() -> Mapping[str, Any]:
    """The three ages; strings are fine, as in the PRM table."""
    return SETTINGS
# end-global-parameters


# start-user-person-loader
@pis.user_person_loader
def person_of_user(sub: str) -> str | None:
    """The person of the token's user; ``None`` answers 401."""
    try:
        return ACCOUNTS.get(sub)
    except ConnectionError:
        # Raise this one to answer 503: any other exception here answers 500.
        raise DependencyUnavailable("account store") from None
# end-user-person-loader


# start-documents-completed
@pis.documents_completed
def documents_completed(person_id: str, names: Collection[str]) -> None:
    """Every required document is present: hand the person over to review."""
    session = completion_session()  # the ledger's transaction, or None (memory ledger)
    COMPLETED.append((person_id, sorted(names)))
    logger.info("documents complete for %s (%d); in ledger transaction: %s",
                person_id, len(names), session is not None)
# end-documents-completed


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The host app: no database, the hooks above, S3 for the storages."""
    app = Flask(__name__)
    app.config.update(config or {})
    pis.init_app(app)
    return app
