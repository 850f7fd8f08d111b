"""Token keys from PIS_DOCUMENTS_JWKS_URL, served by a local HTTP server.

flask-jwt-extended's decode key loader asks PyJWT's PyJWKClient, which
fetches the key set with urllib (so ``responses`` could not stand in); the
server here is a real ``http.server`` on 127.0.0.1 that counts its GETs.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask_jwt_extended import JWTManager

from conftest import SECRET, bearer, person_record
from flask_pis_documents import ConfigurationError, PisDocuments
from loopback_servers import (
    HOST,
    LoopbackHttpServer,
    Reply,
    Seen,
    SilentServer,
    access_claims,
    access_lines,
    assert_envelope,
    assert_unavailable,
    closed_port,
    new_request_id,
    timed_post,
)

KID = "key-2026-01"
TIMEOUT = 0.5
BOUND = TIMEOUT * 2 + 1.5


def new_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def jwk(key: Any, kid: str) -> dict[str, Any]:
    entry = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**entry, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture(scope="module")
def signing_key() -> Any:
    return new_key()


@pytest.fixture(scope="module")
def other_key() -> Any:
    return new_key()


class KeySet:
    """What the key set server serves; tests change ``keys`` to rotate."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys = keys
        self.reply: Reply | None = None  # overrides the key set when set

    def __call__(self, seen: Seen) -> Reply:
        if seen.path != "/.well-known/jwks.json":
            return Reply(404, {"error": "not found"})
        return self.reply or Reply(200, {"keys": list(self.keys)})


@pytest.fixture
def key_set(signing_key) -> KeySet:
    return KeySet([jwk(signing_key, KID)])


@pytest.fixture
def jwks_server(key_set) -> Iterator[LoopbackHttpServer]:
    with LoopbackHttpServer(key_set) as server:
        yield server


def gets(server: LoopbackHttpServer) -> int:
    return sum(1 for r in server.requests if r.method == "GET")


def jwks_config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "PIS_DOCUMENTS_JWKS_URL": url,
        "PIS_DOCUMENTS_JWKS_TIMEOUT": TIMEOUT,
        "JWT_ALGORITHM": "RS256",
        "JWT_SECRET_KEY": None,
        **extra,
    }


@pytest.fixture
def jwks_app(make_app, persons, s3, jwks_server) -> Flask:
    persons["person-1"] = person_record()
    return make_app(jwks_config(f"{jwks_server.url}/.well-known/jwks.json"))


def signed(key: Any, kid: str | None = KID, **claims: Any) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(access_claims(**claims), pem(key), algorithm="RS256", headers=headers)


def post(app: Flask, token: str) -> Any:
    return app.test_client().post("/api/pis/documents", headers=bearer(token))


def assert_invalid(app: Flask, token: str) -> None:
    assert_envelope(post(app, token), 401, "access_denied", "Invalid access token")


def test_token_signed_with_a_key_of_the_set(jwks_app, jwks_server, signing_key):
    response = post(jwks_app, signed(signing_key))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["data"] == []
    assert [r.path for r in jwks_server.requests] == ["/.well-known/jwks.json"]


def test_the_key_set_is_fetched_once_and_cached(jwks_app, jwks_server, signing_key, other_key):
    for _ in range(5):
        assert post(jwks_app, signed(signing_key)).status_code == 201
    assert gets(jwks_server) == 1
    # Rejections in between do not refetch the set either.
    assert_invalid(jwks_app, signed(other_key))  # the right kid, the wrong key
    assert post(jwks_app, signed(signing_key)).status_code == 201
    assert gets(jwks_server) == 1


def test_unknown_kid(jwks_app, jwks_server, signing_key, other_key):
    assert_invalid(jwks_app, signed(other_key, kid="not-in-the-set"))
    assert_invalid(jwks_app, signed(signing_key, kid="not-in-the-set"))
    assert gets(jwks_server) >= 1  # the set was consulted


def test_no_kid(jwks_app, signing_key):
    assert_invalid(jwks_app, signed(signing_key, kid=None))


@pytest.mark.parametrize("kid", ["", "../../etc/passwd", "x" * 5000, "\u00e9"])
def test_odd_kids(jwks_app, signing_key, kid):
    assert_invalid(jwks_app, signed(signing_key, kid=kid))


def test_wrong_key_under_a_known_kid(jwks_app, other_key):
    assert_invalid(jwks_app, signed(other_key))


def test_hs256_token_on_a_jwks_app(jwks_app):
    """Algorithm confusion: HS256 is not allowed, whatever key it was made with."""
    token = jwt.encode(access_claims(), SECRET, algorithm="HS256", headers={"kid": KID})
    assert_invalid(jwks_app, token)


def test_alg_none_on_a_jwks_app(jwks_app):
    assert_invalid(jwks_app, jwt.encode(access_claims(), None, algorithm="none", headers={"kid": KID}))


def test_expired_token_from_the_set(jwks_app, signing_key):
    now = int(time.time())
    assert_invalid(jwks_app, signed(signing_key, iat=now - 3600, nbf=now - 3600, exp=now - 5))


def test_rotated_key_is_picked_up_after_the_cache_lifespan(make_app, persons, s3, key_set, jwks_server, signing_key, other_key):
    persons["person-1"] = person_record()
    app = make_app(
        jwks_config(f"{jwks_server.url}/.well-known/jwks.json", PIS_DOCUMENTS_JWKS_CACHE_SECONDS=1)
    )
    assert post(app, signed(signing_key)).status_code == 201
    key_set.keys = [jwk(signing_key, KID), jwk(other_key, "key-2026-02")]
    time.sleep(1.3)
    response = post(app, signed(other_key, kid="key-2026-02"))
    assert response.status_code == 201, response.get_data(as_text=True)


