"""The access log: one structured JSON line per request, and no personal data anywhere.

Logger ``flask_pis_documents.access``: request id, status, duration, rules
fired, how many documents were required, existing and signed, and which
dependency failed. No log line of any logger may carry names, document
numbers, phone numbers, the unzr or signed URLs.
"""
from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import bearer, person_record
from loopback_servers import (
    ACCESS_LOGGER,
    HOST,
    LoopbackHttpServer,
    Reply,
    access_lines,
    closed_port,
    new_request_id,
    timed_post,
)

FIELDS = {"request_id", "status", "duration_ms", "rules_fired", "required", "existing", "signed", "dependency_failed"}
APPLICANT = "parent-1"

#: Personal data of the record below; none of it may reach any log line.
PERSONAL = {
    "first name": "Taras",
    "last name": "Shevchenko",
    "second name": "Hryhorovych",
    "passport number": "MM424242",
    "tax id": "3141592653",
    "confidant document number": "BC-777001",
    "unzr": "19900502-77777",
    "phone": "+380671234567",
    "phone digits": "380671234567",
    "issuer": "Kyivske RV 8",
}


def rich_record() -> dict[str, Any]:
    """Rules 1 (confidant), 4 (OFFLINE: two documents) and 5 (unzr mismatch) fire."""
    return person_record(
        first_name=PERSONAL["first name"],
        last_name=PERSONAL["last name"],
        second_name=PERSONAL["second name"],
        birth_date="1990-05-01",
        unzr=PERSONAL["unzr"],
        documents=[
            {"type": "PASSPORT", "number": PERSONAL["passport number"], "issued_by": PERSONAL["issuer"]},
            {"type": "TAX_ID", "number": PERSONAL["tax id"]},
        ],
        authentication_methods=[
            {"type": "OFFLINE"},
            {"type": "OTP", "phone_number": PERSONAL["phone"]},
        ],
        confidant_person=[
            {
                "person_id": APPLICANT,
                "relation_type": "PRIMARY",
                "documents_relationship": [
                    {"type": "BIRTH_CERTIFICATE", "number": PERSONAL["confidant document number"]}
                ],
            }
        ],
    )


@pytest.fixture
def relationship_server():
    with LoopbackHttpServer(lambda seen: Reply(200, {"data": {"status": "approved"}})) as server:
        yield server


@pytest.fixture
def app(make_app, persons, s3, relationship_server):
    persons["person-1"] = rich_record()
    # PASSPORT is stored already (in the person requests storage): existing = 1.
    s3.put_object(Bucket="person-requests", Key="person-1/person.PASSPORT.jpeg", Body=b"jpeg")
    host = make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": f"{relationship_server.url}/check"})
    host.add_url_rule("/health", "health", lambda: "ok")
    return host


def send(app: Any, token: str | None, request_id: str) -> tuple[Any, float]:
    headers = {"x-request-id": request_id}
    if token is not None:
        headers.update(bearer(token))
    return timed_post(app, headers)


def one_line(caplog: Any, request_id: str) -> dict[str, Any]:
    lines = access_lines(caplog.records)
    mine = [line for line in lines if line["request_id"] == request_id]
    assert len(mine) == 1, lines
    line = mine[0]
    assert FIELDS <= set(line), line
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert all(isinstance(rule, int) for rule in line["rules_fired"])
    return line


