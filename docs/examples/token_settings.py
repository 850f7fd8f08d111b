"""Token verification settings: pin one asymmetric algorithm.

The extension verifies tokens with flask-jwt-extended. These are plain
``app.config`` mappings; ``tests/test_docs_examples.py`` applies each to an
app and checks that the right tokens pass and the wrong ones get 401.
"""
from __future__ import annotations

from typing import Any


# start-public-key
def rs256_public_key(public_key_pem: str, audience: str, issuer: str) -> dict[str, Any]:
    """Tokens signed by one known RSA key."""
    return {
        "JWT_ALGORITHM": "RS256",
        "JWT_DECODE_ALGORITHMS": ["RS256"],  # never a list that also holds HS256
        "JWT_PUBLIC_KEY": public_key_pem,
        "JWT_DECODE_AUDIENCE": audience,
        "JWT_DECODE_ISSUER": issuer,
    }
# end-public-key


# start-jwks
def rs256_key_set(jwks_url: str, audience: str, issuer: str) -> dict[str, Any]:
    """Tokens signed by any key of the identity provider's key set (by ``kid``)."""
    return {
        "JWT_ALGORITHM": "RS256",
        "JWT_DECODE_ALGORITHMS": ["RS256"],
        "PIS_DOCUMENTS_JWKS_URL": jwks_url,
        "PIS_DOCUMENTS_JWKS_TIMEOUT": 3,          # seconds; a fetch failure answers 503
        "PIS_DOCUMENTS_JWKS_CACHE_SECONDS": 300,  # keys are refetched after this
        "JWT_DECODE_AUDIENCE": audience,
        "JWT_DECODE_ISSUER": issuer,
    }
# end-jwks


# start-scope
# A deployment whose identity provider names things differently.
CUSTOM_CLAIMS = {
    "PIS_DOCUMENTS_PERSON_ID_CLAIM": "mpi_person_id",
    "PIS_DOCUMENTS_APPLICANT_PERSON_ID_CLAIM": "actor_person_id",
    "PIS_DOCUMENTS_SCOPE_CLAIM": "scp",             # a list or a space-separated string
    "PIS_DOCUMENTS_SCOPE": "person_documents:write_pis",
}
# end-scope
