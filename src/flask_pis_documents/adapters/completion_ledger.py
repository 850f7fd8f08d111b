"""Which completed document sets were already reported, so each is reported once."""
from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .database import engine
from .models import DocumentsCompletionRow, PersonRow

logger = logging.getLogger("flask_pis_documents.completion")

DOCUMENTS_COMPLETED = "documents completed hook"
COMPLETION_LEDGER = "completion ledger"

#: The ledger's session while a ``documents_completed`` hook runs: a hook that
#: writes through it writes in the ledger's transaction (and its lock).
_current_session: ContextVar[Session | None] = ContextVar("pis_documents_completion", default=None)


def completion_session() -> Session | None:
    """The session of the completion being recorded, inside a ``documents_completed`` hook.

    :return: the :class:`~sqlalchemy.orm.Session` whose transaction records
        the completion (with the SQL ledger), or ``None`` (memory ledger).
        Writes made through it commit or roll back with the completion; a
        write through another connection may wait on the ledger's lock.
    """
    return _current_session.get()

#: Called inside the ledger's transaction: ``(person_id, names) -> None``.
CompletionCallback = Callable[[str, Collection[str]], None]


def fingerprint(names: Collection[str]) -> str:
    """A stable digest of a set of document names."""
    return hashlib.sha256("\n".join(sorted(set(names))).encode()).hexdigest()


@runtime_checkable
class CompletionLedger(Protocol):
    def complete(self, person_id: str, names: Collection[str], callback: CompletionCallback) -> bool:
        """Run ``callback`` once per person and set of names.

        :return: whether ``callback`` ran now (``False``: reported before).
        :raise Exception: what ``callback`` raised; nothing is recorded then.
        """


class SqlCompletionLedger:
    """Completions in ``pis_documents_completions``, one transaction each.

    The row is inserted before the callback runs, so a concurrent complete
    of the same state waits on it and then finds it; a callback that raises
    rolls the row back with everything else done in the transaction.

    :param verification_status: when set, ``persons.verification_status``
        is set to it in the same transaction (unless it already has it).
    """

    def __init__(self, bind: str | None = None, verification_status: str | None = None) -> None:
        self.bind = bind
        self.verification_status = verification_status

    def complete(self, person_id: str, names: Collection[str], callback: CompletionCallback) -> bool:
        digest = fingerprint(names)
        with Session(engine(self.bind)) as session:
            try:
                with session.begin():
                    found = session.scalar(
                        select(DocumentsCompletionRow.person_id)
                        .where(DocumentsCompletionRow.person_id == person_id)
                        .where(DocumentsCompletionRow.fingerprint == digest)
                    )
                    if found is not None:
                        return False
                    session.add(
                        DocumentsCompletionRow(
                            person_id=person_id,
                            fingerprint=digest,
                            completed_at=datetime.now(timezone.utc),
                        )
                    )
                    session.flush()
                    if self.verification_status is not None:
                        session.execute(
                            update(PersonRow)
                            .where(PersonRow.id == person_id)
                            .where(
                                (PersonRow.verification_status != self.verification_status)
                                | PersonRow.verification_status.is_(None)
                            )
                            .values(verification_status=self.verification_status)
                        )
                    token = _current_session.set(session)
                    try:
                        callback(person_id, names)
                    finally:
                        _current_session.reset(token)
            except IntegrityError:
                return False  # a concurrent complete recorded the same state first
        return True


class MemoryCompletionLedger:
    """Completions remembered in this process only: for hosts without a database."""

    def __init__(self) -> None:
        self._done: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def complete(self, person_id: str, names: Collection[str], callback: CompletionCallback) -> bool:
        key = (person_id, fingerprint(names))
        with self._lock:
            if key in self._done:
                return False
            callback(person_id, names)
            self._done.add(key)
        return True
