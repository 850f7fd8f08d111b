"""The contract's error table, row by row, in its order of checks."""
from __future__ import annotations

import threading
import time
import warnings
from typing import Any

import pytest
from flask_jwt_extended import create_refresh_token
from jwt.warnings import InsecureKeyLengthWarning

from conftest import SCOPE, bearer, person_record
from http_helpers import (
    BrokenStorage,
    FailingStorage,
    MemoryStorage,
    Recorder,
    assert_error,
    post,
    raw_token,
)

NO_HEADER = "Authorization header is not set or doesn't contain Bearer token"
INVALID = "Invalid access token"
NOT_FOUND = "Person does not exist or is not active"


def forbidden(scope: str = SCOPE) -> str:
    return f"Your scope does not allow to access this resource. Missing allowances: {scope}"


@pytest.fixture
def checker() -> Recorder:
    return Recorder("approved")


@pytest.fixture
def storage() -> MemoryStorage:
    return MemoryStorage()


@pytest.fixture
def app(make_app, persons, checker, storage):
    persons["person-1"] = person_record()
    return make_app(relationship_checker=checker, storage=storage)


def test_a_valid_request_succeeds(app):
    """The control for every row below: the same app answers 201 to a good token."""
    response = post(app, bearer(raw_token()))
    assert response.status_code == 201
    assert response.json["data"] == []
    assert response.json["meta"]["code"] == 201


def test_a_request_body_is_ignored(app):
    response = app.test_client().post(
        "/api/pis/documents", data="{not json", content_type="application/json",
        headers=bearer(raw_token()),
    )
    assert response.status_code == 201


# Row 1: no `Authorization: Bearer` header -------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "bearer x"},
        {"Authorization": "BEARER x"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearerx.y.z"},
        {"Authorization": "Token abc"},
        {"X-Authorization": "Bearer abc"},
    ],
    ids=["absent", "empty", "basic", "lowercase", "uppercase", "bare-word", "no-space",
         "other-scheme", "other-header"],
)
def test_no_bearer_header(app, headers):
    assert_error(post(app, headers), 401, "access_denied", NO_HEADER)


def test_no_bearer_header_even_with_a_valid_token_under_another_scheme(app):
    headers = {"Authorization": "JWT " + raw_token()}
    assert_error(post(app, headers), 401, "access_denied", NO_HEADER)


# Row 2: the token is not a valid access token -------------------------------------


@pytest.mark.parametrize(
    "value",
    ["Bearer ", "Bearer  ", "Bearer garbage", "Bearer a.b.c", "Bearer eyJhbGciOiJIUzI1NiJ9..",
     "Bearer " + "x" * 4000, "Bearer two words"],
    ids=["empty", "blank", "garbage", "three-parts", "empty-parts", "long", "two-words"],
)
def test_malformed_token(app, value):
    assert_error(post(app, {"Authorization": value}), 401, "access_denied", INVALID)


def test_bad_signature(app):
    token = raw_token(key="another-secret-that-is-long-enough-for-hs256!")
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


def test_tampered_payload(app):
    header, _, signature = raw_token().split(".")
    _, payload, _ = raw_token({"person_id": "someone-else"}).split(".")
    assert_error(post(app, bearer(f"{header}.{payload}.{signature}")), 401, "access_denied", INVALID)


def test_alg_none(app):
    token = raw_token(key=None, algorithm="none")
    assert token.endswith(".")
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


def test_another_hmac_algorithm_with_the_right_key(app):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # the test key is short for HS512
        token = raw_token(algorithm="HS512")
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


def test_expired(app):
    now = int(time.time())
    token = raw_token({"iat": now - 7200, "nbf": now - 7200, "exp": now - 3600})
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


def test_not_yet_valid(app):
    token = raw_token({"nbf": int(time.time()) + 3600})
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


@pytest.fixture
def audience_app(make_app, persons, storage):
    persons["person-1"] = person_record()
    return make_app(
        {"JWT_DECODE_AUDIENCE": "pis-api", "JWT_DECODE_ISSUER": "https://auth.example"},
        relationship_checker=Recorder("approved"),
        storage=storage,
    )


def test_audience_and_issuer_accepted_when_right(audience_app):
    token = raw_token({"aud": "pis-api", "iss": "https://auth.example"})
    assert post(audience_app, bearer(token)).status_code == 201


