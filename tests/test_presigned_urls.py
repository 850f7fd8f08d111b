"""The presigned upload URLs: SigV4, checked by recomputing the signature.

moto's server does not check signatures, the signed content type or expiry,
so a successful PUT through a URL proves nothing about its signature. Each
URL here is verified by recomputing SigV4 for a query-string-signed PUT with
``hashlib``/``hmac`` and the test secret, independently of botocore.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from conftest import bearer, person_record

ACCESS_KEY = "testing"
SECRET_KEY = "testing"
PUBLIC_ENDPOINT = "http://media.example.test:9000"


# --- an independent SigV4 (query string) implementation -------------------

def _sha256(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def sigv4_signature(
    url: str,
    *,
    method: str = "PUT",
    content_type: str = "image/jpeg",
    host: str | None = None,
    secret: str = SECRET_KEY,
) -> str:
    """Recompute the SigV4 signature of a query-string-signed ``url``.

    ``host`` defaults to the URL's own host (with its port, unless the port
    is the scheme's default).
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True)
    params = dict(query)
    if host is None:
        default_port = {"http": 80, "https": 443}[parts.scheme]
        host = parts.hostname or ""
        if parts.port is not None and parts.port != default_port:
            host = f"{host}:{parts.port}"
    canonical_query = "&".join(
        f"{_encode(k)}={_encode(v)}"
        for k, v in sorted(query)
        if k != "X-Amz-Signature"
    )
    canonical_headers = f"content-type:{content_type.strip()}\nhost:{host}\n"
    canonical_request = "\n".join(
        [
            method,
            parts.path or "/",
            canonical_query,
            canonical_headers,
            "content-type;host",
            "UNSIGNED-PAYLOAD",
        ]
    )
    amz_date = params["X-Amz-Date"]
    _, date, region, service, terminator = params["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/{terminator}"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, _sha256(canonical_request)]
    )
    key = _hmac(f"AWS4{secret}".encode("utf-8"), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    key = _hmac(key, terminator)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def query_of(url: str) -> dict[str, str]:
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    params = dict(pairs)
    assert len(params) == len(pairs), "a query parameter appears twice"
    return params


# --- helpers ---------------------------------------------------------------

def offline_person(persons: dict[str, Any], person_id: str = "person-1", types=("PASSPORT",)) -> None:
    persons[person_id] = person_record(
        person_id,
        documents=[{"type": t, "number": f"N{i}"} for i, t in enumerate(types)],
        authentication_methods=[{"type": "OFFLINE"}],
    )


def items(app, token, person_id: str = "person-1") -> list[dict[str, Any]]:
    response = app.test_client().post(
        "/api/pis/documents", headers=bearer(token(app, person_id))
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["data"]


def only_item(app, token, person_id: str = "person-1") -> dict[str, Any]:
    data = items(app, token, person_id)
    assert len(data) == 1, data
    return data[0]


# --- the independent verifier itself -----------------------------------------

def test_the_verifier_agrees_with_a_known_botocore_presign():
    """Guard the guard: the verifier accepts a URL botocore signed, and only it."""
    import boto3
    from botocore.config import Config

    client = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
    ).client(
        "s3",
        region_name="eu-west-3",
        endpoint_url="http://store.example.test:7000",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url = client.generate_presigned_url(
        "put_object",
        Params={"Bucket": "b", "Key": "p/x.jpeg", "ContentType": "image/jpeg"},
        ExpiresIn=60,
        HttpMethod="PUT",
    )
    signature = query_of(url)["X-Amz-Signature"]
    assert sigv4_signature(url) == signature
    assert sigv4_signature(url, secret="other") != signature


# --- the URL's shape ---------------------------------------------------------

def test_url_is_sigv4_put_for_the_persons_bucket_and_key(make_app, persons, s3, token):
    offline_person(persons)
    app = make_app()
    item = only_item(app, token)
    assert item["type"] == "person.PASSPORT"
    url = item["url"]
    parts = urlsplit(url)
    assert parts.path == "/persons/person-1/person.PASSPORT.jpeg"
    params = query_of(url)
    assert params["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert params["X-Amz-SignedHeaders"] == "content-type;host"
    assert params["X-Amz-Expires"] == "600"
    access_key, date, region, service, terminator = params["X-Amz-Credential"].split("/")
    assert (access_key, region, service, terminator) == (ACCESS_KEY, "us-east-1", "s3", "aws4_request")
    assert params["X-Amz-Date"][:8] == date
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - signed_at) < timedelta(hours=1)
    assert len(params["X-Amz-Signature"]) == 64
    # The headers the uploader must send are the ones signed.
    assert item["headers"] == {"Content-Type": "image/jpeg"}


def test_signature_verifies_for_put_with_the_signed_content_type_and_host(make_app, persons, s3, token):
    offline_person(persons)
    app = make_app()
    url = only_item(app, token)["url"]
    signature = query_of(url)["X-Amz-Signature"]

    assert sigv4_signature(url) == signature
    # Every signed element matters: another method, content type, host or
    # secret gives another signature.
    assert sigv4_signature(url, method="GET") != signature
    assert sigv4_signature(url, content_type="image/png") != signature
    assert sigv4_signature(url, content_type="application/octet-stream") != signature
    assert sigv4_signature(url, host="evil.example.test") != signature
    assert sigv4_signature(url, host=urlsplit(url).hostname) != signature  # the port is signed too
    assert sigv4_signature(url, secret="not-the-secret") != signature


def test_signature_covers_the_key(make_app, persons, s3, token):
    offline_person(persons, types=("PASSPORT", "TAX_ID"))
    app = make_app()
    first, second = items(app, token)
    assert urlsplit(first["url"]).path == "/persons/person-1/person.PASSPORT.jpeg"
    assert urlsplit(second["url"]).path == "/persons/person-1/person.TAX_ID.jpeg"
    for item in (first, second):
        assert sigv4_signature(item["url"]) == query_of(item["url"])["X-Amz-Signature"]
    # The first URL's query moved onto the second key does not verify.
    moved = second["url"].split("?")[0] + "?" + urlsplit(first["url"]).query
    assert sigv4_signature(moved) != query_of(first["url"])["X-Amz-Signature"]


def test_url_for_a_confidant_document_names_the_key_and_verifies(make_app, persons, s3, token):
    persons["person-1"] = person_record(
        confidant_person=[
            {"person_id": "applicant-1", "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "1"}]}
        ]
    )
    app = make_app(relationship_checker=lambda person_id, confidant_id: "approved")
    response = app.test_client().post(
        "/api/pis/documents", headers=bearer(token(app, applicant="applicant-1"))
    )
    assert response.status_code == 201
    [item] = response.json["data"]
    name = "confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE"
    assert item["type"] == name
    assert urlsplit(item["url"]).path == f"/persons/person-1/{name}.jpeg"
    assert sigv4_signature(item["url"]) == query_of(item["url"])["X-Amz-Signature"]


@pytest.mark.parametrize("expires_in", [1, 3600, 604800])
def test_custom_lifetime_is_signed(make_app, persons, s3, token, expires_in):
    offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_URL_EXPIRES_IN": expires_in})
    url = only_item(app, token)["url"]
    params = query_of(url)
    assert params["X-Amz-Expires"] == str(expires_in)
    assert sigv4_signature(url) == params["X-Amz-Signature"]
    # X-Amz-Expires is part of the signed query: changing it breaks the URL.
    tampered = url.replace(f"X-Amz-Expires={expires_in}", f"X-Amz-Expires={expires_in + 1}")
    assert tampered != url
    assert sigv4_signature(tampered) != params["X-Amz-Signature"]


def test_configured_region_is_in_the_credential_scope(make_app, persons, s3, token):
    offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_S3_REGION": "eu-central-1"})
    url = only_item(app, token)["url"]
    params = query_of(url)
    assert params["X-Amz-Credential"].split("/")[2] == "eu-central-1"
    signature = params["X-Amz-Signature"]
    assert sigv4_signature(url) == signature
    other_region = url.replace("%2Feu-central-1%2F", "%2Fus-east-1%2F")
    assert other_region != url
    assert sigv4_signature(other_region) != signature


def test_custom_content_type_is_signed_and_returned(make_app, persons, s3, token, s3_endpoint):
    offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_UPLOAD_CONTENT_TYPE": "image/png"})
    item = only_item(app, token)
    assert item["headers"] == {"Content-Type": "image/png"}
    url = item["url"]
    signature = query_of(url)["X-Amz-Signature"]
    assert query_of(url)["X-Amz-SignedHeaders"] == "content-type;host"
    assert sigv4_signature(url, content_type="image/png") == signature
    assert sigv4_signature(url, content_type="image/jpeg") != signature
    # And the upload with those headers lands, carrying the content type.
    put = requests.put(url, data=b"\x89PNG", headers=item["headers"], timeout=5)
    assert put.status_code == 200
    stored = s3.get_object(Bucket="persons", Key="person-1/person.PASSPORT.jpeg")
    assert stored["ContentType"] == "image/png"
    assert stored["Body"].read() == b"\x89PNG"


# --- a public endpoint ---------------------------------------------------------

def test_public_endpoint_is_the_signed_host(make_app, persons, s3, token, s3_endpoint):
    offline_person(persons, types=("PASSPORT", "TAX_ID"))
    # Already stored: the existence check must reach moto, the server-side endpoint.
    s3.put_object(Bucket="persons", Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL": PUBLIC_ENDPOINT})
    item = only_item(app, token)
    assert item["type"] == "person.PASSPORT"
    url = item["url"]
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_ENDPOINT
    assert parts.path == "/persons/person-1/person.PASSPORT.jpeg"
    signature = query_of(url)["X-Amz-Signature"]
    assert sigv4_signature(url, host="media.example.test:9000") == signature
    # A URL rewritten from the public host to the internal one would not verify.
    internal_host = urlsplit(s3_endpoint).netloc
    assert sigv4_signature(url, host=internal_host) != signature


def test_public_endpoint_does_not_carry_existence_checks(make_app, persons, s3, token):
    """With the public host unreachable, a 201 shows the checks went to moto."""
    offline_person(persons, types=("PASSPORT",))
    s3.put_object(Bucket="person-requests", Key="person-1/person.PASSPORT.jpeg", Body=b"x")
    for mode in ("list", "head"):
        app = make_app(
            {
                "PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL": PUBLIC_ENDPOINT,
                "PIS_DOCUMENTS_EXISTENCE_CHECK": mode,
            }
        )
        assert items(app, token) == [], mode
