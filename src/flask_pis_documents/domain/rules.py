"""The six rules that say which documents a person has to upload.

:func:`required_documents` is a function of the person record, the moment of
the request, the global parameters and the answers already fetched (the
relationship status and the third persons). It does no I/O.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from .age import age_on
from .identifiers import is_safe_document_type, is_safe_person_id
from .person import Document, Person

logger = logging.getLogger("flask_pis_documents.rules")

CONFIDANT = 1
BIRTH_CERTIFICATE_FOREIGN = 2
PERMANENT_RESIDENCE_PERMIT = 3
OFFLINE_AUTHENTICATION = 4
UNZR_MISMATCH = 5
LEGAL_CAPACITY = 6

RULE_NAMES = {
    CONFIDANT: "confidant",
    BIRTH_CERTIFICATE_FOREIGN: "birth_certificate_foreign",
    PERMANENT_RESIDENCE_PERMIT: "permanent_residence_permit",
    OFFLINE_AUTHENTICATION: "offline_authentication",
    UNZR_MISMATCH: "unzr_mismatch",
    LEGAL_CAPACITY: "legal_capacity",
}


@dataclass(frozen=True)
class GlobalParameters:
    """The three ages of the PRM ``global_parameters`` table."""

    no_self_auth_age: int
    no_self_registration_age: int
    person_full_legal_capacity_age: int


@dataclass(frozen=True)
class RequiredDocument:
    """A document name to upload, with the rules (1–6) that asked for it."""

    name: str
    rules: tuple[int, ...]


@dataclass(frozen=True)
class RuleInputs:
    """Everything the rules read besides the person.

    :param today: the date in the configured time zone, for ages.
    :param now: the aware moment of the request, for ``ended_at``/``active_to``.
    :param applicant_id: the applicant from the token when it is another,
        valid person id; ``None`` when the person acts for themself.
    :param relationship_ok: whether the relationship check answered "ok".
    :param third_persons: the persons named by active ``THIRD_PERSON`` methods;
        an id mapped to ``None`` could not be loaded.
    """

    today: date
    now: datetime
    parameters: GlobalParameters
    legal_capacity_document_types: Collection[str]
    applicant_id: str | None = None
    relationship_ok: bool = False
    third_persons: Mapping[str, Person | None] = field(default_factory=dict)


def normalize_number(number: str | None) -> str:
    """Document numbers compare ignoring case and white space."""
    return "".join((number or "").split()).casefold()


def _safe_types(documents: Collection[Document], person_id: str | None) -> list[str]:
    types: list[str] = []
    for document in documents:
        if document.type is not None and is_safe_document_type(document.type):
            types.append(document.type)
        else:
            logger.warning("skipped a document type unfit for an object key (person %s)", person_id)
    return types


def _age(person: Person, today: date) -> int | None:
    if person.birth_date is None or person.birth_date > today:
        return None
    return age_on(person.birth_date, today)


def required_documents(person: Person, inputs: RuleInputs) -> list[RequiredDocument]:
    """Apply the six rules to ``person``.

    :param person: the person whose documents are asked for.
    :param inputs: the moment, the parameters and the fetched answers.
    :return: each required name once, in the order first asked, with every
        rule that asked for it.
    """
    asked: dict[str, list[int]] = {}

    def ask(name: str, rule: int) -> None:
        rules = asked.setdefault(name, [])
        if rule not in rules:
            rules.append(rule)

    now = inputs.now
    params = inputs.parameters
    age = _age(person, inputs.today)
    person_types = _safe_types(person.documents, person.id)

    # 1. Documents proving the applicant's relationship.
    applicant = inputs.applicant_id
    if applicant is not None and inputs.relationship_ok and is_safe_person_id(applicant):
        for confidant in person.confidant_person:
            if confidant.person_id == applicant and confidant.active_at(now):
                for doc_type in _safe_types(confidant.documents_relationship, person.id):
                    ask(f"confidant_person.{applicant}.documents_relationship.{doc_type}", CONFIDANT)

    # 2. A foreign birth certificate not already shown as a relationship document.
    if age is not None and age < params.no_self_auth_age:
        shown = {
            normalize_number(d.number)
            for c in person.confidant_person
            for d in c.documents_relationship
            if d.type == "BIRTH_CERTIFICATE_FOREIGN" and normalize_number(d.number)
        }
        for document in person.documents:
            if document.type == "BIRTH_CERTIFICATE_FOREIGN":
                number = normalize_number(document.number)
                if not number or number not in shown:
                    ask("person.BIRTH_CERTIFICATE_FOREIGN", BIRTH_CERTIFICATE_FOREIGN)

    # 3. A permanent residence permit of a person old enough to authenticate.
    if age is not None and age >= params.no_self_auth_age:
        if "PERMANENT_RESIDENCE_PERMIT" in person_types:
            ask("person.PERMANENT_RESIDENCE_PERMIT", PERMANENT_RESIDENCE_PERMIT)

    # 4. Offline authentication, the person's own or a third person's.
    if person.active_methods("OFFLINE", now):
        for doc_type in person_types:
            ask(f"person.{doc_type}", OFFLINE_AUTHENTICATION)
    for third_id in person.third_person_ids(now):
        third = inputs.third_persons.get(third_id)
        if third is None:
            logger.warning("third person %s of person %s could not be loaded", third_id, person.id)
        elif third.active_methods("OFFLINE", now):
            for doc_type in _safe_types(third.documents, third.id):
                ask(f"third_person.{doc_type}", OFFLINE_AUTHENTICATION)

    # 5. A unzr whose date part is not the birth date.
    if person.unzr:
        birth = person.birth_date.strftime("%Y%m%d") if person.birth_date else None
        if person.unzr[:8] != birth:
            ask("person.unzr", UNZR_MISMATCH)

    # 6. Legal capacity documents between the two ages (both strict).
    if age is not None and params.no_self_registration_age < age < params.person_full_legal_capacity_age:
        for doc_type in person_types:
            if doc_type in inputs.legal_capacity_document_types:
                ask(f"person.{doc_type}", LEGAL_CAPACITY)

    return [RequiredDocument(name, tuple(rules)) for name, rules in asked.items()]
