"""Every error the blueprint answers, mapped to the ESOZ envelope in one place."""
from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Blueprint, Response, jsonify
from flask_jwt_extended.exceptions import JWTExtendedException, NoAuthorizationError
from jwt import PyJWTError
from werkzeug.exceptions import HTTPException

from ..exceptions import (
    AuthorizationHeaderMissing,
    DependencyUnavailable,
    InternalError,
    InvalidAccessToken,
    RequestError,
)
from .access_log import note_dependency_failure
from .envelope import REQUEST_ID_HEADER, meta, request_id

logger = logging.getLogger("flask_pis_documents.http")


def error_response(error: RequestError) -> Response:
    """The envelope of ``error``, with its status and the request id."""
    body: dict[str, Any] = {
        "meta": meta(error.status_code, "object"),
        "error": {"type": error.error_type, "message": error.message},
    }
    response = jsonify(body)
    response.status_code = error.status_code
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def _request_error(error: RequestError) -> Response:
    if isinstance(error, DependencyUnavailable):
        note_dependency_failure(error.dependency)
    return error_response(error)


def _no_authorization(error: NoAuthorizationError) -> Response:
    return error_response(AuthorizationHeaderMissing())


def _invalid_token(error: Exception) -> Response:
    return error_response(InvalidAccessToken())


_HTTP_ERROR_TYPES = {
    401: "access_denied", 403: "forbidden", 404: "not_found",
    409: "request_conflict", 422: "validation_failed",
}


def _http_exception(error: HTTPException) -> Response:
    code = error.code or 500
    if code >= 500:
        return _unexpected(error)
    failure = RequestError(error.name)
    failure.status_code = code
    failure.error_type = _HTTP_ERROR_TYPES.get(code, "bad_request")
    return error_response(failure)


def _unexpected(error: Exception) -> Response:
    # The frames without the exception's message, which may carry record data.
    frames = "".join(traceback.format_tb(error.__traceback__))
    logger.error("unexpected %s (request %s)\n%s", type(error).__name__, request_id(), frames)
    return error_response(InternalError())


def register_error_handlers(blueprint: Blueprint) -> None:
    """Scope the envelope to ``blueprint``: the host's own routes keep their errors."""
    blueprint.register_error_handler(RequestError, _request_error)
    blueprint.register_error_handler(NoAuthorizationError, _no_authorization)
    blueprint.register_error_handler(JWTExtendedException, _invalid_token)
    blueprint.register_error_handler(PyJWTError, _invalid_token)
    blueprint.register_error_handler(HTTPException, _http_exception)
    blueprint.register_error_handler(Exception, _unexpected)
