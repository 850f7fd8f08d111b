"""SQLAlchemy models of the ESOZ tables the database-backed adapters read.

They use their own metadata, not the host's ``db.Model``, so that they never
mix into the host's ``db.create_all()``; ``flask pis-documents init-db``
creates them on the bind named by ``PIS_DOCUMENTS_SQLALCHEMY_BIND``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ID = String(128)


class MpiBase(DeclarativeBase):
    """Base of the MPI and PRM tables."""


class PersonRow(MpiBase):
    __tablename__ = "persons"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    unzr: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    verification_status: Mapped[str | None] = mapped_column(String(64))

    documents: Mapped[list[PersonDocumentRow]] = relationship(
        cascade="all, delete-orphan", order_by="PersonDocumentRow.id"
    )
    authentication_methods: Mapped[list[AuthenticationMethodRow]] = relationship(
        cascade="all, delete-orphan", order_by="AuthenticationMethodRow.id"
    )
    confidant_relationships: Mapped[list[ConfidantRelationshipRow]] = relationship(
        cascade="all, delete-orphan", order_by="ConfidantRelationshipRow.id"
    )


class PersonDocumentRow(MpiBase):
    __tablename__ = "person_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    type: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(255))
    issued_by: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[date | None] = mapped_column(Date)
    expiration_date: Mapped[date | None] = mapped_column(Date)


class AuthenticationMethodRow(MpiBase):
    __tablename__ = "person_authentication_methods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    type: Mapped[str | None] = mapped_column(String(32))
    # For THIRD_PERSON, the third person's id; no foreign key, so imports may come in any order.
    value: Mapped[str | None] = mapped_column(String(255))
    phone_number: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ConfidantRelationshipRow(MpiBase):
    __tablename__ = "confidant_person_relationships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    confidant_person_id: Mapped[str] = mapped_column(ID, index=True)
    relation_type: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    active_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    verification_status: Mapped[str | None] = mapped_column(String(64))
    verification_reason: Mapped[str | None] = mapped_column(String(64))

    documents: Mapped[list[ConfidantRelationshipDocumentRow]] = relationship(
        cascade="all, delete-orphan", order_by="ConfidantRelationshipDocumentRow.id"
    )


class ConfidantRelationshipDocumentRow(MpiBase):
    __tablename__ = "confidant_person_relationship_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    confidant_person_relationship_id: Mapped[int] = mapped_column(
        ForeignKey("confidant_person_relationships.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(255))


class GlobalParameterRow(MpiBase):
    """The PRM ``global_parameters`` table: every value is a string."""

    __tablename__ = "global_parameters"

    parameter: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class DocumentsCompletionRow(MpiBase):
    """One row per person and set of present documents already reported complete.

    The ``documents_completed`` hook runs in the transaction that inserts the
    row, so a second complete of the same state finds it and calls nothing.
    """

    __tablename__ = "pis_documents_completions"

    person_id: Mapped[str] = mapped_column(ID, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
