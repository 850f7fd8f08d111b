"""A bad configuration value fails at ``init_app``, naming the key; good ones take effect."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from conftest import SECRET, bearer, person_record
from flask_pis_documents import ConfigurationError, PisDocuments
from http_helpers import URL, MemoryStorage, Recorder, raw_token

PARAMS = {"no_self_auth_age": 14, "no_self_registration_age": 14,
          "person_full_legal_capacity_age": 18}

BAD = [
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", 0),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", 604801),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", "abc"),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", -1),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", 1.5),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", True),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", None),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", "604801"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{person_id}/document.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{name}.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{person_id}/{name}/{storage}.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{person_id}/{name}/{name}.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{person_id/{name}.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", "{0}/{name}.jpeg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", 42),
    ("PIS_DOCUMENTS_OBJECT_KEY", {"archive": "{person_id}/{name}.jpeg"}),
    ("PIS_DOCUMENTS_OBJECT_KEY", {"persons": "{name}.jpeg"}),
    ("PIS_DOCUMENTS_OBJECT_KEY", {"persons": 7}),
    ("PIS_DOCUMENTS_BUCKETS", {"archive": "archive"}),
    ("PIS_DOCUMENTS_BUCKETS", {"persons": ""}),
    ("PIS_DOCUMENTS_BUCKETS", {"persons": 5}),
    ("PIS_DOCUMENTS_BUCKETS", "persons"),
    ("PIS_DOCUMENTS_TIMEZONE", "Mars/Olympus_Mons"),
    ("PIS_DOCUMENTS_TIMEZONE", ""),
    ("PIS_DOCUMENTS_TIMEZONE", 3),
    ("PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES", ["approved", "maybe"]),
    ("PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES", "approved,maybe"),
    ("PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES", 1),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_auth_age": "abc"}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "person_full_legal_capacity_age": None}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_registration_age": 14.5}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_registration_age": "14.5"}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_auth_age": True}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_auth_age": -1}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {"no_self_auth_age": 14}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", [14, 14, 18]),
    ("PIS_DOCUMENTS_EXISTENCE_CHECK", "x"),
    ("PIS_DOCUMENTS_EXISTENCE_CHECK", None),
    ("PIS_DOCUMENTS_URL_PREFIX", "api/pis"),
    ("PIS_DOCUMENTS_URL_PREFIX", ""),
    ("PIS_DOCUMENTS_SCOPE", ""),
    ("PIS_DOCUMENTS_SCOPE", ["person_documents:write_pis"]),
    ("PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT", "soon"),
    ("PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT", 0),
    ("PIS_DOCUMENTS_STORAGE_TIMEOUT", -3),
    ("PIS_DOCUMENTS_UPLOAD_CONTENT_TYPE", ""),
    ("PIS_DOCUMENTS_S3_REGION", ""),
    ("PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES", 42),
    ("PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES", ["MARRIAGE_CERTIFICATE", 7]),
    ("PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL", ""),
    ("PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL", 5),
    ("PIS_DOCUMENTS_S3_ENDPOINT_URL", 5),
    ("PIS_DOCUMENTS_OPENAPI_URL_PREFIX", 5),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS_TTL", "abc"),
    ("PIS_DOCUMENTS_MAX_WORKERS", 0),
]

# Values of the right type that can never work: boto3 or requests reject them on every
# call, so they are bad configuration values too and must fail at init_app, not as a
# 503 on each request.
UNUSABLE = [
    ("PIS_DOCUMENTS_S3_ENDPOINT_URL", "localhost:9000"),
    ("PIS_DOCUMENTS_S3_PUBLIC_ENDPOINT_URL", "minio.example.com"),
    ("PIS_DOCUMENTS_S3_REGION", "not a region!"),
    ("PIS_DOCUMENTS_BUCKETS", {"persons": "Bad Bucket!"}),
    ("PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL", "relationships/check"),
]


@pytest.mark.parametrize("key, value", BAD, ids=[f"{k}={v!r}" for k, v in BAD])
def test_bad_value_fails_at_init_app_naming_the_key(make_app, key, value):
    with pytest.raises(ConfigurationError) as raised:
        make_app({key: value}, storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    assert key in str(raised.value)


@pytest.mark.parametrize("key, value", UNUSABLE, ids=[f"{k}={v!r}" for k, v in UNUSABLE])
def test_unusable_value_fails_at_init_app_naming_the_key(make_app, key, value):
    hooks: dict[str, Any] = {}
    if key != "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL":
        hooks["relationship_checker"] = Recorder("approved")
    with pytest.raises(ConfigurationError) as raised:
        make_app({key: value}, **hooks)
    assert key in str(raised.value)


@pytest.mark.parametrize("url", [None, ""], ids=["unset", "empty"])
def test_relationship_check_url_required_without_a_checker(make_app, url):
    with pytest.raises(ConfigurationError, match="PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL"):
        make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": url}, storage=MemoryStorage())


def test_relationship_check_url_not_required_with_a_checker(make_app, persons):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": None}, storage=MemoryStorage(),
                   relationship_checker=Recorder("approved"))
    assert app.test_client().post(URL, headers=bearer(raw_token())).status_code == 201


def test_failed_init_app_leaves_nothing_behind(persons):
    persons["person-1"] = person_record()
    app = Flask("host")
    app.config.update(TESTING=True, JWT_SECRET_KEY=SECRET, PIS_DOCUMENTS_URL_EXPIRES_IN=0)
    pis = PisDocuments(person_loader=persons.get, relationship_checker=Recorder("approved"),
                       storage=MemoryStorage())
    with pytest.raises(ConfigurationError, match="PIS_DOCUMENTS_URL_EXPIRES_IN"):
        pis.init_app(app)
    assert "pis-documents" not in app.extensions
    app.config["PIS_DOCUMENTS_URL_EXPIRES_IN"] = 600
    pis.init_app(app)
    assert app.test_client().post(URL, headers=bearer(raw_token())).status_code == 201


GOOD = [
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", "600"),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", 1),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", 604800),
    ("PIS_DOCUMENTS_URL_EXPIRES_IN", "604800"),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {"no_self_auth_age": "14", "no_self_registration_age": "14",
                                         "person_full_legal_capacity_age": "18"}),
    ("PIS_DOCUMENTS_GLOBAL_PARAMETERS", {**PARAMS, "no_self_auth_age": " 14 "}),
    ("PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES", "approved"),
    ("PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES", ["approved", "not_approved", "not_found"]),
    ("PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT", "2.5"),
    ("PIS_DOCUMENTS_TIMEZONE", "UTC"),
    ("PIS_DOCUMENTS_BUCKETS", {"persons": "my-persons"}),
    ("PIS_DOCUMENTS_OBJECT_KEY", "documents/{person_id}/{name}.jpg"),
    ("PIS_DOCUMENTS_OBJECT_KEY", {"person_requests": "requests/{person_id}/{name}.jpeg"}),
    ("PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES", "MARRIAGE_CERTIFICATE, DIVORCE_CERTIFICATE"),
]


@pytest.mark.parametrize("key, value", GOOD, ids=[f"{k}={v!r}" for k, v in GOOD])
def test_good_value_is_accepted(make_app, persons, key, value):
    persons["person-1"] = person_record()
    app = make_app({key: value}, storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    assert app.test_client().post(URL, headers=bearer(raw_token())).status_code == 201


def test_name_after_person_id_needs_the_head_check(make_app):
    template = "{name}/{person_id}.jpeg"
    with pytest.raises(ConfigurationError, match="PIS_DOCUMENTS_OBJECT_KEY"):
        make_app({"PIS_DOCUMENTS_OBJECT_KEY": template}, storage=MemoryStorage(),
                 relationship_checker=Recorder("approved"))
    make_app({"PIS_DOCUMENTS_OBJECT_KEY": template, "PIS_DOCUMENTS_EXISTENCE_CHECK": "head"},
             storage=MemoryStorage(), relationship_checker=Recorder("approved"))


# String values take effect in requests ------------------------------------------------


def _offline_person(persons: dict[str, Any]) -> None:
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "AA1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )


@pytest.mark.parametrize("value, seconds", [("600", "600"), ("3600", "3600"), (" 120 ", "120")])
def test_url_expires_in_string_is_used(make_app, persons, s3, value, seconds):
    _offline_person(persons)
    app = make_app({"PIS_DOCUMENTS_URL_EXPIRES_IN": value}, relationship_checker=Recorder("approved"))
    response = app.test_client().post(URL, headers=bearer(raw_token()))
    assert response.status_code == 201
    (item,) = response.json["data"]
    assert parse_qs(urlsplit(item["url"]).query)["X-Amz-Expires"] == [seconds]


def test_object_key_mapping_is_used_for_existence(make_app, persons, s3):
    _offline_person(persons)
    persons["person-1"]["documents"].append({"type": "TAX_ID", "number": "1"})
    s3.put_object(Bucket="person-requests", Key="requests/person-1/person.PASSPORT.jpeg", Body=b"x")
    # Under the default key this object would not count.
    s3.put_object(Bucket="person-requests", Key="person-1/person.TAX_ID.jpeg", Body=b"x")
    app = make_app(
        {"PIS_DOCUMENTS_OBJECT_KEY": {"person_requests": "requests/{person_id}/{name}.jpeg"}},
        relationship_checker=Recorder("approved"),
    )
    response = app.test_client().post(URL, headers=bearer(raw_token()))
    assert response.status_code == 201
    assert [d["type"] for d in response.json["data"]] == ["person.TAX_ID"]
    assert "/persons/person-1/person.TAX_ID.jpeg" in response.json["data"][0]["url"]


def _birth_date_for_age(age: int) -> date:
    """A birth date ``age`` years (and about two months) before today in Kyiv."""
    day = datetime.now(ZoneInfo("Europe/Kyiv")).date() - timedelta(days=60)
    return date(day.year - age, day.month, min(day.day, 28))


def _teen(persons: dict[str, Any], *types: str) -> None:
    persons["person-1"] = person_record(
        birth_date=_birth_date_for_age(16).isoformat(),
        unzr="",
        documents=[{"type": t, "number": str(i)} for i, t in enumerate(types)],
    )


def _required(app: Flask) -> list[str]:
    response = app.test_client().post(URL, headers=bearer(raw_token()))
    assert response.status_code == 201, response.json
    return [d["type"] for d in response.json["data"]]


def test_legal_capacity_types_as_comma_separated_string(make_app, persons):
    _teen(persons, "MARRIAGE_CERTIFICATE", "CUSTOM_DOC", "DIVORCE_CERTIFICATE", "PASSPORT")
    app = make_app({"PIS_PERSON_LEGAL_CAPACITY_DOCUMENT_TYPES": " CUSTOM_DOC,MARRIAGE_CERTIFICATE ,"},
                   storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    assert sorted(_required(app)) == ["person.CUSTOM_DOC", "person.MARRIAGE_CERTIFICATE"]


def test_legal_capacity_types_default(make_app, persons):
    _teen(persons, "MARRIAGE_CERTIFICATE", "CUSTOM_DOC", "DIVORCE_CERTIFICATE", "PASSPORT")
    app = make_app(storage=MemoryStorage(), relationship_checker=Recorder("approved"))
    assert sorted(_required(app)) == ["person.DIVORCE_CERTIFICATE", "person.MARRIAGE_CERTIFICATE"]


@pytest.mark.parametrize(
    "no_self_auth_age, expected",
    [("14", ["person.PERMANENT_RESIDENCE_PERMIT"]), ("16", ["person.PERMANENT_RESIDENCE_PERMIT"]),
     ("17", [])],
)
def test_global_parameters_strings_are_used(make_app, persons, no_self_auth_age, expected):
    _teen(persons, "PERMANENT_RESIDENCE_PERMIT")
    params = {"no_self_auth_age": no_self_auth_age, "no_self_registration_age": "14",
              "person_full_legal_capacity_age": "18"}
    app = make_app({"PIS_DOCUMENTS_GLOBAL_PARAMETERS": params}, storage=MemoryStorage(),
                   relationship_checker=Recorder("approved"))
    assert _required(app) == expected


@pytest.mark.parametrize(
    "statuses, expected",
    [(None, ["confidant_person.person-2.documents_relationship.BIRTH_CERTIFICATE"]),
     ("approved", []), (["approved", "not_approved"],
                        ["confidant_person.person-2.documents_relationship.BIRTH_CERTIFICATE"])],
    ids=["default", "approved-only-string", "list"],
)
def test_relationship_ok_statuses_are_used(make_app, persons, statuses, expected):
    persons["person-1"] = person_record(confidant_person=[{
        "person_id": "person-2",
        "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "1"}],
    }])
    config = {} if statuses is None else {"PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES": statuses}
    app = make_app(config, storage=MemoryStorage(), relationship_checker=Recorder("not_approved"))
    response = app.test_client().post(
        URL, headers=bearer(raw_token({"applicant_person_id": "person-2"}))
    )
    assert response.status_code == 201
    assert [d["type"] for d in response.json["data"]] == expected