@pytest.mark.parametrize(
    "claims, drop",
    [
        ({"aud": "other-api", "iss": "https://auth.example"}, ()),
        ({"iss": "https://auth.example"}, ("aud",)),
        ({"aud": "pis-api", "iss": "https://evil.example"}, ()),
        ({"aud": "pis-api"}, ("iss",)),
    ],
    ids=["wrong-audience", "no-audience", "wrong-issuer", "no-issuer"],
)
def test_wrong_audience_or_issuer(audience_app, claims, drop):
    token = raw_token(claims, drop=drop)
    assert_error(post(audience_app, bearer(token)), 401, "access_denied", INVALID)


def test_refresh_token(app):
    with app.app_context():
        token = create_refresh_token(
            "user-1", additional_claims={"person_id": "person-1", "scope": SCOPE}
        )
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


def test_refresh_type_crafted(app):
    assert_error(post(app, bearer(raw_token({"type": "refresh"}))), 401, "access_denied", INVALID)


def test_token_without_type_counts_as_access_token(app):
    assert post(app, bearer(raw_token(drop=["type"]))).status_code == 201


def test_no_sub(app):
    assert_error(post(app, bearer(raw_token(drop=["sub"]))), 401, "access_denied", INVALID)


def test_non_string_sub(app):
    assert_error(post(app, bearer(raw_token({"sub": 42}))), 401, "access_denied", INVALID)


def test_no_person_id_claim(app):
    assert_error(post(app, bearer(raw_token(drop=["person_id"]))), 401, "access_denied", INVALID)


@pytest.mark.parametrize(
    "person_id", [42, 4.5, ["person-1"], {"id": "person-1"}, None, True],
    ids=["int", "float", "list", "object", "null", "bool"],
)
def test_non_string_person_id(app, person_id):
    token = raw_token({"person_id": person_id})
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)


@pytest.mark.parametrize(
    "applicant", [42, ["person-2"], {"id": "person-2"}, False],
    ids=["int", "list", "object", "bool"],
)
def test_non_string_applicant_id(app, checker, applicant):
    token = raw_token({"applicant_person_id": applicant})
    assert_error(post(app, bearer(token)), 401, "access_denied", INVALID)
    assert checker.calls == []


def test_custom_person_id_claim(make_app, persons, storage):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_PERSON_ID_CLAIM": "pid"}, storage=storage,
                   relationship_checker=Recorder("approved"))
    assert post(app, bearer(raw_token({"pid": "person-1"}, drop=["person_id"]))).status_code == 201
    assert_error(post(app, bearer(raw_token())), 401, "access_denied", INVALID)


def test_custom_applicant_claim(make_app, persons, storage):
    persons["person-1"] = person_record()
    checker = Recorder("approved")
    app = make_app({"PIS_DOCUMENTS_APPLICANT_PERSON_ID_CLAIM": "acting_for"}, storage=storage,
                   relationship_checker=checker)
    assert post(app, bearer(raw_token({"applicant_person_id": "person-2"}))).status_code == 201
    assert checker.calls == []  # the default claim name means nothing now
    assert post(app, bearer(raw_token({"acting_for": "person-2"}))).status_code == 201
    assert checker.calls == [("person-1", "person-2")]
    assert_error(post(app, bearer(raw_token({"acting_for": 5}))), 401, "access_denied", INVALID)


def test_user_person_loader_maps_sub(make_app, persons, storage):
    persons["person-1"] = person_record()
    loader = Recorder(lambda sub: {"user-1": "person-1"}.get(sub))
    app = make_app(storage=storage, user_person_loader=loader,
                   relationship_checker=Recorder("approved"))
    assert post(app, bearer(raw_token(drop=["person_id"]))).status_code == 201
    assert loader.calls == [("user-1",)]
    # The hook replaces the claim: an unknown user is not rescued by a person_id claim.
    assert_error(post(app, bearer(raw_token({"sub": "user-2"}))), 401, "access_denied", INVALID)


@pytest.mark.parametrize("answer", [None, 42, ["person-1"]], ids=["none", "int", "list"])
def test_user_person_loader_without_a_person(make_app, storage, answer):
    app = make_app(storage=storage, user_person_loader=Recorder(answer),
                   relationship_checker=Recorder("approved"))
    assert_error(post(app, bearer(raw_token())), 401, "access_denied", INVALID)


