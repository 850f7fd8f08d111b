"""The default HTTP relationship checker, through the endpoint.

``responses`` intercepts ``requests`` only: the checker's call is mocked,
while boto3's storage calls still reach moto's server.
"""
from __future__ import annotations

import json
import socket

import pytest
import requests
import responses
from responses import matchers

from conftest import bearer, person_record

CHECK_URL = "http://relationships.test/api/check-relationship"
CHECK_HOST = "relationships.test"
TIMEOUT = 2.5
REQUEST_ID = "req-relationship-42"
CONFIDANT_DOC = "confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE"
OTHER_DOC = "person.PASSPORT"  # asked by rule 4 whatever the relationship says


@pytest.fixture
def person(persons):
    persons["person-1"] = person_record(
        documents=[{"type": "PASSPORT", "number": "AA1"}],
        authentication_methods=[{"type": "OFFLINE"}],
        confidant_person=[
            {
                "person_id": "applicant-1",
                "relation_type": "PRIMARY",
                "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "I-AA 1"}],
            }
        ],
    )
    return persons["person-1"]


@pytest.fixture
def app(make_app, person, s3):
    return make_app(
        {"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": CHECK_URL, "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": TIMEOUT}
    )


def matched(**kwargs):
    """The checker's request as the contract describes it, answered by ``kwargs``."""
    return responses.Response(
        responses.POST,
        CHECK_URL,
        match=[
            matchers.json_params_matcher({"person_id": "person-1", "confidant_person_id": "applicant-1"}),
            matchers.request_kwargs_matcher({"timeout": TIMEOUT}),
            matchers.header_matcher({"x-request-id": REQUEST_ID}),
        ],
        **kwargs,
    )


def post(app, token, applicant="applicant-1"):
    headers = {**bearer(token(app, applicant=applicant)), "x-request-id": REQUEST_ID}
    return app.test_client().post("/api/pis/documents", headers=headers)


def types(response) -> list[str]:
    assert response.status_code == 201, response.get_data(as_text=True)
    return [item["type"] for item in response.json["data"]]


def assert_relationship_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    body = response.json
    assert body["meta"]["code"] == 503
    assert body["meta"]["type"] == "object"
    assert body["meta"]["request_id"] == REQUEST_ID
    assert response.headers["x-request-id"] == REQUEST_ID
    assert body["error"]["type"] == "service_unavailable"
    assert "relationship service" in body["error"]["message"]
    assert "data" not in body
    text = response.get_data(as_text=True)
    assert CHECK_HOST not in text
    assert "/api/check-relationship" not in text
    for leak in ("Timeout", "ConnectionError", "JSONDecodeError", "KeyError", "Traceback"):
        assert leak not in text


# --- answers -----------------------------------------------------------------------

@pytest.mark.parametrize("status", ["approved", "not_approved"])
def test_ok_answer_asks_for_the_relationship_documents(app, token, status):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": status}}))
        response = post(app, token)
        assert len(rsps.calls) == 1
    assert types(response) == [CONFIDANT_DOC, OTHER_DOC]
    assert response.json["meta"]["request_id"] == REQUEST_ID


def test_the_request_is_the_documented_one(app, token):
    """Method, URL, JSON body, forwarded request id and timeout, read back from the call."""
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CHECK_URL, json={"data": {"status": "approved"}})
        response = post(app, token)
        assert len(rsps.calls) == 1
        sent = rsps.calls[0].request
    assert types(response) == [CONFIDANT_DOC, OTHER_DOC]
    assert sent.method == "POST"
    assert sent.url == CHECK_URL
    assert json.loads(sent.body) == {"person_id": "person-1", "confidant_person_id": "applicant-1"}
    assert sent.headers["x-request-id"] == REQUEST_ID
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.req_kwargs["timeout"] == TIMEOUT


def test_not_found_skips_rule_1(app, token):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=404, json={"error": {"type": "not_found"}}))
        response = post(app, token)
        assert len(rsps.calls) == 1
    assert types(response) == [OTHER_DOC]


def test_not_found_with_an_empty_body_skips_rule_1(app, token):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=404, body=""))
        response = post(app, token)
    assert types(response) == [OTHER_DOC]


def test_custom_ok_statuses_make_not_approved_skip_rule_1(make_app, person, s3, token):
    app = make_app(
        {
            "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": CHECK_URL,
            "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": TIMEOUT,
            "PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES": ["approved"],
        }
    )
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": "not_approved"}}))
        assert types(post(app, token)) == [OTHER_DOC]
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": "approved"}}))
        assert types(post(app, token)) == [CONFIDANT_DOC, OTHER_DOC]


