"""DatabaseRelationshipChecker: "Check confidant person relationship" over the MPI rows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from conftest import bearer, person_record
from db_support import (  # noqa: F401  (fixtures)
    birth_date_for_age,
    database_url,
    db_app,
    import_records,
    moment,
    unzr_for,
)
from flask_pis_documents import DatabaseRelationshipChecker, get_state


def _offset_moment(hours_from_now: float, offset_hours: int) -> str:
    """A moment ``hours_from_now`` away, written in another UTC offset."""
    instant = datetime.now(timezone.utc) + timedelta(hours=hours_from_now)
    return instant.astimezone(timezone(timedelta(hours=offset_hours))).isoformat()


def _child(*confidants: dict[str, Any], person_id: str = "child-1") -> dict[str, Any]:
    birth = birth_date_for_age(10)
    return person_record(
        person_id,
        birth_date=birth.isoformat(),
        unzr=unzr_for(birth),
        confidant_person=list(confidants),
    )


def _entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "person_id": "parent-1",
        "relation_type": "PRIMARY",
        "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "BC-1"}],
    }
    entry.update(fields)
    return entry


def _check(app: Any, person_id: str = "child-1", confidant_person_id: str = "parent-1") -> str:
    checker = get_state(app).relationship_checker
    assert isinstance(checker, DatabaseRelationshipChecker)
    with app.app_context():
        return checker(person_id, confidant_person_id)


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"verification_status": "VERIFIED"}, "approved"),
        ({"verification_status": "VERIFIED", "verification_reason": "ONLINE_TEST"}, "approved"),
        (
            {"verification_status": "VERIFICATION_NEEDED", "verification_reason": "MANUAL_CREATED_BY_DOCTOR"},
            "approved",
        ),
        ({"verification_status": "VERIFICATION_NEEDED"}, "not_approved"),
        ({"verification_status": "VERIFICATION_NEEDED", "verification_reason": "ONLINE_TEST"}, "not_approved"),
        (
            {"verification_status": "NOT_VERIFIED", "verification_reason": "MANUAL_CREATED_BY_DOCTOR"},
            "not_approved",
        ),
        ({"verification_status": "IN_REVIEW"}, "not_approved"),
        ({}, "not_approved"),
        ({"verification_status": "VERIFIED", "is_active": False}, "not_found"),
        ({"verification_status": "VERIFIED", "active_to": moment(days=-1)}, "not_found"),
        ({"verification_status": "VERIFIED", "active_to": moment(days=1)}, "approved"),
        ({"verification_status": "VERIFIED", "active_to": moment(days=3650)}, "approved"),
        ({"verification_status": "NOT_VERIFIED", "active_to": moment(days=1)}, "not_approved"),
    ],
    ids=[
        "verified", "verified-any-reason", "needed-manual-by-doctor", "needed-no-reason",
        "needed-other-reason", "not-verified", "unknown-status", "no-status", "inactive",
        "active_to-past", "active_to-future", "active_to-far-future", "not-verified-future",
    ],
)
def test_the_answer_follows_the_active_relationship(db_app, tmp_path, fields, expected):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(app, tmp_path, [_child(_entry(**fields))])

    assert _check(app) == expected


@pytest.mark.parametrize(
    "active_to, expected",
    [
        (_offset_moment(-1, 5), "not_found"),  # an hour ago, written at +05:00
        (_offset_moment(1, -5), "approved"),  # in an hour, written at -05:00
        (_offset_moment(-1, 3), "not_found"),  # an hour ago, Kyiv summer time
    ],
    ids=["past-plus-five", "future-minus-five", "past-kyiv"],
)
def test_active_to_with_a_utc_offset_is_the_same_instant(db_app, tmp_path, active_to, expected):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(app, tmp_path, [_child(_entry(verification_status="VERIFIED", active_to=active_to))])

    assert _check(app) == expected


def test_no_row_is_not_found(db_app, tmp_path):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(
        app,
        tmp_path,
        [
            _child(_entry(person_id="parent-2", verification_status="VERIFIED")),
            _child(_entry(verification_status="VERIFIED"), person_id="child-2"),
            person_record("parent-1"),
        ],
    )

    assert _check(app, "child-1", "parent-1") == "not_found"  # child-1's confidant is parent-2
    assert _check(app, "parent-1", "child-2") == "not_found"  # the direction matters
    assert _check(app, "nobody", "parent-1") == "not_found"
    assert _check(app, "child-1", "parent-2") == "approved"
    assert _check(app, "child-2", "parent-1") == "approved"


def test_the_active_row_decides_among_several(db_app, tmp_path):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(
        app,
        tmp_path,
        [
            _child(
                _entry(verification_status="VERIFIED", is_active=False),
                _entry(verification_status="NOT_VERIFIED"),
                _entry(verification_status="VERIFIED", active_to=moment(days=-2)),
            ),
            _child(
                _entry(verification_status="VERIFIED", active_to=moment(days=-2)),
                _entry(verification_status="VERIFICATION_NEEDED", verification_reason="MANUAL_CREATED_BY_DOCTOR"),
                person_id="child-2",
            ),
        ],
    )

    assert _check(app, "child-1") == "not_approved"
    assert _check(app, "child-2") == "approved"


CERTIFICATE = "confidant_person.parent-1.documents_relationship.BIRTH_CERTIFICATE"


@pytest.mark.parametrize(
    "status, ok_statuses, asked",
    [
        ("VERIFIED", None, True),
        ("NOT_VERIFIED", None, True),  # Decision: not_approved "returns ok" by default
        ("VERIFIED", ["approved"], True),
        ("NOT_VERIFIED", ["approved"], False),
    ],
    ids=["approved", "not-approved-default-ok", "approved-strict", "not-approved-strict"],
)
def test_rule_1_through_the_endpoint(db_app, tmp_path, s3, token, status, ok_statuses, asked):
    config = {} if ok_statuses is None else {"PIS_DOCUMENTS_RELATIONSHIP_OK_STATUSES": ok_statuses}
    app = db_app(config, relationship_checker=DatabaseRelationshipChecker())
    import_records(app, tmp_path, [_child(_entry(verification_status=status)), person_record("parent-1")])

    response = app.test_client().post(
        "/api/pis/documents", headers=bearer(token(app, "child-1", applicant="parent-1"))
    )

    assert response.status_code == 201, response.json
    assert [d["type"] for d in response.json["data"]] == ([CERTIFICATE] if asked else [])
    if asked:
        assert f"child-1/{CERTIFICATE}.jpeg" in response.json["data"][0]["url"]


def test_rule_1_asks_nothing_when_the_relationship_has_ended(db_app, tmp_path, s3, token):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(
        app,
        tmp_path,
        [_child(_entry(verification_status="VERIFIED", active_to=moment(days=-1))), person_record("parent-1")],
    )

    response = app.test_client().post(
        "/api/pis/documents", headers=bearer(token(app, "child-1", applicant="parent-1"))
    )

    assert response.status_code == 201, response.json
    assert response.json["data"] == []


def test_without_an_applicant_the_documents_are_not_asked(db_app, tmp_path, s3, token):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(app, tmp_path, [_child(_entry(verification_status="VERIFIED"))])

    for applicant in (None, "child-1"):
        response = app.test_client().post(
            "/api/pis/documents", headers=bearer(token(app, "child-1", applicant=applicant))
        )
        assert response.status_code == 201, response.json
        assert response.json["data"] == []