# Row 3: the scope -----------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [None, "", "person_documents:read", "person_documents:write_pis_extra",
     "xperson_documents:write_pis", "person_documents", ["person_documents:read", "other"],
     [], ["person_documents:write_pis_extra"], 42, {"person_documents:write_pis": True},
     "PERSON_DOCUMENTS:WRITE_PIS", "person_documents:write_pis,other"],
    ids=["no-claim", "empty", "other", "superstring", "prefixed", "prefix", "list-without",
         "empty-list", "list-superstring", "int", "object", "uppercase", "comma-joined"],
)
def test_scope_missing(app, scope):
    claims = {} if scope is None else {"scope": scope}
    token = raw_token(claims, drop=["scope"])
    assert_error(post(app, bearer(token)), 403, "forbidden", forbidden())


@pytest.mark.parametrize(
    "scope",
    [SCOPE, f"person:read {SCOPE} other:write", f"  {SCOPE}  ", f"{SCOPE} other",
     [SCOPE], ["person:read", SCOPE]],
    ids=["exact", "space-separated", "padded", "first", "list", "list-among-others"],
)
def test_scope_accepted(app, scope):
    response = post(app, bearer(raw_token({"scope": scope})))
    assert response.status_code == 201
    assert response.json["data"] == []


def test_custom_scope_and_scope_claim(make_app, persons, storage):
    persons["person-1"] = person_record()
    app = make_app(
        {"PIS_DOCUMENTS_SCOPE": "docs:upload", "PIS_DOCUMENTS_SCOPE_CLAIM": "scp"},
        storage=storage, relationship_checker=Recorder("approved"),
    )
    assert post(app, bearer(raw_token({"scp": "docs:upload"}))).status_code == 201
    assert post(app, bearer(raw_token({"scp": ["x", "docs:upload"]}))).status_code == 201
    # The default scope, or the right scope under the default claim, is not enough.
    assert_error(post(app, bearer(raw_token({"scp": SCOPE}))), 403, "forbidden",
                 forbidden("docs:upload"))
    assert_error(post(app, bearer(raw_token({"scope": "docs:upload"}))), 403, "forbidden",
                 forbidden("docs:upload"))


# Row 4: the person ----------------------------------------------------------------


def test_person_not_found(app):
    token = raw_token({"person_id": "nobody"})
    assert_error(post(app, bearer(token)), 404, "not_found", NOT_FOUND)


@pytest.mark.parametrize(
    "fields",
    [{"status": "inactive"}, {"status": "merged"}, {"status": None}, {"status": "ACTIVE"},
     {"is_active": False}, {"is_active": None}, {"is_active": "true"}, {"is_active": 1}],
    ids=["inactive", "merged", "no-status", "uppercase-status", "is_active-false",
         "is_active-null", "is_active-string", "is_active-one"],
)
def test_person_not_active(app, persons, fields):
    persons["person-1"] = person_record(**fields)
    assert_error(post(app, bearer(raw_token())), 404, "not_found", NOT_FOUND)


def test_person_without_is_active_is_not_active(app, persons):
    record = person_record()
    del record["is_active"]
    persons["person-1"] = record
    assert_error(post(app, bearer(raw_token())), 404, "not_found", NOT_FOUND)


@pytest.mark.parametrize(
    "person_id",
    ["../x", "a b", "a" * 200, "a" * 129, "-abc", "_abc", "a/b", "a.b", "a%2Fb", "абв",
     "a\x00b", " person-1", "person-1\n"],
    ids=["dotdot", "space", "200-chars", "129-chars", "leading-dash", "leading-underscore",
         "slash", "dot", "percent", "cyrillic", "nul", "leading-space", "newline"],
)
def test_malformed_person_id(make_app, persons, storage, person_id):
    persons[person_id] = person_record(person_id)
    loader = Recorder(persons.get)
    app = make_app(person_loader=loader, storage=storage, relationship_checker=Recorder("approved"))
    assert_error(post(app, bearer(raw_token({"person_id": person_id}))), 404, "not_found", NOT_FOUND)
    assert loader.calls == []  # the loader only ever gets ids fit for object keys
    assert storage.signed == []


def test_longest_well_formed_person_id(make_app, persons, storage):
    person_id = "A" + "b_-9" * 31 + "xyz"
    assert len(person_id) == 128
    persons[person_id] = person_record(person_id)
    app = make_app(storage=storage, relationship_checker=Recorder("approved"))
    assert post(app, bearer(raw_token({"person_id": person_id}))).status_code == 201


