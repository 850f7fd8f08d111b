"""The person record, parsed leniently from a mapping.

Person records come from stored data, so parsing never raises: a field of the
wrong type reads as missing. Rules decide what a missing field means.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from .identifiers import is_safe_person_id


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: object, default: bool = True) -> bool:
    return value if isinstance(value, bool) else default


def _items(value: object) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, (list, tuple)):
        return (item for item in value if isinstance(item, Mapping))
    return ()


# YYYY-MM-DD, alone or starting a timestamp; not the week or ordinal forms.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ])")


def parse_date(value: object) -> date | None:
    """Read a ``date``, a ``datetime`` or an ISO ``YYYY-MM-DD`` string; else ``None``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            return None
    return None


def parse_moment(value: object) -> datetime | None:
    """Read an aware or naive (taken as UTC) timestamp, or a date; else ``None``."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _active(is_active: bool, has_end: bool, end: datetime | None, now: datetime) -> bool:
    # An end that is set but could not be read counts as past.
    return is_active and (not has_end or (end is not None and end > now))


@dataclass(frozen=True)
class Document:
    type: str | None
    number: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Document:
        return cls(type=_text(data.get("type")), number=_text(data.get("number")))


@dataclass(frozen=True)
class AuthenticationMethod:
    type: str | None
    value: str | None = None
    is_active: bool = True
    ended_at: datetime | None = None
    has_end: bool = False  # an ended_at that could not be read still ends the method

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AuthenticationMethod:
        raw_end = data.get("ended_at")
        return cls(
            type=_text(data.get("type")),
            value=_text(data.get("value")),
            is_active=_flag(data.get("is_active")),
            ended_at=parse_moment(raw_end),
            has_end=raw_end not in (None, ""),
        )

    def active_at(self, now: datetime) -> bool:
        """Active while ``is_active`` and ``ended_at`` is empty or in the future."""
        return _active(self.is_active, self.has_end, self.ended_at, now)


@dataclass(frozen=True)
class ConfidantPerson:
    person_id: str | None
    relation_type: str | None = None
    is_active: bool = True
    active_to: datetime | None = None
    has_end: bool = False
    documents_relationship: tuple[Document, ...] = ()
    verification_status: str | None = None
    verification_reason: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> ConfidantPerson:
        raw_end = data.get("active_to")
        return cls(
            person_id=_text(data.get("person_id")),
            relation_type=_text(data.get("relation_type")),
            is_active=_flag(data.get("is_active")),
            active_to=parse_moment(raw_end),
            has_end=raw_end not in (None, ""),
            documents_relationship=tuple(
                Document.from_mapping(d) for d in _items(data.get("documents_relationship"))
            ),
            verification_status=_text(data.get("verification_status")),
            verification_reason=_text(data.get("verification_reason")),
        )

    def active_at(self, now: datetime) -> bool:
        """Active while ``is_active`` and ``active_to`` is empty or in the future."""
        return _active(self.is_active, self.has_end, self.active_to, now)


@dataclass(frozen=True)
class Person:
    """A person record of the MPI, as the rules read it."""

    id: str | None
    birth_date: date | None = None
    unzr: str | None = None
    status: str | None = None
    is_active: bool = False
    documents: tuple[Document, ...] = ()
    authentication_methods: tuple[AuthenticationMethod, ...] = ()
    confidant_person: tuple[ConfidantPerson, ...] = field(default=())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Person:
        """Build a person from a record; fields of the wrong type read as missing."""
        is_active = data.get("is_active")
        return cls(
            id=_text(data.get("id")),
            birth_date=parse_date(data.get("birth_date")),
            unzr=_text(data.get("unzr")),
            status=_text(data.get("status")),
            is_active=is_active is True,
            documents=tuple(Document.from_mapping(d) for d in _items(data.get("documents"))),
            authentication_methods=tuple(
                AuthenticationMethod.from_mapping(m)
                for m in _items(data.get("authentication_methods"))
            ),
            confidant_person=tuple(
                ConfidantPerson.from_mapping(c) for c in _items(data.get("confidant_person"))
            ),
        )

    @classmethod
    def coerce(cls, record: Person | Mapping[str, Any]) -> Person:
        """Accept a :class:`Person` as it is, or build one from a mapping."""
        return record if isinstance(record, Person) else cls.from_mapping(record)

    @property
    def is_active_person(self) -> bool:
        """``status == "active"`` and ``is_active is True``: the 404 check."""
        return self.status == "active" and self.is_active

    def active_methods(self, method_type: str, now: datetime) -> list[AuthenticationMethod]:
        return [m for m in self.authentication_methods if m.type == method_type and m.active_at(now)]

    def third_person_ids(self, now: datetime) -> list[str]:
        """Valid ids named by active ``THIRD_PERSON`` methods, in order, once each."""
        methods = self.active_methods("THIRD_PERSON", now)
        ids = [m.value for m in methods if m.value is not None and is_safe_person_id(m.value)]
        return list(dict.fromkeys(ids))
