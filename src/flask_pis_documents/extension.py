"""The extension object."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import flask_smorest
from flask import Flask
from flask_jwt_extended import JWTManager

from . import __version__
from . import default_callbacks as defaults
from .adapters.completion_ledger import (
    CompletionLedger,
    MemoryCompletionLedger,
    SqlCompletionLedger,
)
from .adapters.database import check_database
from .adapters.global_parameters import CachedGlobalParameters, GlobalParametersLoader
from .adapters.person_store import CallbackPersonStore, PersonLoader, PersonStore, SqlPersonStore
from .adapters.relationship_service import DatabaseRelationshipChecker, RelationshipChecker
from .adapters.global_parameters import PrmGlobalParametersLoader
from .adapters.storage import DocumentStorage
from .config import PisDocumentsConfig
from .exceptions import ConfigurationError
from .http.auth import UserPersonLoader
from .http.key_set import use_key_set
from .http.blueprint import SECURITY_SCHEME, create_blueprint
from .state import EXTENSION_KEY, DocumentsCompleted, PisDocumentsState

F = TypeVar("F", bound=Callable[..., Any])


#: The shipped adapters that read through the host's Flask-SQLAlchemy.
_DATABASE_ADAPTERS = (SqlPersonStore, DatabaseRelationshipChecker, PrmGlobalParametersLoader)


class _ScopedApi(flask_smorest.Api):  # type: ignore[misc]
    """The Api the extension makes when the host has none.

    It reads ``PIS_DOCUMENTS_``-prefixed settings (so the spec is served at
    ``PIS_DOCUMENTS_OPENAPI_URL_PREFIX``, and nowhere when unset) and
    installs no app-wide error handler: the host's errors stay the host's.
    """

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self) -> None:
        pass


def _find_api(app: Flask) -> Any:
    apis = app.extensions.get("flask-smorest", {}).get("apis", {})
    if "" in apis:
        return apis[""]["ext_obj"]
    if len(apis) == 1:
        return next(iter(apis.values()))["ext_obj"]
    return None


class PisDocuments:
    """ESOZ's "PIS. Initialize Person documents upload" as a Flask extension.

    :param app: initialise at once on this app.
    :param api: the host's :class:`flask_smorest.Api`; found or made when ``None``.
    :param person_loader: see :meth:`person_loader`.
    :param relationship_checker: see :meth:`relationship_checker`.
    :param global_parameters_loader: see :meth:`global_parameters_loader`.
    :param user_person_loader: see :meth:`user_person_loader`.
    :param documents_completed: see :meth:`documents_completed`.
    :param storage: a :class:`~flask_pis_documents.adapters.storage.DocumentStorage`
        in place of the S3 buckets.
    :param completion_ledger: a
        :class:`~flask_pis_documents.adapters.completion_ledger.CompletionLedger`
        in place of the default (the database when the MPI store is used,
        else this process's memory).
    """

    def __init__(
        self,
        app: Flask | None = None,
        api: Any = None,
        *,
        person_loader: PersonLoader | None = None,
        relationship_checker: RelationshipChecker | None = None,
        global_parameters_loader: GlobalParametersLoader | None = None,
        user_person_loader: UserPersonLoader | None = None,
        documents_completed: DocumentsCompleted | None = None,
        storage: DocumentStorage | None = None,
        completion_ledger: CompletionLedger | None = None,
    ) -> None:
        self._person_loader = person_loader
        self._relationship_checker = relationship_checker
        self._global_parameters_loader = global_parameters_loader
        self._user_person_loader = user_person_loader
        self._documents_completed = documents_completed
        self._storage = storage
        self._completion_ledger = completion_ledger
        self._initialized = False
        if app is not None:
            self.init_app(app, api=api)

    def _hook(self, attribute: str, callback: F) -> F:
        if self._initialized:
            raise RuntimeError(
                "register hooks before init_app: an app reads them once, when it is initialised"
            )
        setattr(self, attribute, callback)
        return callback

    def person_loader(self, callback: F) -> F:
        """Register the function that loads a person record.

        The function receives the person id (a string fit for object keys)
        and returns the record (a mapping of the contract's shape, or a
        :class:`~flask_pis_documents.Person`), or ``None`` when there is no
        such person. It is also called for the third persons of
        ``THIRD_PERSON`` methods. An exception answers 503.

        Default: :class:`~flask_pis_documents.adapters.person_store.SqlPersonStore`.
        """
        return self._hook("_person_loader", callback)

    def relationship_checker(self, callback: F) -> F:
        """Register the function that checks a confidant relationship.

        The function receives ``person_id`` and ``confidant_person_id`` and
        returns ``"approved"``, ``"not_approved"`` or ``"not_found"``. An
        exception answers 503.

        Default: :class:`~flask_pis_documents.adapters.relationship_service.HttpRelationshipChecker`.
        """
        return self._hook("_relationship_checker", callback)

    def global_parameters_loader(self, callback: F) -> F:
        """Register the function that loads the global parameters.

        The function takes no argument and returns a mapping with
        ``no_self_auth_age``, ``no_self_registration_age`` and
        ``person_full_legal_capacity_age`` (whole numbers, or strings of
        them). Its answer is cached for ``PIS_DOCUMENTS_GLOBAL_PARAMETERS_TTL``
        seconds.

        Default: the ``PIS_DOCUMENTS_GLOBAL_PARAMETERS`` mapping; use
        :class:`~flask_pis_documents.adapters.global_parameters.PrmGlobalParametersLoader`
        for the PRM table.
        """
        return self._hook("_global_parameters_loader", callback)

    def user_person_loader(self, callback: F) -> F:
        """Register the function that maps the token's user to a person.

        The function receives the token's ``sub`` (a string) and returns the
        person id, or ``None`` (401). When registered, it replaces the
        ``PIS_DOCUMENTS_PERSON_ID_CLAIM`` claim.

        Default: none; the person id comes from the claim.
        """
        return self._hook("_user_person_loader", callback)

    def documents_completed(self, callback: F) -> F:
        """Register the function called when a person's documents are complete.

        The function receives the person id and the names of the documents
        that are all present, and returns nothing. An exception answers 503.

        Default: :func:`~flask_pis_documents.default_callbacks.default_documents_completed`.
        """
        return self._hook("_documents_completed", callback)

    def init_app(self, app: Flask, api: Any = None, *, storage: DocumentStorage | None = None) -> None:
        """Register the extension on ``app``.

        :param api: the host's :class:`flask_smorest.Api`. When ``None``, the
            app's Api is used if it has one, else the extension makes its own.
        :param storage: a storage backend for this app only.
        :raise ConfigurationError: a config value is bad, or a needed hook or
            dependency is missing; the message names it.
        :raise RuntimeError: the extension is already registered on ``app``.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                "A 'PisDocuments' instance is already registered on this Flask app. "
                "Import and use that instance instead."
            )
        config = PisDocumentsConfig.from_mapping(app.config)

        person_store: PersonStore
        if isinstance(self._person_loader, PersonStore):
            person_store = self._person_loader
        elif self._person_loader is not None:
            person_store = CallbackPersonStore(self._person_loader)
        else:
            person_store = defaults.default_person_store(config)
        checker = self._relationship_checker or defaults.default_relationship_checker(config)
        loader = self._global_parameters_loader or defaults.default_global_parameters_loader(config)
        for adapter in (person_store, checker, loader):
            if isinstance(adapter, _DATABASE_ADAPTERS):
                check_database(app, adapter.bind, type(adapter).__name__)
        backend = storage or self._storage or defaults.default_storage(config)
        if not isinstance(backend, DocumentStorage):
            raise ConfigurationError("storage: expected a DocumentStorage (snapshot, exists, sign_upload)")

        ledger = self._completion_ledger or self._default_ledger(app, config, person_store)
        self._ensure_jwt(app, config)
        api = api if api is not None else _find_api(app)
        if api is None:
            api = _ScopedApi(
                config_prefix="PIS_DOCUMENTS_",
                spec_kwargs={"title": "PIS documents", "version": __version__, "openapi_version": "3.0.3"},
            )
            api.init_app(app)

        app.extensions[EXTENSION_KEY] = PisDocumentsState(
            app=app,
            config=config,
            person_store=person_store,
            relationship_checker=checker,
            storage=backend,
            global_parameters=CachedGlobalParameters(loader, config.global_parameters_ttl),
            user_person_loader=self._user_person_loader,
            documents_completed=self._documents_completed or defaults.default_documents_completed,
            completion_ledger=ledger,
            api=api,
        )
        self._register_security_scheme(api)
        api.register_blueprint(create_blueprint(config.url_prefix))
        from .cli import cli

        app.cli.add_command(cli)
        self._initialized = True

    @staticmethod
    def _default_ledger(app: Flask, config: PisDocumentsConfig, store: PersonStore) -> CompletionLedger:
        if isinstance(store, SqlPersonStore) or config.completed_verification_status is not None:
            bind = store.bind if isinstance(store, SqlPersonStore) else config.sqlalchemy_bind
            needed_by = (
                "PIS_DOCUMENTS_COMPLETED_VERIFICATION_STATUS"
                if config.completed_verification_status is not None
                else "the completion ledger of the MPI person store"
            )
            check_database(app, bind, needed_by)
            return SqlCompletionLedger(bind, config.completed_verification_status)
        return MemoryCompletionLedger()

    @staticmethod
    def _ensure_jwt(app: Flask, config: PisDocumentsConfig) -> None:
        manager = app.extensions.get("flask-jwt-extended")
        if manager is None:
            has_key = any(
                app.config.get(key) for key in ("JWT_SECRET_KEY", "SECRET_KEY", "JWT_PUBLIC_KEY")
            )
            if not (has_key or config.jwks_url):
                raise ConfigurationError(
                    "JWT_SECRET_KEY: the app has no JWTManager and no key to verify tokens with; "
                    "set JWT_SECRET_KEY (HS256), JWT_ALGORITHM and JWT_PUBLIC_KEY, or "
                    "PIS_DOCUMENTS_JWKS_URL, or init a JWTManager first"
                )
            manager = JWTManager(app)
        # Otherwise the host's manager, with its loaders, applies to our endpoint too.
        if config.jwks_url:
            use_key_set(app, manager, config)

    @staticmethod
    def _register_security_scheme(api: Any) -> None:
        schemes = api.spec.components.security_schemes
        if SECURITY_SCHEME not in schemes:
            api.spec.components.security_scheme(
                SECURITY_SCHEME, {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            )
