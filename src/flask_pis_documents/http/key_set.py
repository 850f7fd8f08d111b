"""Token keys from a JWKS URL, through flask-jwt-extended's decode key loader."""
from __future__ import annotations

from typing import Any

import jwt
from flask import Flask

from ..config import PisDocumentsConfig
from ..exceptions import ConfigurationError, DependencyUnavailable

KEY_SET = "token key set"


def use_key_set(app: Flask, manager: Any, config: PisDocumentsConfig) -> None:
    """Verify tokens with the keys at ``PIS_DOCUMENTS_JWKS_URL`` (cached).

    A token whose ``kid`` is not in the set is invalid (401); a key set that
    cannot be fetched is a dependency failure (503).

    :raise ConfigurationError: a symmetric algorithm is allowed, or the host's
        manager already has a decode key loader of its own.
    """
    algorithms = app.config.get("JWT_DECODE_ALGORITHMS") or [app.config.get("JWT_ALGORITHM", "HS256")]
    if isinstance(algorithms, str):
        algorithms = [algorithms]
    if any(str(a).upper().startswith("HS") or str(a).lower() == "none" for a in algorithms):
        raise ConfigurationError(
            "JWT_ALGORITHM: PIS_DOCUMENTS_JWKS_URL needs an asymmetric algorithm such as RS256 "
            "(set JWT_ALGORITHM or JWT_DECODE_ALGORITHMS)"
        )
    if getattr(manager, "_decode_key_callback", None) is not _default_decode_key_callback():
        raise ConfigurationError(
            "PIS_DOCUMENTS_JWKS_URL: the app's JWTManager already has a decode_key_loader; "
            "keep one of the two"
        )
    client = jwt.PyJWKClient(
        config.jwks_url or "",
        # The set is cached for `lifespan`; keys are not cached on their own,
        # so a key withdrawn from the set stops verifying when the set expires.
        cache_keys=False,
        lifespan=int(config.jwks_cache_seconds),
        timeout=config.jwks_timeout,
    )

    @manager.decode_key_loader
    def decode_key(jwt_header: dict[str, Any], jwt_payload: dict[str, Any]) -> Any:
        try:
            return client.get_signing_key(jwt_header.get("kid") or "").key
        except jwt.PyJWKClientConnectionError:
            raise DependencyUnavailable(KEY_SET) from None
        except jwt.PyJWKClientError as error:
            raise jwt.InvalidTokenError("unknown signing key") from error
        except ValueError:  # the set is not JSON: PyJWT lets JSONDecodeError through
            raise DependencyUnavailable(KEY_SET) from None


def _default_decode_key_callback() -> Any:
    from flask_jwt_extended.default_callbacks import default_decode_key_callback

    return default_decode_key_callback
