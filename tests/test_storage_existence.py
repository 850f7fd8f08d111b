"""Which required documents already exist, against moto's real S3 server."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from conftest import BUCKETS, bearer, person_record

MODES = ["list", "head"]


def offline_person(persons: dict[str, Any], person_id: str = "person-1", types=("PASSPORT", "TAX_ID")) -> None:
    """A person whose OFFLINE method asks for ``person.{type}`` of each document."""
    persons[person_id] = person_record(
        person_id,
        documents=[{"type": t, "number": f"N{i}"} for i, t in enumerate(types)],
        authentication_methods=[{"type": "OFFLINE"}],
    )


def post(app, token, person_id: str = "person-1"):
    return app.test_client().post("/api/pis/documents", headers=bearer(token(app, person_id)))


def asked(app, token, person_id: str = "person-1") -> list[str]:
    response = post(app, token, person_id)
    assert response.status_code == 201, response.get_data(as_text=True)
    return [item["type"] for item in response.json["data"]]


def upload(item: dict[str, Any], body: bytes = b"\xff\xd8\xff\xe0jpeg") -> None:
    """PUT ``body`` through a returned URL with exactly the returned headers."""
    response = requests.put(item["url"], data=body, headers=item["headers"], timeout=5)
    assert response.status_code == 200, response.text


def keys(s3, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


@pytest.fixture(params=MODES)
def mode(request) -> str:
    return request.param


def test_nothing_stored_asks_for_every_document(make_app, persons, s3, token, mode):
    offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    assert asked(app, token) == ["person.PASSPORT", "person.TAX_ID"]


@pytest.mark.parametrize("bucket", list(BUCKETS.values()))
def test_object_in_any_of_the_three_buckets_is_not_asked_for(make_app, persons, s3, token, mode, bucket):
    offline_person(persons)
    s3.put_object(Bucket=bucket, Key="person-1/person.PASSPORT.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    assert asked(app, token) == ["person.TAX_ID"]


def test_documents_spread_over_the_three_buckets_are_all_found(make_app, persons, s3, token, mode):
    offline_person(persons, types=("PASSPORT", "TAX_ID", "BIRTH_CERTIFICATE", "NATIONAL_ID"))
    s3.put_object(Bucket="persons", Key="person-1/person.PASSPORT.jpeg", Body=b"x")
    s3.put_object(Bucket="person-requests", Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    s3.put_object(Bucket="authentication-method-requests", Key="person-1/person.NATIONAL_ID.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    assert asked(app, token) == ["person.BIRTH_CERTIFICATE"]


@pytest.mark.parametrize(
    "key",
    [
        "person-2/person.PASSPORT.jpeg",  # another person
        "person-10/person.PASSPORT.jpeg",  # a person whose id starts with ours
        "person-/person.PASSPORT.jpeg",
        "PERSON-1/person.PASSPORT.jpeg",  # keys are case-sensitive
        "person-1/person.PASSPORT.png",  # another name
        "person-1/person.PASSPORT",
        "person-1/person.PASSPORT.jpeg.part",
        "person-1/person.PASSPORTX.jpeg",
        "person-1/PERSON.PASSPORT.jpeg",
        "person-1/sub/person.PASSPORT.jpeg",
        "x/person-1/person.PASSPORT.jpeg",
        "person-1person.PASSPORT.jpeg",
    ],
)
def test_object_under_another_prefix_or_name_does_not_count(make_app, persons, s3, token, mode, key):
    offline_person(persons)
    persons["person-2"] = person_record("person-2")
    for bucket in BUCKETS.values():
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    assert asked(app, token) == ["person.PASSPORT", "person.TAX_ID"]


def test_another_persons_documents_do_not_count(make_app, persons, s3, token, mode):
    offline_person(persons, "person-1")
    offline_person(persons, "person-2")
    s3.put_object(Bucket="persons", Key="person-2/person.PASSPORT.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    assert asked(app, token, "person-1") == ["person.PASSPORT", "person.TAX_ID"]
    assert asked(app, token, "person-2") == ["person.TAX_ID"]


def test_uploaded_file_lands_at_the_key_and_is_not_asked_again(make_app, persons, s3, token, mode):
    offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode})
    response = post(app, token)
    assert response.status_code == 201
    first, second = response.json["data"]
    assert first["type"] == "person.PASSPORT"

    body = b"\xff\xd8\xff\xe0 one page"
    upload(first, body)
    stored = s3.get_object(Bucket="persons", Key="person-1/person.PASSPORT.jpeg")
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "image/jpeg"
    assert keys(s3, "persons") == ["person-1/person.PASSPORT.jpeg"]
    assert keys(s3, "person-requests") == [] and keys(s3, "authentication-method-requests") == []

    assert asked(app, token) == ["person.TAX_ID"]
    upload(second)
    assert asked(app, token) == []


# --- custom object keys ---------------------------------------------------------

@pytest.mark.parametrize("bucket", list(BUCKETS.values()))
def test_custom_object_key_string_is_honoured(make_app, persons, s3, token, mode, bucket):
    template = "docs/{person_id}/{name}.jpg"
    offline_person(persons, types=("PASSPORT", "TAX_ID", "NATIONAL_ID"))
    s3.put_object(Bucket=bucket, Key="docs/person-1/person.PASSPORT.jpg", Body=b"x")
    # Under the default template: no longer a match.
    s3.put_object(Bucket=bucket, Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode, "PIS_DOCUMENTS_OBJECT_KEY": template})

    response = post(app, token)
    assert response.status_code == 201
    data = response.json["data"]
    assert [d["type"] for d in data] == ["person.TAX_ID", "person.NATIONAL_ID"]
    assert urlsplit(data[0]["url"]).path == "/persons/docs/person-1/person.TAX_ID.jpg"

    upload(data[0], b"tax")
    assert s3.get_object(Bucket="persons", Key="docs/person-1/person.TAX_ID.jpg")["Body"].read() == b"tax"
    assert asked(app, token) == ["person.NATIONAL_ID"]


def test_custom_object_key_mapping_per_storage(make_app, persons, s3, token, mode):
    templates = {
        "persons": "uploads/{person_id}/{name}.jpeg",
        "person_requests": "requests/{person_id}/{name}",
        "authentication_method_requests": "{person_id}-{name}.jpg",
    }
    offline_person(persons, types=("PASSPORT", "TAX_ID", "NATIONAL_ID", "BIRTH_CERTIFICATE", "VISA"))
    s3.put_object(Bucket="persons", Key="uploads/person-1/person.PASSPORT.jpeg", Body=b"x")
    s3.put_object(Bucket="person-requests", Key="requests/person-1/person.TAX_ID", Body=b"x")
    s3.put_object(Bucket="authentication-method-requests", Key="person-1-person.NATIONAL_ID.jpg", Body=b"x")
    # Each storage's own template only: another storage's key or the default does not count.
    s3.put_object(Bucket="persons", Key="requests/person-1/person.BIRTH_CERTIFICATE", Body=b"x")
    s3.put_object(Bucket="person-requests", Key="person-1/person.BIRTH_CERTIFICATE.jpeg", Body=b"x")
    s3.put_object(Bucket="authentication-method-requests", Key="uploads/person-1/person.VISA.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode, "PIS_DOCUMENTS_OBJECT_KEY": templates})

    response = post(app, token)
    assert response.status_code == 201
    data = response.json["data"]
    assert [d["type"] for d in data] == ["person.BIRTH_CERTIFICATE", "person.VISA"]
    assert urlsplit(data[0]["url"]).path == "/persons/uploads/person-1/person.BIRTH_CERTIFICATE.jpeg"

    upload(data[1], b"visa")
    assert s3.get_object(Bucket="persons", Key="uploads/person-1/person.VISA.jpeg")["Body"].read() == b"visa"
    assert asked(app, token) == ["person.BIRTH_CERTIFICATE"]


def test_object_key_mapping_with_a_storage_left_out_uses_the_default(make_app, persons, s3, token, mode):
    offline_person(persons)
    s3.put_object(Bucket="person-requests", Key="req/person-1/person.PASSPORT.jpeg", Body=b"x")
    s3.put_object(Bucket="authentication-method-requests", Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    app = make_app(
        {
            "PIS_DOCUMENTS_EXISTENCE_CHECK": mode,
            "PIS_DOCUMENTS_OBJECT_KEY": {"person_requests": "req/{person_id}/{name}.jpeg"},
        }
    )
    assert asked(app, token) == []


# --- custom buckets ---------------------------------------------------------------

CUSTOM_BUCKETS = {
    "persons": "media-persons",
    "person_requests": "media-person-requests",
    "authentication_method_requests": "media-auth-requests",
}


def test_custom_buckets_are_checked_and_signed(make_app, persons, s3, token, mode):
    for bucket in CUSTOM_BUCKETS.values():
        s3.create_bucket(Bucket=bucket)
    offline_person(persons, types=("PASSPORT", "TAX_ID", "NATIONAL_ID", "VISA"))
    s3.put_object(Bucket="media-persons", Key="person-1/person.PASSPORT.jpeg", Body=b"x")
    s3.put_object(Bucket="media-person-requests", Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    s3.put_object(Bucket="media-auth-requests", Key="person-1/person.NATIONAL_ID.jpeg", Body=b"x")
    # The default buckets are not the configured storages any more.
    for bucket in BUCKETS.values():
        s3.put_object(Bucket=bucket, Key="person-1/person.VISA.jpeg", Body=b"x")
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode, "PIS_DOCUMENTS_BUCKETS": CUSTOM_BUCKETS})

    response = post(app, token)
    assert response.status_code == 201
    [item] = response.json["data"]
    assert item["type"] == "person.VISA"
    assert urlsplit(item["url"]).path == "/media-persons/person-1/person.VISA.jpeg"
    upload(item, b"visa")
    assert s3.get_object(Bucket="media-persons", Key="person-1/person.VISA.jpeg")["Body"].read() == b"visa"
    assert asked(app, token) == []


def test_partial_bucket_mapping_keeps_the_other_defaults(make_app, persons, s3, token, mode):
    s3.create_bucket(Bucket="media-persons")
    offline_person(persons, types=("PASSPORT", "TAX_ID", "NATIONAL_ID"))
    s3.put_object(Bucket="person-requests", Key="person-1/person.PASSPORT.jpeg", Body=b"x")
    s3.put_object(Bucket="persons", Key="person-1/person.TAX_ID.jpeg", Body=b"x")  # not a storage now
    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": mode, "PIS_DOCUMENTS_BUCKETS": {"persons": "media-persons"}})

    response = post(app, token)
    assert response.status_code == 201
    data = response.json["data"]
    assert [d["type"] for d in data] == ["person.TAX_ID", "person.NATIONAL_ID"]
    assert all(urlsplit(d["url"]).path.startswith("/media-persons/person-1/") for d in data)


@pytest.mark.parametrize("mode", ["list", "head"])
def test_missing_bucket_is_a_storage_failure(make_app, persons, s3, token, mode):
    offline_person(persons)
    app = make_app(
        {"PIS_DOCUMENTS_EXISTENCE_CHECK": mode, "PIS_DOCUMENTS_BUCKETS": {"person_requests": "no-such-bucket"}}
    )
    response = post(app, token)
    assert response.status_code == 503
    assert response.json["error"]["type"] == "service_unavailable"
    assert "storage" in response.json["error"]["message"]
    assert "no-such-bucket" not in response.get_data(as_text=True)


# --- pagination (list mode) ----------------------------------------------------------

def test_required_object_after_the_first_thousand_keys_is_found(make_app, persons, s3, token):
    offline_person(persons, types=("PASSPORT", "TAX_ID"))
    bucket = "person-requests"
    fillers = [f"person-1/filler-{i:04d}.jpeg" for i in range(1000)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda key: s3.put_object(Bucket=bucket, Key=key, Body=b""), fillers))
    s3.put_object(Bucket=bucket, Key="person-1/person.PASSPORT.jpeg", Body=b"x")

    # The premise: one listing page does not reach it, and it sorts last.
    first_page = s3.list_objects_v2(Bucket=bucket, Prefix="person-1/")
    assert first_page["IsTruncated"] is True
    assert first_page["KeyCount"] == 1000
    everything = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="person-1/")
                  for o in p.get("Contents", [])]
    assert len(everything) == 1001
    assert everything[-1] == "person-1/person.PASSPORT.jpeg"

    app = make_app({"PIS_DOCUMENTS_EXISTENCE_CHECK": "list"})
    assert asked(app, token) == ["person.TAX_ID"]
