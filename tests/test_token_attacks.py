"""Token attacks: each is answered 401 "Invalid access token", never a 500.

The storage is moto's real S3 server; every app also accepts its own valid
token (201), so each 401 is the token's doing.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask_jwt_extended import create_refresh_token

from conftest import SCOPE, SECRET, bearer, person_record
from loopback_servers import access_claims, access_lines, assert_envelope, timed_post

INVALID = "Invalid access token"
AUDIENCE = "pis-documents-api"
ISSUER = "https://auth.example.test"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A compact JWS built by hand: HMAC-SHA256 over the signing input, or no signature."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = b"" if key is None else hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def assert_invalid(app: Any, token: str) -> None:
    response, _ = timed_post(app, bearer(token))
    assert_envelope(response, 401, "access_denied", INVALID)


@pytest.fixture(scope="module")
def rsa_keys() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def private_pem(k: Any) -> str:
        return k.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    return {
        "private": private_pem(key),
        "public": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
        "other_private": private_pem(other),
    }


@pytest.fixture
def hs_app(make_app, persons, s3):
    persons["person-1"] = person_record()
    return make_app()


@pytest.fixture
def rs_app(make_app, persons, s3, rsa_keys):
    persons["person-1"] = person_record()
    return make_app(
        {
            "JWT_SECRET_KEY": None,
            "JWT_ALGORITHM": "RS256",
            "JWT_PUBLIC_KEY": rsa_keys["public"],
            "JWT_PRIVATE_KEY": rsa_keys["private"],
        }
    )


def test_controls_accept_valid_tokens(hs_app, rs_app, token, rsa_keys):
    for app in (hs_app, rs_app):
        response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.json["data"] == []
    rs_token = jwt.encode(access_claims(), rsa_keys["private"], algorithm="RS256")
    assert rs_app.test_client().post("/api/pis/documents", headers=bearer(rs_token)).status_code == 201


# --- alg none -----------------------------------------------------------------

@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none(hs_app, alg):
    assert_invalid(hs_app, hand_signed({"alg": alg, "typ": "JWT"}, access_claims(), None))


def test_alg_none_through_pyjwt(hs_app, rs_app):
    for app in (hs_app, rs_app):
        assert_invalid(app, jwt.encode(access_claims(), None, algorithm="none"))


def test_alg_none_with_a_valid_hs256_signature_attached(hs_app):
    """A real HS256 signature under an alg-none header."""
    header = {"alg": "none", "typ": "JWT"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(access_claims()).encode())}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    assert_invalid(hs_app, f"{signing_input}.{b64url(signature)}")


# --- algorithm confusion: HS256 signed with the RS256 public key ----------------

def confused_tokens(public_pem: str) -> list[str]:
    """HS256 tokens whose HMAC secret is the RSA public key, in the usual spellings."""
    claims = access_claims()
    header = {"alg": "HS256", "typ": "JWT"}
    secrets = {public_pem.encode(), public_pem.strip().encode(), (public_pem.strip() + "\n").encode()}
    return [hand_signed(header, claims, secret) for secret in sorted(secrets)]


def test_pyjwt_refuses_to_sign_hs256_with_a_pem_key(rsa_keys):
    """Why the attack tokens are built by hand."""
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode(access_claims(), rsa_keys["public"], algorithm="HS256")


def test_hs256_signed_with_the_rs256_public_key(rs_app, rsa_keys):
    for attack in confused_tokens(rsa_keys["public"]):
        assert_invalid(rs_app, attack)


def test_hs256_with_the_public_key_when_the_host_also_allows_hs256(make_app, persons, s3, rsa_keys, token):
    """With HS256 among the decode algorithms PyJWT raises InvalidKeyError: still 401, not 500."""
    persons["person-1"] = person_record()
    app = make_app(
        {
            "JWT_SECRET_KEY": None,
            "JWT_ALGORITHM": "RS256",
            "JWT_DECODE_ALGORITHMS": ["RS256", "HS256"],
            "JWT_PUBLIC_KEY": rsa_keys["public"],
            "JWT_PRIVATE_KEY": rsa_keys["private"],
        }
    )
    assert app.test_client().post("/api/pis/documents", headers=bearer(token(app))).status_code == 201
    for attack in confused_tokens(rsa_keys["public"]):
        assert_invalid(app, attack)


def test_rs256_signed_by_another_key(rs_app, rsa_keys):
    assert_invalid(rs_app, jwt.encode(access_claims(), rsa_keys["other_private"], algorithm="RS256"))


def test_hs256_token_with_the_shared_secret_on_an_rs256_app(rs_app):
    assert_invalid(rs_app, jwt.encode(access_claims(), SECRET, algorithm="HS256"))


# --- time claims --------------------------------------------------------------

def test_expired(hs_app):
    now = int(time.time())
    assert_invalid(hs_app, jwt.encode(access_claims(iat=now - 3600, nbf=now - 3600, exp=now - 60), SECRET))


def test_not_yet_valid(hs_app):
    now = int(time.time())
    assert_invalid(hs_app, jwt.encode(access_claims(nbf=now + 3600, exp=now + 7200), SECRET))


def test_issued_in_the_future(hs_app):
    now = int(time.time())
    assert_invalid(hs_app, jwt.encode(access_claims(iat=now + 3600, exp=now + 7200), SECRET))


@pytest.mark.parametrize("exp", ["tomorrow", None, [1]])
def test_malformed_exp(hs_app, exp):
    assert_invalid(hs_app, jwt.encode(access_claims(exp=exp), SECRET))


# --- audience and issuer, when configured ---------------------------------------

@pytest.fixture
def aud_iss_app(make_app, persons, s3):
    persons["person-1"] = person_record()
    return make_app({"JWT_DECODE_AUDIENCE": AUDIENCE, "JWT_DECODE_ISSUER": ISSUER})


def test_right_audience_and_issuer_are_accepted(aud_iss_app):
    good = jwt.encode(access_claims(aud=AUDIENCE, iss=ISSUER), SECRET)
    response = aud_iss_app.test_client().post("/api/pis/documents", headers=bearer(good))
    assert response.status_code == 201, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "claims, drop",
    [
        ({"aud": "another-api", "iss": ISSUER}, ()),
        ({"aud": [f"{AUDIENCE}-x"], "iss": ISSUER}, ()),
        ({"iss": ISSUER}, ("aud",)),
        ({"aud": AUDIENCE, "iss": "https://evil.example.test"}, ()),
        ({"aud": AUDIENCE}, ("iss",)),
        ({"aud": AUDIENCE, "iss": ISSUER + "/"}, ()),
    ],
    ids=["wrong-aud", "wrong-aud-list", "no-aud", "wrong-iss", "no-iss", "iss-trailing-slash"],
)
def test_wrong_audience_or_issuer(aud_iss_app, claims, drop):
    payload = access_claims(**claims)
    for name in drop:
        payload.pop(name, None)
    assert_invalid(aud_iss_app, jwt.encode(payload, SECRET))


# --- token types ----------------------------------------------------------------

def test_refresh_token(hs_app):
    with hs_app.app_context():
        refresh = create_refresh_token(
            "user-1", additional_claims={"person_id": "person-1", "scope": SCOPE}
        )
    assert_invalid(hs_app, refresh)


def test_crafted_refresh_type(hs_app):
    """A token signed with the right key but typed ``refresh`` by hand."""
    assert_invalid(hs_app, jwt.encode(access_claims(type="refresh"), SECRET))


# --- size -----------------------------------------------------------------------

def test_oversized_garbage_token(hs_app):
    garbage = b64url(b"\x00" * 15_000) + "." + b64url(b"\x01" * 15_000) + "." + b64url(b"\x02" * 256)
    assert len(garbage) > 20_000
    assert_invalid(hs_app, garbage)


def test_oversized_token_with_a_forged_signature(hs_app):
    forged = hand_signed({"alg": "HS256", "typ": "JWT"}, access_claims(padding="x" * 20_000), b"wrong")
    assert_invalid(hs_app, forged)


def test_oversized_validly_signed_token_is_refused_before_decoding(hs_app):
    """20 KB of claims, correctly signed, is over PIS_DOCUMENTS_MAX_TOKEN_BYTES: 401."""
    big = jwt.encode(access_claims(padding="x" * 20_000, roles=["r"] * 500), SECRET)
    assert len(big) > 20_000
    assert_invalid(hs_app, big)


# --- sub and the identity claims --------------------------------------------------

def test_no_sub(hs_app):
    payload = access_claims()
    del payload["sub"]
    assert_invalid(hs_app, jwt.encode(payload, SECRET))


@pytest.mark.parametrize("sub", [123, 1.5, True, None, ["user-1"], {"id": "user-1"}])
def test_non_string_sub(hs_app, sub):
    assert_invalid(hs_app, jwt.encode(access_claims(sub=sub), SECRET))


@pytest.mark.parametrize("person_id", [123, None, "", ["person-1"], {"id": "person-1"}, True])
def test_no_usable_person_id(hs_app, person_id):
    assert_invalid(hs_app, jwt.encode(access_claims(person_id=person_id), SECRET))


def test_no_person_id_claim(hs_app):
    payload = access_claims()
    del payload["person_id"]
    assert_invalid(hs_app, jwt.encode(payload, SECRET))


@pytest.mark.parametrize("applicant", [42, ["parent-1"], {"id": "parent-1"}, False])
def test_non_string_applicant(hs_app, applicant):
    assert_invalid(hs_app, jwt.encode(access_claims(applicant_person_id=applicant), SECRET))


# --- malformed and tampered ---------------------------------------------------------

@pytest.mark.parametrize(
    "value",
    [
        "abc",
        "a.b.c",
        "a.b",
        "....",
        "eyJhbGciOiJIUzI1NiJ9.not-base64!.sig",
        b64url(b"[1,2]") + "." + b64url(b"{}") + ".x",  # header not an object
        b64url(json.dumps({"alg": "HS256"}).encode()) + "." + b64url(b"[]") + ".x",  # payload not an object
        b64url(json.dumps({"alg": "HS256"}).encode()) + "." + b64url(b"\xff\xfe") + ".x",  # not UTF-8
        "\u00e9\u00e9.\u00e9.\u00e9",
    ],
)
def test_malformed(hs_app, value):
    assert_invalid(hs_app, value)


def test_bad_signature(hs_app):
    assert_invalid(hs_app, jwt.encode(access_claims(), SECRET + "-other"))


def test_tampered_payload(hs_app):
    header, _, signature = jwt.encode(access_claims(), SECRET).split(".")
    forged = b64url(json.dumps(access_claims(person_id="person-2")).encode())
    assert_invalid(hs_app, f"{header}.{forged}.{signature}")


def test_every_attack_is_logged_as_a_401_without_the_token(hs_app, caplog):
    """The access line of a rejected token records the 401, never the token."""
    caplog.set_level(logging.DEBUG)
    attack = jwt.encode(access_claims(person_id="secret-person-77"), None, algorithm="none")
    assert_invalid(hs_app, attack)
    lines = access_lines(caplog.records)
    assert [line["status"] for line in lines] == [401]
    assert attack not in caplog.text and "secret-person-77" not in caplog.text
