"""The example app end to end: a real werkzeug server, the embedded S3 and the demo persons.

The documents endpoint is called over HTTP with demo tokens, so rule 1 goes
through the app's own relationship endpoint by the extension's default HTTP
checker, and uploads go to the in-process moto S3 through the signed URLs.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # example_app lives at the top of the repository
    sys.path.insert(0, str(REPO))

from example_app import create_app  # noqa: E402
from example_server import Recorder, serve_example_app  # noqa: E402
from example_app.relationships import CHECK_PATH  # noqa: E402
from example_app.seed import birth_date_for_age, load_demo_records  # noqa: E402
from example_app.tokens import BANNER_PERSON_ID, demo_token, start_banner  # noqa: E402
from flask_pis_documents import HttpRelationshipChecker, get_state, plan_uploads  # noqa: E402
from flask_pis_documents.adapters.database import engine  # noqa: E402
from flask_pis_documents.adapters.models import ConfidantRelationshipRow, PersonRow  # noqa: E402
from flask_pis_documents.domain.age import age_on  # noqa: E402
from flask_pis_documents.http.auth import Identity  # noqa: E402

DOCUMENTS = "/api/pis/documents"
TIMEOUT = 30  # a guard against a hung server, not a performance assertion

# (person, applicant, the exact document names, the rules that ask for them)
CASES = [
    ("demo-offline-adult", None, ["person.PASSPORT", "person.TAX_ID"], {4}),
    ("demo-third-person-offline", None, ["person.NATIONAL_ID", "person.TAX_ID"], {4}),
    ("demo-third-person-ward", None, ["third_person.NATIONAL_ID", "third_person.TAX_ID"], {4}),
    ("demo-child-foreign-birth-certificate", None, ["person.BIRTH_CERTIFICATE_FOREIGN"], {2}),
    ("demo-child-with-confidants", None, [], set()),
    (
        "demo-child-with-confidants",
        "demo-confidant-verified",
        ["confidant_person.demo-confidant-verified.documents_relationship.BIRTH_CERTIFICATE_FOREIGN"],
        {1},
    ),
    (
        "demo-child-with-confidants",
        "demo-confidant-unverified",
        ["confidant_person.demo-confidant-unverified.documents_relationship.CONFIDANT_CERTIFICATE"],
        {1},
    ),
    ("demo-child-with-confidants", "demo-confidant-expired", [], set()),
    ("demo-child-with-confidants", "demo-nothing-to-upload", [], set()),
    ("demo-child-with-confidants", "demo-child-with-confidants", [], set()),
    ("demo-confidant-verified", None, [], set()),
    ("demo-confidant-unverified", None, [], set()),
    ("demo-confidant-expired", None, [], set()),
    ("demo-adult-residence-permit", None, ["person.PERMANENT_RESIDENCE_PERMIT"], {3}),
    ("demo-unzr-mismatch", None, ["person.unzr"], {5}),
    ("demo-teen-legal-capacity", None, ["person.MARRIAGE_CERTIFICATE"], {6}),
    (
        "demo-teen-several-rules",
        None,
        ["person.COURT_DECISION_LEGAL_CAPACITY", "person.PERMANENT_RESIDENCE_PERMIT", "person.unzr"],
        {3, 4, 5, 6},
    ),
    ("demo-nothing-to-upload", None, [], set()),
]
INACTIVE = "demo-inactive"


@dataclass
class Served:
    app: Flask
    base_url: str
    recorder: Recorder
    database_url: str

    def post_documents(self, token: str, **headers: str) -> requests.Response:
        return requests.post(
            self.base_url + DOCUMENTS,
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=TIMEOUT,
        )

    def token(self, person_id: str, applicant: str | None = None) -> str:
        with self.app.app_context():
            return demo_token(person_id, applicant)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """create_app on a real threaded werkzeug server on a free port, with a tmp SQLite DB."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('example-app') / 'example.sqlite'}"
    with serve_example_app(database_url, "HTTP_X_REQUEST_ID") as (app, base_url, recorder):
        yield Served(app, base_url, recorder, database_url)


def names(response: requests.Response) -> list[str]:
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["meta"]["code"] == 201 and body["meta"]["type"] == "list"
    return sorted(item["type"] for item in body["data"])


def s3_client(app: Flask) -> Any:
    return boto3.session.Session().client(
        "s3", endpoint_url=app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"], region_name="us-east-1"
    )