def test_key_removed_from_the_set_is_refused_after_the_cache_lifespan(
    make_app, persons, s3, key_set, jwks_server, signing_key, other_key
):
    """A key the issuer withdrew (for example a leaked one) stops working once the cache expires."""
    persons["person-1"] = person_record()
    app = make_app(
        jwks_config(f"{jwks_server.url}/.well-known/jwks.json", PIS_DOCUMENTS_JWKS_CACHE_SECONDS=1)
    )
    assert post(app, signed(signing_key)).status_code == 201
    key_set.keys = [jwk(other_key, "key-2026-02")]
    time.sleep(1.3)
    assert post(app, signed(other_key, kid="key-2026-02")).status_code == 201  # the new set is in use
    assert_invalid(app, signed(signing_key))


# --- the key set server failing -------------------------------------------------------

def assert_key_set_unavailable(app: Flask, token: str, caplog: Any, *secrets: str) -> None:
    caplog.set_level(logging.INFO)
    request_id = new_request_id()
    response, seconds = timed_post(app, {**bearer(token), "x-request-id": request_id})
    assert seconds < BOUND, seconds
    body = assert_unavailable(response, "key set", secrets=(*secrets, "jwks", "well-known"))
    assert body["meta"]["request_id"] == request_id
    lines = [line for line in access_lines(caplog.records) if line["request_id"] == request_id]
    assert len(lines) == 1 and lines[0]["status"] == 503
    assert "key set" in lines[0]["dependency_failed"]


def test_key_set_server_down(make_app, persons, s3, signing_key, caplog):
    persons["person-1"] = person_record()
    port = closed_port()
    app = make_app(jwks_config(f"http://{HOST}:{port}/.well-known/jwks.json"))
    assert_key_set_unavailable(app, signed(signing_key), caplog, f":{port}")


def test_key_set_server_never_answers(make_app, persons, s3, signing_key, caplog):
    persons["person-1"] = person_record()
    with SilentServer() as server:
        app = make_app(jwks_config(f"{server.url}/.well-known/jwks.json"))
        assert_key_set_unavailable(app, signed(signing_key), caplog, f":{server.port}")
        assert server.accepted >= 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, {"error": "idp broken at idp-internal.example"}),
        Reply(200, "<html>idp-internal.example maintenance</html>", {"Content-Type": "text/html"}),
        Reply(200, '{"keys": [', {"Content-Type": "application/json"}),
    ],
    ids=["500", "200-html", "200-truncated-json"],
)
def test_key_set_server_answers_garbage(make_app, persons, s3, key_set, jwks_server, signing_key, caplog, reply):
    """A key set that cannot be read is the key set failing: 503, not 500."""
    persons["person-1"] = person_record()
    key_set.reply = reply
    app = make_app(jwks_config(f"{jwks_server.url}/.well-known/jwks.json"))
    assert_key_set_unavailable(app, signed(signing_key), caplog, f":{jwks_server.port}", "idp-internal")


def test_key_set_outage_after_caching_keeps_working(jwks_app, jwks_server, key_set, signing_key):
    """Once fetched, the keys serve while the server is down (within the cache lifespan)."""
    assert post(jwks_app, signed(signing_key)).status_code == 201
    key_set.reply = Reply(500, {"error": "down"})
    assert post(jwks_app, signed(signing_key)).status_code == 201


# --- configuration ----------------------------------------------------------------

def host_app(config: dict[str, Any]) -> Flask:
    app = Flask("jwks_host")
    app.config.update(
        TESTING=True,
        PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL="http://relationships.test/check",
        **config,
    )
    return app


def test_host_manager_with_its_own_decode_key_loader_conflicts(signing_key):
    app = host_app(jwks_config("http://127.0.0.1:9/jwks.json"))
    manager = JWTManager(app)

    @manager.decode_key_loader
    def host_keys(header: dict[str, Any], payload: dict[str, Any]) -> str:
        return "host key"

    with pytest.raises(ConfigurationError, match="PIS_DOCUMENTS_JWKS_URL"):
        PisDocuments(app, person_loader=lambda person_id: None)
    assert app.extensions["flask-jwt-extended"] is manager
    assert manager._decode_key_callback is host_keys  # the host's loader is left alone


@pytest.mark.parametrize(
    "algorithms",
    [
        {"JWT_ALGORITHM": "HS256"},
        {},  # flask-jwt-extended's default, HS256
        {"JWT_ALGORITHM": "RS256", "JWT_DECODE_ALGORITHMS": ["RS256", "HS256"]},
        {"JWT_ALGORITHM": "RS256", "JWT_DECODE_ALGORITHMS": ["HS512"]},
    ],
    ids=["HS256", "default", "RS256+HS256", "HS512"],
)
def test_symmetric_algorithm_with_jwks_is_a_configuration_error(algorithms):
    config = {"PIS_DOCUMENTS_JWKS_URL": "http://127.0.0.1:9/jwks.json", "JWT_SECRET_KEY": SECRET}
    config.update(algorithms)
    with pytest.raises(ConfigurationError, match="JWT_ALGORITHM"):
        PisDocuments(host_app(config), person_loader=lambda person_id: None)


def test_host_manager_without_a_loader_is_reused(s3, s3_endpoint, jwks_server, signing_key):
    app = host_app(
        {
            **jwks_config(f"{jwks_server.url}/.well-known/jwks.json"),
            "PIS_DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint,
        }
    )
    manager = JWTManager(app)
    PisDocuments(app, person_loader=lambda person_id: person_record(person_id))
    assert app.extensions["flask-jwt-extended"] is manager
    assert post(app, signed(signing_key)).status_code == 201
    assert_invalid(app, signed(signing_key, kid="unknown"))
