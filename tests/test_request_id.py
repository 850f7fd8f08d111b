"""``x-request-id``: echoed when acceptable, generated otherwise; ``meta.url`` without the query."""
from __future__ import annotations

import uuid

import pytest

from conftest import bearer, person_record
from http_helpers import BrokenStorage, URL, MemoryStorage, Recorder, assert_error, raw_token

BASE_URL = "http://localhost" + URL


@pytest.fixture
def app(make_app, persons):
    persons["person-1"] = person_record()
    return make_app(relationship_checker=Recorder("approved"), storage=MemoryStorage())


def _post(app, request_id=None, token=(), url=URL):
    """POST with a valid token, or ``token``: ``None`` (no header), a string, or claims."""
    headers = {}
    if isinstance(token, dict) or token == ():
        headers.update(bearer(raw_token(dict(token))))
    elif token is not None:
        headers.update(bearer(token))
    if request_id is not None:
        headers["x-request-id"] = request_id
    return app.test_client().post(url, headers=headers)


# The statuses below: 201, 401 (no header), 401 (bad token), 403, 404, 500.
CASES = {
    "created": ({}, 201),
    "no-header": ({"token": None}, 401),
    "bad-token": ({"token": "garbage"}, 401),
    "forbidden": ({"token": {"scope": "other"}}, 403),
    "not-found": ({"token": {"person_id": "nobody"}}, 404),
}


def _generated(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize(
    "request_id",
    ["req-123", "a" * 200, "x", "ABC def!~:/?#[]@$&'()*+,;=", "0" * 36],
    ids=["simple", "200-chars", "one-char", "punctuation-and-space", "zeros"],
)
def test_acceptable_request_id_is_echoed(app, case, request_id):
    kwargs, status = CASES[case]
    response = _post(app, request_id, **kwargs)
    assert response.status_code == status
    assert response.headers["x-request-id"] == request_id
    assert response.json["meta"]["request_id"] == request_id


def test_request_id_echoed_on_500(make_app):
    storage = BrokenStorage(RuntimeError("boom"))
    app = make_app(storage=storage, relationship_checker=Recorder("approved"))
    storage.broken = True
    response = _post(app, "req-500")
    assert_error(response, 500, "internal_error")
    assert response.json["meta"]["request_id"] == "req-500"


def test_request_id_echoed_on_503(make_app):
    app = make_app(person_loader=Recorder(ConnectionError("down")), storage=MemoryStorage(),
                   relationship_checker=Recorder("approved"))
    response = _post(app, "req-503")
    assert_error(response, 503, "service_unavailable")
    assert response.json["meta"]["request_id"] == "req-503"


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize(
    "request_id",
    ["a" * 201, "a" * 5000, "caf\u00e9", "tab\there", "bell\x07", "del\x7f", ""],
    ids=["201-chars", "5000-chars", "non-ascii", "tab", "control", "delete", "empty"],
)
def test_unacceptable_request_id_is_replaced(app, case, request_id):
    kwargs, status = CASES[case]
    response = _post(app, request_id, **kwargs)
    assert response.status_code == status
    generated = response.headers["x-request-id"]
    assert generated != request_id
    assert _generated(generated)
    assert response.json["meta"]["request_id"] == generated


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_absent_request_id_is_generated(app, case):
    kwargs, status = CASES[case]
    first = _post(app, **kwargs)
    second = _post(app, **kwargs)
    assert first.status_code == second.status_code == status
    for response in (first, second):
        assert _generated(response.headers["x-request-id"])
        assert response.json["meta"]["request_id"] == response.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
@pytest.mark.parametrize(
    "query", ["?a=1", "?token=secret&x=%20y", "?", "?person_id=person-2#frag"],
    ids=["one", "two", "empty", "fragment"],
)
def test_meta_url_excludes_query_string(app, case, query):
    kwargs, status = CASES[case]
    response = _post(app, url=URL + query, **kwargs)
    assert response.status_code == status
    assert response.json["meta"]["url"] == BASE_URL


def test_meta_url_is_the_request_url(app):
    response = app.test_client().post(
        URL, headers=bearer(raw_token()), base_url="https://pis.example:8443"
    )
    assert response.status_code == 201
    assert response.json["meta"] == {
        "url": "https://pis.example:8443" + URL,
        "type": "list",
        "code": 201,
        "request_id": response.headers["x-request-id"],
    }


def test_request_id_not_added_to_host_routes(app):
    @app.route("/host")
    def host():
        return "ok"

    response = app.test_client().get("/host", headers={"x-request-id": "req-host"})
    assert response.status_code == 200
    assert "x-request-id" not in response.headers