def test_the_cases_cover_every_active_demo_person_and_every_rule():
    demo = {r["id"]: r for r in load_demo_records()}
    active = {pid for pid, r in demo.items() if r.get("status") == "active"}
    assert {case[0] for case in CASES} == active
    assert demo[INACTIVE]["is_active"] is False
    assert set().union(*(case[3] for case in CASES)) == {1, 2, 3, 4, 5, 6}
    assert any(not case[2] for case in CASES)  # someone with nothing to upload


@pytest.mark.parametrize(("person_id", "applicant", "expected", "rules"), CASES)
def test_each_demo_person_gets_exactly_its_documents(served, person_id, applicant, expected, rules):
    response = served.post_documents(served.token(person_id, applicant))
    assert names(response) == sorted(expected)
    for item in response.json()["data"]:
        assert item["url"].startswith(served.app.config["PIS_DOCUMENTS_S3_ENDPOINT_URL"] + "/persons/")


@pytest.mark.parametrize(("person_id", "applicant", "expected", "rules"), CASES)
def test_each_demo_person_is_asked_by_its_rules(served, person_id, applicant, expected, rules):
    with served.app.app_context():
        plan = plan_uploads(get_state(), Identity(person_id, applicant if applicant != person_id else None))
    assert sorted(d.name for d in plan.documents) == sorted(expected)
    assert set().union(*(d.rules for d in plan.documents)) == rules


def test_inactive_demo_person_is_not_found(served):
    response = served.post_documents(served.token(INACTIVE))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "type": "not_found",
        "message": "Person does not exist or is not active",
    }


def test_rule_1_calls_the_apps_own_relationship_endpoint_over_http(served):
    checker = get_state(served.app).relationship_checker
    assert isinstance(checker, HttpRelationshipChecker)
    assert checker.url == served.base_url + CHECK_PATH

    served.recorder.seen.clear()
    token = served.token("demo-child-with-confidants", "demo-confidant-verified")
    response = served.post_documents(token, **{"x-request-id": "example-test-rule-1"})
    assert names(response) == [
        "confidant_person.demo-confidant-verified.documents_relationship.BIRTH_CERTIFICATE_FOREIGN"
    ]
    assert ("POST", CHECK_PATH, "example-test-rule-1") in served.recorder.seen

    served.recorder.seen.clear()
    own = served.post_documents(served.token("demo-child-with-confidants"))
    assert names(own) == []
    assert [seen for seen in served.recorder.seen if seen[1] == CHECK_PATH] == []


@pytest.mark.parametrize(
    ("confidant", "status", "answer"),
    [
        ("demo-confidant-verified", 200, "approved"),
        ("demo-confidant-unverified", 200, "not_approved"),
        ("demo-confidant-expired", 404, None),
        ("demo-nothing-to-upload", 404, None),
    ],
)
def test_relationship_endpoint_answers_from_the_seeded_relationships(served, confidant, status, answer):
    response = requests.post(
        served.base_url + CHECK_PATH,
        json={"person_id": "demo-child-with-confidants", "confidant_person_id": confidant},
        timeout=TIMEOUT,
    )
    assert response.status_code == status
    if answer is None:
        assert response.json()["error"]["type"] == "not_found"
    else:
        assert response.json() == {"data": {"status": answer}}


def test_relationship_endpoint_rejects_a_body_without_ids(served):
    response = requests.post(
        served.base_url + CHECK_PATH, json={"person_id": "demo-child-with-confidants"}, timeout=TIMEOUT
    )
    assert response.status_code == 422


def test_an_uploaded_document_is_not_asked_for_again(served):
    token = served.token("demo-offline-adult")
    first = served.post_documents(token)
    assert names(first) == ["person.PASSPORT", "person.TAX_ID"]
    item = next(i for i in first.json()["data"] if i["type"] == "person.PASSPORT")
    query = parse_qs(urlsplit(item["url"]).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";")
    key = "demo-offline-adult/person.PASSPORT.jpeg"
    client = s3_client(served.app)
    try:
        put = requests.put(item["url"], data=b"\xff\xd8demo-jpeg", headers=item["headers"], timeout=TIMEOUT)
        assert put.status_code == 200, put.text
        assert client.get_object(Bucket="persons", Key=key)["Body"].read() == b"\xff\xd8demo-jpeg"
        assert names(served.post_documents(token)) == ["person.TAX_ID"]
    finally:
        client.delete_object(Bucket="persons", Key=key)
        client.close()
    assert names(served.post_documents(token)) == ["person.PASSPORT", "person.TAX_ID"]


