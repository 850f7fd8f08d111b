"""The MPI person store: load a person record, and import records."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from ..domain.person import (
    AuthenticationMethod,
    ConfidantPerson,
    Document,
    Person,
    parse_date,
    parse_moment,
)
from .database import engine
from .models import (
    AuthenticationMethodRow,
    ConfidantRelationshipDocumentRow,
    ConfidantRelationshipRow,
    PersonDocumentRow,
    PersonRow,
)

PERSON_STORE = "person store"

#: A person loader hook: ``(person_id) -> record | None``.
PersonLoader = Callable[[str], "Person | Mapping[str, Any] | None"]


@dataclass(frozen=True)
class PersonGraph:
    """A person and the related persons the store fetched in the same trip.

    :param third_persons: persons named by ``THIRD_PERSON`` methods; an id
        mapped to ``None`` does not exist. Ids left out are fetched by the
        extension with :meth:`PersonStore.load_person`.
    """

    person: Person
    third_persons: Mapping[str, Person | None] = field(default_factory=dict)


@runtime_checkable
class PersonStore(Protocol):
    def load(self, person_id: str) -> PersonGraph | None:
        """Return the person with whatever related persons come along, or ``None``."""

    def load_person(self, person_id: str) -> Person | None:
        """Return one person, or ``None``."""


class CallbackPersonStore:
    """A store over a ``person_loader`` hook: third persons are fetched separately."""

    def __init__(self, loader: PersonLoader) -> None:
        self.loader = loader

    def load_person(self, person_id: str) -> Person | None:
        record = self.loader(person_id)
        return None if record is None else Person.coerce(record)

    def load(self, person_id: str) -> PersonGraph | None:
        person = self.load_person(person_id)
        return None if person is None else PersonGraph(person)


def _person_from_row(row: PersonRow) -> Person:
    return Person(
        id=row.id,
        birth_date=row.birth_date,
        unzr=row.unzr,
        status=row.status,
        is_active=row.is_active is True,
        documents=tuple(Document(d.type, d.number) for d in row.documents),
        authentication_methods=tuple(
            AuthenticationMethod(
                type=m.type,
                value=m.value,
                is_active=m.is_active is not False,
                ended_at=parse_moment(m.ended_at),
                has_end=m.ended_at is not None,
            )
            for m in row.authentication_methods
        ),
        confidant_person=tuple(
            ConfidantPerson(
                person_id=c.confidant_person_id,
                relation_type=c.relation_type,
                is_active=c.is_active is not False,
                active_to=parse_moment(c.active_to),
                has_end=c.active_to is not None,
                documents_relationship=tuple(Document(d.type, d.number) for d in c.documents),
                verification_status=c.verification_status,
                verification_reason=c.verification_reason,
            )
            for c in row.confidant_relationships
        ),
    )


_LOAD_OPTIONS = (
    selectinload(PersonRow.documents),
    selectinload(PersonRow.authentication_methods),
    selectinload(PersonRow.confidant_relationships).selectinload(
        ConfidantRelationshipRow.documents
    ),
)


class SqlPersonStore:
    """The default person loader: the MPI tables through the host's Flask-SQLAlchemy.

    A person and its third persons load in five queries, whatever the number
    of documents, methods or relationships.
    """

    def __init__(self, bind: str | None = None) -> None:
        self.bind = bind

    def _rows(self, session: Session, condition: Any) -> list[PersonRow]:
        return list(session.scalars(select(PersonRow).where(condition).options(*_LOAD_OPTIONS)))

    def load(self, person_id: str) -> PersonGraph | None:
        third_ids = (
            select(AuthenticationMethodRow.value)
            .where(AuthenticationMethodRow.person_id == person_id)
            .where(AuthenticationMethodRow.type == "THIRD_PERSON")
            .scalar_subquery()
        )
        with Session(engine(self.bind)) as session:
            rows = self._rows(session, or_(PersonRow.id == person_id, PersonRow.id.in_(third_ids)))
            by_id = {row.id: _person_from_row(row) for row in rows}
        person = by_id.get(person_id)
        if person is None:
            return None
        named = [m.value for m in person.authentication_methods if m.type == "THIRD_PERSON" and m.value]
        return PersonGraph(person, {third: by_id.get(third) for third in named})

    def load_person(self, person_id: str) -> Person | None:
        with Session(engine(self.bind)) as session:
            rows = self._rows(session, PersonRow.id == person_id)
            return _person_from_row(rows[0]) if rows else None


class InvalidPersonRecord(ValueError):
    """A record of an import file is not a person record."""


def _row_from_record(index: int, record: Any) -> PersonRow:
    def bad(what: str) -> InvalidPersonRecord:
        return InvalidPersonRecord(f"record {index}: {what}")

    if not isinstance(record, Mapping):
        raise bad("not an object")
    from ..domain.identifiers import is_safe_person_id

    if not is_safe_person_id(record.get("id")):
        raise bad("'id' must match [A-Za-z0-9][A-Za-z0-9_-]{0,127}")

    def date_field(data: Mapping[str, Any], key: str, where: str) -> Any:
        raw = data.get(key)
        if raw in (None, ""):
            return None
        if key in ("ended_at", "active_to"):
            moment = parse_moment(raw)
            if moment is None:
                raise bad(f"{where}{key} is not a date")
            # In UTC: SQLite keeps no offset and reads times back as UTC.
            return moment.astimezone(timezone.utc)
        day = parse_date(raw)
        if day is None:
            raise bad(f"{where}{key} is not a date")
        return day

    def items(key: str, data: Mapping[str, Any] = record) -> list[Mapping[str, Any]]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise bad(f"{key} must be a list of objects")
        return value

    def text(data: Mapping[str, Any], key: str, where: str) -> Any:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise bad(f"{where}{key} must be a string")
        return value

    def flag(data: Mapping[str, Any], key: str, where: str) -> bool:
        value = data.get(key, True)
        if not isinstance(value, bool):
            raise bad(f"{where}{key} must be true or false")
        return value

    for key in ("status", "unzr"):
        text(record, key, "")
    row = PersonRow(
        id=record["id"],
        birth_date=date_field(record, "birth_date", ""),
        unzr=record.get("unzr"),
        status=record.get("status"),
        is_active=flag(record, "is_active", ""),
        verification_status=text(record, "verification_status", ""),
    )
    for i, doc in enumerate(items("documents")):
        where = f"documents[{i}]."
        row.documents.append(
            PersonDocumentRow(
                type=text(doc, "type", where),
                number=text(doc, "number", where),
                issued_by=text(doc, "issued_by", where),
                issued_at=date_field(doc, "issued_at", where),
                expiration_date=date_field(doc, "expiration_date", where),
            )
        )
    for i, method in enumerate(items("authentication_methods")):
        where = f"authentication_methods[{i}]."
        row.authentication_methods.append(
            AuthenticationMethodRow(
                type=text(method, "type", where),
                value=text(method, "value", where),
                phone_number=text(method, "phone_number", where),
                is_active=flag(method, "is_active", where),
                ended_at=date_field(method, "ended_at", where),
            )
        )
    for i, confidant in enumerate(items("confidant_person")):
        where = f"confidant_person[{i}]."
        if not isinstance(confidant.get("person_id"), str):
            raise bad(f"{where}person_id must be a string")
        relationship = ConfidantRelationshipRow(
            confidant_person_id=confidant["person_id"],
            relation_type=text(confidant, "relation_type", where),
            is_active=flag(confidant, "is_active", where),
            active_to=date_field(confidant, "active_to", where),
            verification_status=text(confidant, "verification_status", where),
            verification_reason=text(confidant, "verification_reason", where),
        )
        for j, doc in enumerate(items("documents_relationship", confidant)):
            doc_where = f"{where}documents_relationship[{j}]."
            relationship.documents.append(
                ConfidantRelationshipDocumentRow(
                    type=text(doc, "type", doc_where), number=text(doc, "number", doc_where)
                )
            )
        row.confidant_relationships.append(relationship)
    for where, item in [("", row), *_children(row)]:
        for column in item.__table__.columns:
            value = getattr(item, column.key)
            limit = getattr(column.type, "length", None)
            if isinstance(value, str) and limit is not None and len(value) > limit:
                raise bad(f"{where}{column.key} is longer than {limit} characters")
    return row


def _children(row: PersonRow) -> list[tuple[str, Any]]:
    children: list[tuple[str, Any]] = []
    children += [(f"documents[{i}].", d) for i, d in enumerate(row.documents)]
    children += [(f"authentication_methods[{i}].", m) for i, m in enumerate(row.authentication_methods)]
    for i, relationship in enumerate(row.confidant_relationships):
        children.append((f"confidant_person[{i}].", relationship))
        children += [
            (f"confidant_person[{i}].documents_relationship[{j}].", d)
            for j, d in enumerate(relationship.documents)
        ]
    return children


def import_persons(session: Session, records: Iterable[Any]) -> int:
    """Insert or replace person records, by ``id``, in the caller's transaction.

    Every record is checked before anything is written, so a bad file writes
    nothing. A record that appears twice keeps its last version.

    :param session: the session whose transaction receives the rows.
    :param records: person records in the contract's shape.
    :return: how many persons were written.
    :raise InvalidPersonRecord: naming the first bad record by its position.
    """
    rows = {row.id: row for row in (_row_from_record(i, r) for i, r in enumerate(records))}
    if rows:
        ids = list(rows)
        # Children go explicitly: SQLite does not enforce ON DELETE CASCADE by default.
        relationship_ids = select(ConfidantRelationshipRow.id).where(
            ConfidantRelationshipRow.person_id.in_(ids)
        )
        session.execute(
            delete(ConfidantRelationshipDocumentRow).where(
                ConfidantRelationshipDocumentRow.confidant_person_relationship_id.in_(relationship_ids)
            )
        )
        for model in (ConfidantRelationshipRow, AuthenticationMethodRow, PersonDocumentRow):
            session.execute(delete(model).where(model.person_id.in_(ids)))
        session.execute(delete(PersonRow).where(PersonRow.id.in_(ids)))
        session.add_all(rows.values())
        session.flush()
    return len(rows)
