"""The one exception hierarchy. :mod:`flask_pis_documents.http.errors` maps it to responses."""
from __future__ import annotations


class PisDocumentsException(Exception):
    """Base of every exception the extension raises."""


class ConfigurationError(PisDocumentsException, ValueError):
    """A configuration value or a missing hook makes ``init_app`` impossible."""


class RequestError(PisDocumentsException):
    """An error answered with the ESOZ error envelope.

    :param message: the text of ``error.message``; never personal data.
    """

    status_code: int = 500
    error_type: str = "internal_error"
    default_message: str = "Internal server error"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class AuthorizationHeaderMissing(RequestError):
    status_code = 401
    error_type = "access_denied"
    default_message = "Authorization header is not set or doesn't contain Bearer token"


class InvalidAccessToken(RequestError):
    status_code = 401
    error_type = "access_denied"
    default_message = "Invalid access token"


class ScopeMissing(RequestError):
    status_code = 403
    error_type = "forbidden"

    def __init__(self, scope: str) -> None:
        super().__init__(
            "Your scope does not allow to access this resource. "
            f"Missing allowances: {scope}"
        )


class PersonNotFound(RequestError):
    status_code = 404
    error_type = "not_found"
    default_message = "Person does not exist or is not active"


class DependencyUnavailable(RequestError):
    """A dependency failed or timed out.

    :param dependency: which one: ``"storage"``, ``"relationship service"``,
        ``"person store"``, ``"global parameters"`` or a hook's name.
    """

    status_code = 503
    error_type = "service_unavailable"

    def __init__(self, dependency: str) -> None:
        self.dependency = dependency
        super().__init__(f"The {dependency} is unavailable, try again later")


class InternalError(RequestError):
    status_code = 500
    error_type = "internal_error"