def test_openapi_spec_and_swagger_ui_are_served_with_local_assets(served):
    spec = requests.get(served.base_url + "/openapi.json", timeout=TIMEOUT)
    assert spec.status_code == 200
    assert spec.json()["openapi"] == "3.0.3"
    assert {DOCUMENTS, CHECK_PATH} <= set(spec.json()["paths"])

    ui = requests.get(served.base_url + "/swagger-ui", timeout=TIMEOUT)
    assert ui.status_code == 200
    assert served.app.config["EXAMPLE_SWAGGER_UI_LOCAL"] is True
    assert 'src="/swagger-ui-assets/swagger-ui-bundle.js"' in ui.text
    assert "cdn." not in ui.text
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        response = requests.get(f"{served.base_url}/swagger-ui-assets/{asset}", timeout=TIMEOUT)
        assert response.status_code == 200
        assert len(response.content) > 1000


def test_demo_token_command_prints_a_token_that_works(served):
    runner = served.app.test_cli_runner()
    result = runner.invoke(args=["demo-token", "demo-teen-legal-capacity"])
    assert result.exit_code == 0, result.output
    assert names(served.post_documents(result.output.strip())) == ["person.MARRIAGE_CERTIFICATE"]

    result = runner.invoke(
        args=["demo-token", "demo-child-with-confidants", "--applicant", "demo-confidant-unverified"]
    )
    assert result.exit_code == 0, result.output
    assert names(served.post_documents(result.output.strip())) == [
        "confidant_person.demo-confidant-unverified.documents_relationship.CONFIDANT_CERTIFICATE"
    ]


def test_flask_cli_finds_create_app_and_demo_token_prints_only_the_token(served, tmp_path):
    env = {
        **os.environ,
        "EXAMPLE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "EXAMPLE_BASE_URL": served.base_url,
    }
    env.pop("PIS_DOCUMENTS_S3_ENDPOINT_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "example_app", "demo-token", "demo-unzr-mismatch"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and "curl" not in result.stdout
    assert names(served.post_documents(lines[0])) == ["person.unzr"]


def test_start_banner_has_a_working_curl_line_and_no_personal_data(served):
    banner = start_banner(served.app)
    curl = next(line.strip() for line in banner.splitlines() if line.strip().startswith("curl "))
    match = re.fullmatch(r'curl -X POST -H "Authorization: Bearer ([^"]+)" (\S+)', curl)
    assert match, curl
    token, url = match.groups()
    assert url == served.base_url + DOCUMENTS
    response = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert names(response) == ["person.PASSPORT", "person.TAX_ID"]  # BANNER_PERSON_ID's documents
    with served.app.app_context(), Session(engine(None)) as session:
        rows = session.scalars(select(PersonRow).options(selectinload(PersonRow.documents))).all()
        private = {r.birth_date.isoformat() for r in rows if r.birth_date}
        private |= {r.birth_date.strftime("%Y%m%d") for r in rows if r.birth_date}
        private |= {r.unzr for r in rows if r.unzr} | {d.number for r in rows for d in r.documents if d.number}
    assert private and not [value for value in private if value in banner]
    assert BANNER_PERSON_ID in banner  # a demo id names the person, nothing else does


def test_create_app_seeds_idempotently_and_prints_nothing_outside_flask_run(served, capsys, monkeypatch):
    monkeypatch.setenv("EXAMPLE_BASE_URL", served.base_url)
    monkeypatch.setenv("EXAMPLE_DATABASE_URL", served.database_url)
    again = create_app({"TESTING": True})
    assert capsys.readouterr().out == ""
    with again.app_context(), Session(engine(None)) as session:
        persons = session.scalar(select(func.count()).select_from(PersonRow))
        relationships = session.scalar(select(func.count()).select_from(ConfidantRelationshipRow))
    assert persons == len(load_demo_records())
    assert relationships == 3


@pytest.mark.parametrize("age", [7, 9, 14, 16, 17, 18, 40])
def test_demo_ages_hold_on_any_day(age):
    day = date(2027, 1, 1)
    while day < date(2029, 1, 1):  # a common year and a leap year, 29 February included
        birth = birth_date_for_age(age, day)
        assert age_on(birth, day) == age
        assert age_on(birth, day + timedelta(days=90)) == age
        day += timedelta(days=1)