def test_a_201_with_documents(app, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    request_id = new_request_id()
    response, seconds = send(app, token(app, applicant=APPLICANT), request_id)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert sorted(item["type"] for item in response.json["data"]) == [
        f"confidant_person.{APPLICANT}.documents_relationship.BIRTH_CERTIFICATE",
        "person.TAX_ID",
        "person.unzr",
    ]
    line = one_line(caplog, request_id)
    assert line["status"] == 201
    assert line["rules_fired"] == [1, 4, 5]
    assert (line["required"], line["existing"], line["signed"]) == (4, 1, 3)
    assert line["dependency_failed"] is None
    assert line["duration_ms"] <= seconds * 1000 + 50
    assert len(access_lines(caplog.records)) == 1  # one line for the one request


def test_a_404(app, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    request_id = new_request_id()
    response, _ = send(app, token(app, "nobody-here"), request_id)
    assert response.status_code == 404
    line = one_line(caplog, request_id)
    assert line["status"] == 404
    assert (line["required"], line["existing"], line["signed"]) == (0, 0, 0)
    assert line["rules_fired"] == [] and line["dependency_failed"] is None


def test_a_401(app, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    request_id = new_request_id()
    response, _ = send(app, "not-a-token", request_id)
    assert response.status_code == 401
    assert one_line(caplog, request_id)["status"] == 401


def test_a_503_names_the_storage(make_app, persons, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    persons["person-1"] = rich_record()
    app = make_app(
        {
            "PIS_DOCUMENTS_S3_ENDPOINT_URL": f"http://{HOST}:{closed_port()}",
            "PIS_DOCUMENTS_STORAGE_TIMEOUT": 0.5,
        },
        relationship_checker=lambda person_id, applicant_id: "approved",
    )
    request_id = new_request_id()
    response, _ = send(app, token(app), request_id)
    assert response.status_code == 503
    line = one_line(caplog, request_id)
    assert line["status"] == 503 and line["dependency_failed"] == "storage"
    assert line["signed"] == 0


def test_a_503_names_the_relationship_service(make_app, persons, s3, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    persons["person-1"] = rich_record()
    with LoopbackHttpServer(lambda seen: Reply(500, {"error": "down"})) as server:
        app = make_app({"PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": f"{server.url}/check"})
        request_id = new_request_id()
        response, _ = send(app, token(app, applicant=APPLICANT), request_id)
    assert response.status_code == 503
    line = one_line(caplog, request_id)
    assert line["status"] == 503 and line["dependency_failed"] == "relationship service"


def test_a_503_names_the_person_store(make_app, s3, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    def broken(person_id: str) -> None:
        raise ConnectionError("mpi-db.internal:5432 refused for Taras Shevchenko")

    app = make_app(person_loader=broken)
    request_id = new_request_id()
    response, _ = send(app, token(app), request_id)
    assert response.status_code == 503
    line = one_line(caplog, request_id)
    assert line["dependency_failed"] == "person store"
    assert "Taras" not in caplog.text and "mpi-db" not in caplog.text


def test_each_request_gets_its_own_line(app, token, caplog):
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    ids = [new_request_id() for _ in range(4)]
    for request_id in ids:
        send(app, token(app), request_id)
    client = app.test_client()
    client.patch("/api/pis/documents/actions/complete", headers={**bearer(token(app)), "x-request-id": "rid-patch"})
    assert client.get("/health").status_code == 200  # the host's own route: not ours to log
    assert [line["request_id"] for line in access_lines(caplog.records)] == [*ids, "rid-patch"]


def test_no_log_line_of_any_logger_carries_personal_data_or_signatures(app, token, caplog, relationship_server):
    caplog.set_level(logging.DEBUG)
    bearer_token = token(app, applicant=APPLICANT)
    responses = []
    for request_id in (new_request_id(), new_request_id()):
        response, _ = send(app, bearer_token, request_id)
        responses.append(response)
    assert [r.status_code for r in responses] == [201, 201]
    signatures = {
        dict(parse_qsl(urlsplit(item["url"]).query))["X-Amz-Signature"]
        for r in responses
        for item in r.json["data"]
    }
    assert len(signatures) >= 3
    assert relationship_server.requests  # the relationship service was really called

    records = caplog.records
    assert any(r.name.startswith("botocore") for r in records)  # third-party DEBUG lines are in
    texts = [r.getMessage() for r in records] + [caplog.text]
    forbidden = {**PERSONAL, "X-Amz-Signature": "X-Amz-Signature", "the bearer token": bearer_token}
    for what, value in forbidden.items():
        offenders = [text for text in texts if value in text]
        assert not offenders, f"{what} logged: {offenders[:1]}"

    ours = [r.getMessage() for r in records if r.name.startswith("flask_pis_documents")]
    assert ours
    for text in ours:
        assert not any(sig in text for sig in signatures), text
        assert "X-Amz-" not in text and "http" not in text.lower(), text
