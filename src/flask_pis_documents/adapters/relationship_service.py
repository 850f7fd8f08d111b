"""ESOZ's "Check confidant person relationship": over HTTP, or from the MPI tables."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..context import current_request_id
from ..domain.person import parse_moment
from ..exceptions import DependencyUnavailable
from ..process_local import ProcessLocal
from .database import engine
from .models import ConfidantRelationshipRow

logger = logging.getLogger("flask_pis_documents.relationship_service")

RELATIONSHIP_SERVICE = "relationship service"
APPROVED, NOT_APPROVED, NOT_FOUND = "approved", "not_approved", "not_found"

#: A relationship checker hook: ``(person_id, confidant_person_id) -> status``.
RelationshipChecker = Callable[[str, str], str]


def verification_outcome(status: str | None, reason: str | None) -> str:
    """Map a relationship's verification to the checker's answer (MPI's rule)."""
    if status == "VERIFIED" or (
        status == "VERIFICATION_NEEDED" and reason == "MANUAL_CREATED_BY_DOCTOR"
    ):
        return APPROVED
    return NOT_APPROVED


class HttpRelationshipChecker:
    """The default checker: ``POST`` to ``PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL``.

    ``200 {"data": {"status": "approved" | "not_approved"}}`` and ``404``
    (``not_found``) are answers; anything else is a dependency failure. One
    ``requests.Session`` per process keeps connections alive; the call is
    not retried.
    """

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._session = ProcessLocal(self._new_session)

    def _new_session(self) -> Any:
        import os

        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        # The environment's proxy and CA settings are read once per process
        # instead of on every call (and ~/.netrc, irrelevant here, not at all).
        session.trust_env = False
        session.proxies = requests.utils.get_environ_proxies(self.url)
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            session.verify = ca_bundle
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _fail(self, why: str) -> DependencyUnavailable:
        logger.warning("relationship service failed: %s", why)
        return DependencyUnavailable(RELATIONSHIP_SERVICE)

    def __call__(self, person_id: str, confidant_person_id: str) -> str:
        import requests

        headers = {"Accept": "application/json"}
        request_id = current_request_id.get()
        if request_id:
            headers["x-request-id"] = request_id
        try:
            response = self._session.get().post(
                self.url,
                json={"person_id": person_id, "confidant_person_id": confidant_person_id},
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,  # a redirect is "anything else", never re-sent elsewhere
            )
        except requests.RequestException as error:
            raise self._fail(type(error).__name__) from None
        if response.status_code == 404:
            return NOT_FOUND
        if response.status_code != 200:
            raise self._fail(f"status {response.status_code}")
        try:
            status = response.json()["data"]["status"]
        except (ValueError, KeyError, TypeError):
            raise self._fail("not the documented JSON") from None
        if status not in (APPROVED, NOT_APPROVED):
            raise self._fail("unknown status value")
        return str(status)


class DatabaseRelationshipChecker:
    """A checker over the MPI's ``confidant_person_relationships`` rows.

    The active relationship (``is_active``, ``active_to`` empty or in the
    future) decides by its verification status and reason.
    """

    def __init__(self, bind: str | None = None) -> None:
        self.bind = bind

    def __call__(self, person_id: str, confidant_person_id: str) -> str:
        now = datetime.now(timezone.utc)
        rows = ConfidantRelationshipRow
        query = (
            select(rows.verification_status, rows.verification_reason, rows.active_to)
            .where(rows.person_id == person_id)
            .where(rows.confidant_person_id == confidant_person_id)
            .where(rows.is_active.is_(True))
            .order_by(rows.id.desc())
        )
        with Session(engine(self.bind)) as session:
            found = session.execute(query).all()
        for status, reason, active_to in found:
            # Compared here, not in SQL: SQLite returns naive times, PostgreSQL aware ones.
            end = parse_moment(active_to)
            if end is not None and end <= now:
                continue
            return verification_outcome(status, reason)
        return NOT_FOUND
