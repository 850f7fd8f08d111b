"""Who is asking: the person and applicant from the access token, and the scope."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import PyJWTError

from ..config import PisDocumentsConfig
from ..domain.identifiers import is_safe_person_id
from ..domain.identity import Identity
from ..exceptions import (
    AuthorizationHeaderMissing,
    DependencyUnavailable,
    InvalidAccessToken,
    ScopeMissing,
)

logger = logging.getLogger("flask_pis_documents.auth")
USER_PERSON_LOADER = "user person loader"

#: A user person loader hook: ``(sub) -> person_id | None``.
UserPersonLoader = Callable[[str], "str | None"]


def _scopes(value: object) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, (list, tuple)):
        return {item for item in value if isinstance(item, str)}
    return set()


def authenticate(config: PisDocumentsConfig, user_person_loader: UserPersonLoader | None) -> Identity:
    """Check the bearer token and the scope, in the contract's order.

    :raise AuthorizationHeaderMissing: no ``Authorization: Bearer `` header.
    :raise InvalidAccessToken: the token is not a valid access token with a person.
    :raise ScopeMissing: the token lacks the configured scope.
    """
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise AuthorizationHeaderMissing()
    if len(header.encode()) > config.max_token_bytes:
        raise InvalidAccessToken()  # refused before any decoding work
    try:
        verify_jwt_in_request(locations=["headers"])
    except (JWTExtendedException, PyJWTError):
        raise InvalidAccessToken() from None
    claims = get_jwt()

    if user_person_loader is not None:
        try:
            person_id = user_person_loader(claims["sub"])
        except DependencyUnavailable:
            raise
        except Exception as error:
            logger.warning("%s failed: %s", USER_PERSON_LOADER, type(error).__name__)
            raise DependencyUnavailable(USER_PERSON_LOADER) from None
    else:
        person_id = claims.get(config.person_id_claim)
    if not isinstance(person_id, str) or not person_id:
        raise InvalidAccessToken()

    applicant_id = claims.get(config.applicant_person_id_claim)
    if applicant_id is not None and not isinstance(applicant_id, str):
        raise InvalidAccessToken()

    if config.scope not in _scopes(claims.get(config.scope_claim)):
        raise ScopeMissing(config.scope)

    if applicant_id == person_id or not is_safe_person_id(applicant_id):
        applicant_id = None
    return Identity(person_id=person_id, applicant_id=applicant_id)