def test_user_person_loader_with_malformed_id(make_app, persons, storage):
    loader = Recorder(persons.get)
    app = make_app(person_loader=loader, storage=storage, user_person_loader=Recorder("../x"),
                   relationship_checker=Recorder("approved"))
    assert_error(post(app, bearer(raw_token())), 404, "not_found", NOT_FOUND)
    assert loader.calls == []


# Row 5: a dependency fails --------------------------------------------------------

SECRET_ERROR = "connect to postgres://mpi:hunter2@db.internal:5432/mpi failed"


def _assert_no_leak(body_text: str) -> None:
    for fragment in ("hunter2", "db.internal", "postgres://", "secret-s3.internal",
                     "persons-bucket", "AccessDenied", "Traceback", "ConnectionError",
                     "relationships.test"):
        assert fragment not in body_text


def test_person_loader_raises(make_app, storage):
    app = make_app(person_loader=Recorder(ConnectionError(SECRET_ERROR)), storage=storage,
                   relationship_checker=Recorder("approved"))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "person store" in body["error"]["message"].lower()
    _assert_no_leak(response.get_data(as_text=True))


def test_relationship_checker_raises(make_app, persons, storage):
    persons["person-1"] = person_record()
    checker = Recorder(TimeoutError(SECRET_ERROR))
    app = make_app(relationship_checker=checker, storage=storage)
    response = post(app, bearer(raw_token({"applicant_person_id": "person-2"})))
    body = assert_error(response, 503, "service_unavailable")
    assert "relationship service" in body["error"]["message"].lower()
    _assert_no_leak(response.get_data(as_text=True))
    assert checker.calls == [("person-1", "person-2")]


def test_storage_raises(make_app, persons):
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "1"}],
        authentication_methods=[{"type": "OFFLINE"}],
    )
    app = make_app(storage=FailingStorage(), relationship_checker=Recorder("approved"))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "storage" in body["error"]["message"].lower()
    _assert_no_leak(response.get_data(as_text=True))


def test_global_parameters_loader_raises(make_app, persons, storage):
    persons["person-1"] = person_record()
    app = make_app(storage=storage, relationship_checker=Recorder("approved"),
                   global_parameters_loader=Recorder(ConnectionError(SECRET_ERROR)))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "global parameters" in body["error"]["message"].lower()
    _assert_no_leak(response.get_data(as_text=True))