def test_generated_request_id_is_forwarded(app, token):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, CHECK_URL, json={"data": {"status": "approved"}})
        response = app.test_client().post(
            "/api/pis/documents", headers=bearer(token(app, applicant="applicant-1"))
        )
        sent = rsps.calls[0].request
    assert types(response) == [CONFIDANT_DOC, OTHER_DOC]
    generated = response.json["meta"]["request_id"]
    assert generated
    assert sent.headers["x-request-id"] == generated


@pytest.mark.parametrize("applicant", [None, "person-1"])
def test_no_applicant_or_self_does_not_call_the_checker(app, token, applicant):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, CHECK_URL, json={"data": {"status": "approved"}})
        response = post(app, token, applicant=applicant)
        assert len(rsps.calls) == 0
    assert types(response) == [OTHER_DOC]


def test_uploading_inside_a_mocked_context_needs_passthru(app, token, s3, s3_endpoint):
    """Storage goes to moto while the checker is mocked; an upload through the URL lands."""
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": "approved"}}))
        rsps.add_passthru(s3_endpoint)
        response = post(app, token)
        [first, _] = response.json["data"]
        assert first["type"] == CONFIDANT_DOC
        put = requests.put(first["url"], data=b"\xff\xd8", headers=first["headers"], timeout=5)
        assert put.status_code == 200
    stored = s3.get_object(Bucket="persons", Key=f"person-1/{CONFIDANT_DOC}.jpeg")
    assert stored["Body"].read() == b"\xff\xd8"
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": "approved"}}))
        assert types(post(app, token)) == [OTHER_DOC]


# --- failures ------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_is_503(app, token, status):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=status, json={"data": {"status": "approved"}}))
        response = post(app, token)
        assert len(rsps.calls) == 1
    assert_relationship_unavailable(response)


@pytest.mark.parametrize("status", [201, 204, 400, 401, 403, 409, 422])
def test_other_statuses_are_503(app, token, status):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=status, json={"data": {"status": "approved"}}))
        response = post(app, token)
    assert_relationship_unavailable(response)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_503_and_not_followed(app, token, status):
    """A redirect is "anything else": not an answer, and the ids go nowhere else."""
    elsewhere = "http://elsewhere.test/check"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(matched(status=status, headers={"Location": elsewhere}))
        rsps.add(responses.POST, elsewhere, json={"data": {"status": "approved"}})
        rsps.add(responses.GET, elsewhere, json={"data": {"status": "approved"}})
        response = post(app, token)
        assert [call.request.url for call in rsps.calls] == [CHECK_URL]
    assert_relationship_unavailable(response)
    assert "elsewhere.test" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ReadTimeout(f"HTTPConnectionPool(host='{CHECK_HOST}'): Read timed out."),
        requests.exceptions.ConnectTimeout(f"HTTPConnectionPool(host='{CHECK_HOST}'): Connect timed out."),
        requests.exceptions.ConnectionError(f"HTTPConnectionPool(host='{CHECK_HOST}'): Max retries exceeded"),
    ],
    ids=["read-timeout", "connect-timeout", "connection-error"],
)
def test_timeouts_and_connection_errors_are_503(app, token, error):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(body=error))
        response = post(app, token)
        assert len(rsps.calls) == 1
    assert_relationship_unavailable(response)


@pytest.mark.parametrize(
    "body",
    [
        "<html>Bad gateway</html>",
        "",
        "{not json",
    ],
    ids=["html", "empty", "broken-json"],
)
def test_non_json_answer_is_503(app, token, body):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, body=body, content_type="text/html"))
        response = post(app, token)
    assert_relationship_unavailable(response)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"status": "approved"},
        {"data": {}},
        {"data": None},
        {"data": "approved"},
        {"data": ["approved"]},
        ["approved"],
        "approved",
        None,
    ],
    ids=["empty", "status-at-top", "empty-data", "null-data", "string-data", "list-data", "list", "string", "null"],
)
def test_json_without_data_status_is_503(app, token, payload):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, body=json.dumps(payload), content_type="application/json"))
        response = post(app, token)
    assert_relationship_unavailable(response)


@pytest.mark.parametrize("value", ["APPROVED", "not_found", "verified", "", None, 1, True, ["approved"]])
def test_unknown_status_value_is_503(app, token, value):
    with responses.RequestsMock() as rsps:
        rsps.add(matched(status=200, json={"data": {"status": value}}))
        response = post(app, token)
    assert_relationship_unavailable(response)


def test_real_refused_connection_is_503(make_app, person, s3, token):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Closed: nothing listens there any more, so the connection is refused.
    url = f"http://127.0.0.1:{port}/check"
    app = make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": url, "PIS_DOCUMENTS_RELATIONSHIP_TIMEOUT": TIMEOUT})
    response = post(app, token)
    assert_relationship_unavailable(response)
    text = response.get_data(as_text=True)
    assert "127.0.0.1" not in text
    assert url not in text
