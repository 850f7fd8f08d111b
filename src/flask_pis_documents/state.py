"""Per-app state, kept in ``app.extensions["pis-documents"]``."""
from __future__ import annotations

import contextvars
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app

from .adapters.completion_ledger import CompletionLedger
from .adapters.global_parameters import CachedGlobalParameters
from .adapters.person_store import PersonStore
from .adapters.relationship_service import RelationshipChecker
from .adapters.storage import DocumentStorage
from .config import PisDocumentsConfig
from .http.auth import UserPersonLoader
from .process_local import ProcessLocal

EXTENSION_KEY = "pis-documents"
T = TypeVar("T")

#: A documents completed hook: ``(person_id, names) -> None``.
DocumentsCompleted = Callable[[str, Collection[str]], None]


def _run_in_app_context(app: Flask, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    # A fresh app context per task: hooks may use current_app, and
    # Flask-SQLAlchemy's db.session is then not shared across threads.
    with app.app_context():
        return fn(*args)


@dataclass
class PisDocumentsState:
    """What one app's endpoint needs, built once at ``init_app``."""

    app: Flask
    config: PisDocumentsConfig
    person_store: PersonStore
    relationship_checker: RelationshipChecker
    storage: DocumentStorage
    global_parameters: CachedGlobalParameters
    user_person_loader: UserPersonLoader | None
    documents_completed: DocumentsCompleted
    completion_ledger: CompletionLedger
    api: Any
    executor: ProcessLocal[ThreadPoolExecutor] = field(init=False)

    def __post_init__(self) -> None:
        workers = self.config.max_workers
        self.executor = ProcessLocal(
            lambda: ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pis-documents")
        )

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on this app's bounded pool, with the caller's context."""
        context = contextvars.copy_context()
        return self.executor.get().submit(context.run, _run_in_app_context, self.app, fn, args)

    def shutdown(self) -> None:
        """Stop this process's pool, if one was started."""
        executor = self.executor.peek()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def get_state(app: Flask | None = None) -> PisDocumentsState:
    """The state of ``app`` (default: the current app).

    :raise RuntimeError: the extension is not registered on that app.
    """
    target = app if app is not None else current_app
    try:
        state: PisDocumentsState = target.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            "flask_pis_documents is not registered on this app: call PisDocuments().init_app(app)"
        ) from None
    return state