class Blocking:
    """A hook that blocks until released (at teardown), as a dependency that hangs."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def __call__(self, *args: Any) -> Any:
        self.release.wait(10)
        raise ConnectionError(SECRET_ERROR)


@pytest.fixture
def blocking():
    hook = Blocking()
    yield hook
    hook.release.set()


class BlockingStorage(MemoryStorage):
    def __init__(self, hook: Blocking) -> None:
        super().__init__()
        self.hook = hook

    def snapshot(self, storage: str, person_id: str) -> set[str]:
        return self.hook()


def test_person_store_times_out(make_app, storage, blocking):
    app = make_app({"PIS_DOCUMENTS_PERSON_STORE_TIMEOUT": 0.05}, person_loader=blocking,
                   storage=storage, relationship_checker=Recorder("approved"))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "person store" in body["error"]["message"].lower()


def test_relationship_service_times_out(make_app, persons, storage, blocking):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": 0.05}, relationship_checker=blocking,
                   storage=storage)
    response = post(app, bearer(raw_token({"applicant_person_id": "person-2"})))
    body = assert_error(response, 503, "service_unavailable")
    assert "relationship service" in body["error"]["message"].lower()


def test_storage_times_out(make_app, persons, blocking):
    persons["person-1"] = person_record()
    app = make_app({"PIS_DOCUMENTS_STORAGE_TIMEOUT": 0.05}, storage=BlockingStorage(blocking),
                   relationship_checker=Recorder("approved"))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "storage" in body["error"]["message"].lower()


# Rule 1 calls the relationship checker only for another, well-formed applicant -----


@pytest.mark.parametrize(
    "claims",
    [{}, {"applicant_person_id": None}, {"applicant_person_id": "person-1"}],
    ids=["no-applicant", "null-applicant", "applicant-is-person"],
)
def test_checker_not_called_for_self(app, checker, claims):
    assert post(app, bearer(raw_token(claims))).status_code == 201
    assert checker.calls == []


@pytest.mark.parametrize(
    "applicant", ["../x", "a b", "a" * 200, "", "-x", "p/../q"],
    ids=["dotdot", "space", "200-chars", "empty", "leading-dash", "path"],
)
def test_unsafe_applicant_skips_rule_1(app, persons, checker, applicant):
    persons["person-1"] = person_record(
        confidant_person=[{"person_id": applicant, "documents_relationship": [
            {"type": "BIRTH_CERTIFICATE", "number": "1"}]}],
    )
    response = post(app, bearer(raw_token({"applicant_person_id": applicant})))
    assert response.status_code == 201
    assert response.json["data"] == []
    assert checker.calls == []


def test_checker_called_for_another_applicant(app, persons, checker):
    """The control of the two tests above: the recorder does see calls."""
    persons["person-1"] = person_record(
        confidant_person=[{"person_id": "person-2", "documents_relationship": [
            {"type": "BIRTH_CERTIFICATE", "number": "1"}]}],
    )
    response = post(app, bearer(raw_token({"applicant_person_id": "person-2"})))
    assert response.status_code == 201
    assert [d["type"] for d in response.json["data"]] == [
        "confidant_person.person-2.documents_relationship.BIRTH_CERTIFICATE"
    ]
    assert checker.calls == [("person-1", "person-2")]


# Row 6: anything unexpected -------------------------------------------------------


def broken_app(make_app, error):
    storage = BrokenStorage(error)
    app = make_app(storage=storage, relationship_checker=Recorder("approved"))
    storage.broken = True
    return app


@pytest.mark.parametrize(
    "error",
    [RuntimeError("boom at /srv/app/secret.py line 3"), KeyError("hunter2"), ZeroDivisionError()],
    ids=["runtime", "key", "zero-division"],
)
def test_unexpected_error(make_app, error):
    app = broken_app(make_app, error)
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 500, "internal_error")
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "secret.py" not in text and "hunter2" not in text
    assert type(error).__name__ not in text
    generic = body["error"]["message"]
    # Generic: the same message whatever went wrong.
    other = broken_app(make_app, ValueError("x"))
    assert post(other, bearer(raw_token())).json["error"]["message"] == generic


def test_user_person_loader_failing_is_a_503(make_app, storage):
    app = make_app(storage=storage, user_person_loader=Recorder(RuntimeError("db at 10.0.0.1 down")),
                   relationship_checker=Recorder("approved"))
    response = post(app, bearer(raw_token()))
    body = assert_error(response, 503, "service_unavailable")
    assert "user person loader" in body["error"]["message"]
    assert "10.0.0.1" not in response.get_data(as_text=True)


# Precedence: 401 over 403 over 404 (and 404 over 503) -----------------------------


def test_401_no_header_wins_over_everything(app):
    assert_error(post(app, {"Authorization": "Basic " + raw_token({"scope": "x"})}), 401,
                 "access_denied", NO_HEADER)


@pytest.mark.parametrize(
    "claims, drop",
    [({"scope": "other", "exp": int(time.time()) - 3600}, ()),
     ({"scope": "other"}, ("person_id",)),
     ({"scope": "other", "person_id": 7}, ()),
     ({"scope": "other", "applicant_person_id": 7, "person_id": "../x"}, ())],
    ids=["expired", "no-person", "int-person", "int-applicant"],
)
def test_401_wins_over_403(app, claims, drop):
    assert_error(post(app, bearer(raw_token(claims, drop=drop))), 401, "access_denied", INVALID)


@pytest.mark.parametrize("person_id", ["nobody", "../x"], ids=["unknown", "malformed"])
def test_403_wins_over_404(app, person_id):
    token = raw_token({"scope": "other", "person_id": person_id})
    assert_error(post(app, bearer(token)), 403, "forbidden", forbidden())


def test_403_wins_over_503(make_app, storage):
    loader = Recorder(ConnectionError(SECRET_ERROR))
    app = make_app(person_loader=loader, storage=storage, relationship_checker=Recorder("approved"))
    assert_error(post(app, bearer(raw_token({"scope": "other"}))), 403, "forbidden", forbidden())
    assert loader.calls == []


def test_404_wins_over_failing_relationship_service_and_storage(make_app):
    checker = Recorder(ConnectionError(SECRET_ERROR))
    app = make_app(relationship_checker=checker, storage=FailingStorage())
    token = raw_token({"person_id": "nobody", "applicant_person_id": "person-2"})
    assert_error(post(app, bearer(token)), 404, "not_found", NOT_FOUND)

