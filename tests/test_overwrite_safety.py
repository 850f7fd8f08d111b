"""PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH: upload URLs that never overwrite a stored object.

With the option, ``If-None-Match: *`` is signed into each presigned PUT and
returned among the item's headers; moto's real S3 server honours it with a
412 when the object exists. moto does not check signatures, so the
signature is recomputed here (SigV4, query string) to show that the header
is part of it: S3 refuses the URL without the header.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

from conftest import bearer, person_record
from flask_pis_documents import ConfigurationError

SECRET_ACCESS_KEY = "testing"  # conftest's fake AWS credentials
KEY = "person-1/person.PASSPORT.jpeg"
FIRST = b"\xff\xd8\xff\xe0 first upload"
SECOND = b"\xff\xd8\xff\xe0 second upload"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def sigv4_query_signature(method: str, url: str, headers: dict[str, str], secret: str = SECRET_ACCESS_KEY) -> str:
    """Recompute the SigV4 signature of a presigned URL for a request with ``headers``."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    signed_headers = query["X-Amz-SignedHeaders"].split(";")
    values = {name.lower(): value for name, value in headers.items()}
    values["host"] = parts.netloc
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(query.items())
        if k != "X-Amz-Signature"
    )
    canonical_headers = "".join(f"{name}:{values.get(name, '').strip()}\n" for name in signed_headers)
    canonical_request = "\n".join(
        [method, parts.path, canonical_query, canonical_headers, ";".join(signed_headers), "UNSIGNED-PAYLOAD"]
    )
    amz_date = query["X-Amz-Date"]
    _, date, region, service, terminal = query["X-Amz-Credential"].split("/")
    scope = f"{date}/{region}/{service}/{terminal}"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, service, terminal):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def signed_headers(url: str) -> list[str]:
    return dict(parse_qsl(urlsplit(url).query))["X-Amz-SignedHeaders"].split(";")


def signature(url: str) -> str:
    return dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]


@pytest.fixture
def offline(persons: dict[str, Any]) -> None:
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "AB123456"}], authentication_methods=[{"type": "OFFLINE"}]
    )


def initialize(app: Any, token: Any) -> list[dict[str, Any]]:
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["data"]


def put(item: dict[str, Any], body: bytes, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.put(item["url"], data=body, headers=item["headers"] if headers is None else headers, timeout=5)


def stored(s3: Any) -> bytes:
    return s3.get_object(Bucket="persons", Key=KEY)["Body"].read()


@pytest.mark.parametrize("flag", [True, "true", "1"])
def test_items_carry_and_sign_if_none_match(make_app, s3, token, offline, flag):
    app = make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": flag})
    [item] = initialize(app, token)
    assert item["type"] == "person.PASSPORT"
    assert item["headers"] == {"Content-Type": "image/jpeg", "If-None-Match": "*"}
    assert sorted(signed_headers(item["url"])) == ["content-type", "host", "if-none-match"]
    # The signature covers exactly these header values ...
    assert sigv4_query_signature("PUT", item["url"], item["headers"]) == signature(item["url"])
    # ... so a PUT without If-None-Match (or with another value) no longer matches it.
    assert sigv4_query_signature("PUT", item["url"], {"Content-Type": "image/jpeg"}) != signature(item["url"])
    assert (
        sigv4_query_signature("PUT", item["url"], {"Content-Type": "image/jpeg", "If-None-Match": '"etag"'})
        != signature(item["url"])
    )


def test_first_put_creates_the_object_and_a_second_gets_412(make_app, s3, token, offline):
    app = make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": True})
    [item] = initialize(app, token)
    first = put(item, FIRST)
    assert first.status_code == 200, first.text
    assert stored(s3) == FIRST
    second = put(item, SECOND)
    assert second.status_code == 412, second.text
    assert stored(s3) == FIRST
    assert initialize(app, token) == []  # stored now: not asked for again


def test_two_uploaders_with_their_own_urls_cannot_overwrite_each_other(make_app, s3, token, offline):
    """Both asked before either uploaded: the first upload wins, the second gets 412."""
    app = make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": True})
    [mine], [theirs] = initialize(app, token), initialize(app, token)
    assert put(mine, FIRST).status_code == 200
    late = put(theirs, SECOND)
    assert late.status_code == 412, late.text
    assert stored(s3) == FIRST


def test_an_object_stored_meanwhile_is_not_overwritten(make_app, s3, token, offline):
    app = make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": True})
    [item] = initialize(app, token)
    s3.put_object(Bucket="persons", Key=KEY, Body=FIRST)  # someone else, after the URL was issued
    assert put(item, SECOND).status_code == 412
    assert stored(s3) == FIRST


def test_without_the_option_no_if_none_match(make_app, s3, token, offline):
    app = make_app()
    [item] = initialize(app, token)
    assert item["headers"] == {"Content-Type": "image/jpeg"}
    assert "If-None-Match" not in item["headers"] and "if-none-match" not in item["url"].lower()
    assert sorted(signed_headers(item["url"])) == ["content-type", "host"]
    assert sigv4_query_signature("PUT", item["url"], item["headers"]) == signature(item["url"])
    # The risk the option removes: a second PUT through the same URL replaces the object.
    assert put(item, FIRST).status_code == 200
    assert put(item, SECOND).status_code == 200
    assert stored(s3) == SECOND


@pytest.mark.parametrize("flag", [False, "false", "0", "off"])
def test_option_off(make_app, s3, token, offline, flag):
    app = make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": flag})
    [item] = initialize(app, token)
    assert item["headers"] == {"Content-Type": "image/jpeg"}


@pytest.mark.parametrize("flag", ["maybe", 2, None, ["true"]])
def test_bad_option_value_fails_at_init(make_app, flag):
    with pytest.raises(ConfigurationError, match="PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH"):
        make_app({"PIS_DOCUMENTS_UPLOAD_IF_NONE_MATCH": flag})
