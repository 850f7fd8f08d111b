"""One request's work: fetch concurrently, apply the rules, find what exists.

Every dependency call needs only the ids in the token, so the person load,
the relationship check and the storage listings start together; presigning
is local CPU work.
"""
from __future__ import annotations

import logging
from collections.abc import Collection, Container, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from .adapters.completion_ledger import COMPLETION_LEDGER, DOCUMENTS_COMPLETED
from .adapters.global_parameters import GLOBAL_PARAMETERS
from .adapters.person_store import PERSON_STORE
from .adapters.relationship_service import RELATIONSHIP_SERVICE
from .adapters.storage import STORAGE, SignedUpload
from .domain.identifiers import is_safe_person_id
from .domain.person import Person
from .domain.rules import RequiredDocument, RuleInputs, required_documents
from .exceptions import DependencyUnavailable, PersonNotFound
from .domain.identity import Identity
from .state import PisDocumentsState

logger = logging.getLogger("flask_pis_documents.service")
T = TypeVar("T")
_MARGIN = 0.5


@dataclass(frozen=True)
class DocumentStatus:
    """A required document and, when it exists already, the storage holding it."""

    name: str
    rules: tuple[int, ...]
    found_in: str | None = None


@dataclass(frozen=True)
class UploadPlan:
    """What a person must upload, and why."""

    person_id: str
    documents: tuple[DocumentStatus, ...]
    relationship_status: str | None = None

    @property
    def missing(self) -> list[str]:
        """Names required and found in no storage, in the order asked."""
        return [d.name for d in self.documents if d.found_in is None]


def _wait(future: Future[T], dependency: str, timeout: float) -> T:
    try:
        return future.result(timeout=timeout)
    except DependencyUnavailable:
        raise
    except FutureTimeout:
        logger.warning("%s did not answer within %.1fs", dependency, timeout)
        raise DependencyUnavailable(dependency) from None
    except Exception as error:
        logger.warning("%s failed: %s", dependency, type(error).__name__)
        raise DependencyUnavailable(dependency) from None


def plan_uploads(state: PisDocumentsState, identity: Identity) -> UploadPlan:
    """Work out the documents ``identity``'s person still has to upload.

    :raise PersonNotFound: no such person, or not active.
    :raise DependencyUnavailable: a dependency failed or timed out.
    """
    config = state.config
    person_id = identity.person_id
    if not is_safe_person_id(person_id):
        raise PersonNotFound()
    now = datetime.now(timezone.utc)
    today = now.astimezone(config.timezone).date()
    storage = state.storage
    store_wait = config.person_store_timeout + _MARGIN
    storage_wait = 2 * config.storage_timeout + _MARGIN

    person_future = state.submit(state.person_store.load, person_id)
    relationship_future = None
    if identity.applicant_id is not None:
        relationship_future = state.submit(
            state.relationship_checker, person_id, identity.applicant_id
        )
    snapshot_futures = {
        name: state.submit(storage.snapshot, name, person_id) for name in storage.storage_names
    }
    parameters = state.global_parameters.cached()
    parameters_future = None if parameters else state.submit(state.global_parameters.load)

    try:
        graph = _wait(person_future, PERSON_STORE, store_wait)
        if graph is None or not graph.person.is_active_person:
            raise PersonNotFound()
        person = graph.person
        third_futures = {
            third: state.submit(state.person_store.load_person, third)
            for third in person.third_person_ids(now)
            if third not in graph.third_persons
        }
        third_persons: dict[str, Person | None] = dict(graph.third_persons)
        for third, future in third_futures.items():
            third_persons[third] = _wait(future, PERSON_STORE, store_wait)

        relationship_status = None
        if relationship_future is not None:
            relationship_status = _wait(
                relationship_future, RELATIONSHIP_SERVICE, 2 * config.relationship_timeout + _MARGIN
            )
        if parameters_future is not None:
            parameters = _wait(parameters_future, GLOBAL_PARAMETERS, store_wait)
        assert parameters is not None

        required = required_documents(
            person,
            RuleInputs(
                today=today,
                now=now,
                parameters=parameters,
                legal_capacity_document_types=config.legal_capacity_document_types,
                applicant_id=identity.applicant_id,
                relationship_ok=relationship_status in config.relationship_ok_statuses,
                third_persons=third_persons,
            ),
        )
        found_in = _find_existing(state, person_id, required, snapshot_futures, storage_wait)
    finally:
        started: list[Future[Any] | None] = [person_future, relationship_future, parameters_future]
        for unfinished in [*started, *snapshot_futures.values()]:
            if unfinished is not None:
                unfinished.cancel()
    return UploadPlan(
        person_id=person_id,
        documents=tuple(DocumentStatus(d.name, d.rules, found_in.get(d.name)) for d in required),
        relationship_status=relationship_status,
    )


def _find_existing(
    state: PisDocumentsState,
    person_id: str,
    required: list[RequiredDocument],
    snapshot_futures: Mapping[str, Future[Container[str] | None]],
    timeout: float,
) -> dict[str, str]:
    """Map each required name found in some storage to the first such storage."""
    storage = state.storage
    names = [d.name for d in required]
    pending: dict[tuple[str, str], Future[bool]] = {}
    present: dict[str, set[str]] = {}
    for storage_name, future in snapshot_futures.items():
        snapshot = _wait(future, STORAGE, timeout)
        if snapshot is None:
            for name in names:
                pending[storage_name, name] = state.submit(storage.exists, storage_name, person_id, name)
        else:
            present[storage_name] = {name for name in names if name in snapshot}
    for (storage_name, name), exists_future in pending.items():
        if _wait(exists_future, STORAGE, timeout):
            present.setdefault(storage_name, set()).add(name)
    found: dict[str, str] = {}
    for storage_name in storage.storage_names:
        for name in sorted(present.get(storage_name, ())):
            found.setdefault(name, storage_name)
    return found


@dataclass(frozen=True)
class Completion:
    """The outcome of a complete: what is still missing, and whether it was reported now."""

    plan: UploadPlan
    reported: bool


def complete_uploads(state: PisDocumentsState, identity: Identity) -> Completion:
    """Plan as for initialize; when nothing is missing, report the completion once.

    :raise DependencyUnavailable: a dependency, the ledger or the
        ``documents_completed`` hook failed; the ledger keeps nothing then.
    """
    plan = plan_uploads(state, identity)
    if plan.missing:
        return Completion(plan, reported=False)
    names = [d.name for d in plan.documents]
    hook = state.documents_completed
    hook_failed: list[Exception] = []

    def callback(person_id: str, present: Collection[str]) -> None:
        try:
            hook(person_id, present)
        except Exception as error:
            hook_failed.append(error)
            raise

    try:
        reported = state.completion_ledger.complete(plan.person_id, names, callback)
    except Exception as error:
        failed = DOCUMENTS_COMPLETED if hook_failed else COMPLETION_LEDGER
        logger.warning("%s failed: %s", failed, type(error).__name__)
        raise DependencyUnavailable(failed) from None
    return Completion(plan, reported=reported)


def sign_uploads(state: PisDocumentsState, plan: UploadPlan) -> list[tuple[str, SignedUpload]]:
    """Sign an upload for every missing document of ``plan``. No network call."""
    try:
        return [(name, state.storage.sign_upload(plan.person_id, name)) for name in plan.missing]
    except DependencyUnavailable:
        raise
    except Exception as error:
        logger.warning("signing failed: %s", type(error).__name__)
        raise DependencyUnavailable(STORAGE) from None
