"""flask_pis_documents: ESOZ's "PIS. Initialize Person documents upload" for Flask."""
from __future__ import annotations

__version__ = "0.1.0"

from .adapters.completion_ledger import CompletionLedger, completion_session
from .adapters.global_parameters import PrmGlobalParametersLoader
from .adapters.person_store import PersonGraph, PersonStore, SqlPersonStore
from .adapters.relationship_service import DatabaseRelationshipChecker, HttpRelationshipChecker
from .adapters.storage import DocumentStorage, S3DocumentStorage, SignedUpload
from .config import PisDocumentsConfig
from .domain.person import Person
from .exceptions import (
    ConfigurationError,
    DependencyUnavailable,
    PisDocumentsException,
    RequestError,
)
from .extension import PisDocuments
from .service import UploadPlan, plan_uploads
from .state import get_state

__all__ = [
    "CompletionLedger",
    "completion_session",
    "ConfigurationError",
    "DatabaseRelationshipChecker",
    "DependencyUnavailable",
    "DocumentStorage",
    "HttpRelationshipChecker",
    "Person",
    "PersonGraph",
    "PersonStore",
    "PisDocuments",
    "PisDocumentsConfig",
    "PisDocumentsException",
    "PrmGlobalParametersLoader",
    "RequestError",
    "S3DocumentStorage",
    "SignedUpload",
    "SqlPersonStore",
    "UploadPlan",
    "get_state",
    "plan_uploads",
]
