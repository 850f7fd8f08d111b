"""Every default the extension falls back to, in one place.

Each is built at ``init_app`` from the app's validated config when the host
registered no hook of its own.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from .adapters.person_store import SqlPersonStore
from .adapters.relationship_service import HttpRelationshipChecker
from .adapters.storage import S3DocumentStorage
from .config import PisDocumentsConfig
from .exceptions import ConfigurationError


def default_person_store(config: PisDocumentsConfig) -> SqlPersonStore:
    """The MPI tables through the host's Flask-SQLAlchemy, on the configured bind."""
    return SqlPersonStore(config.sqlalchemy_bind)


def default_relationship_checker(config: PisDocumentsConfig) -> HttpRelationshipChecker:
    """``POST`` to ``PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL``."""
    if not config.relationship_check_url:
        raise ConfigurationError(
            "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL: required unless a relationship_checker "
            "is registered (for example DatabaseRelationshipChecker())"
        )
    return HttpRelationshipChecker(config.relationship_check_url, config.relationship_timeout)


def default_global_parameters_loader(config: PisDocumentsConfig) -> Any:
    """The ages of ``PIS_DOCUMENTS_GLOBAL_PARAMETERS``."""
    ages: Mapping[str, int] = {
        "no_self_auth_age": config.global_parameters.no_self_auth_age,
        "no_self_registration_age": config.global_parameters.no_self_registration_age,
        "person_full_legal_capacity_age": config.global_parameters.person_full_legal_capacity_age,
    }
    return lambda: ages


def default_storage(config: PisDocumentsConfig) -> S3DocumentStorage:
    """The three storages as S3 buckets."""
    return S3DocumentStorage(config)


def default_documents_completed(person_id: str, names: Collection[str]) -> None:
    """Do nothing when a person's documents are complete."""
