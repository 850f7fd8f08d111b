"""The default person loader, SqlPersonStore, on the MPI tables (SQLite and PostgreSQL)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect

from conftest import bearer, person_record
from db_support import (  # noqa: F401  (fixtures)
    count_queries,
    database_url,
    db_app,
    engine_of,
    import_records,
    row_counts,
)
from flask_pis_documents import Person, PersonGraph, SqlPersonStore, get_state

FULL_RECORD = person_record(
    "child-1",
    birth_date="2012-05-01",
    unzr="20120501-00017",
    documents=[
        {
            "type": "PASSPORT",
            "number": "AA123456",
            "issued_by": "Kyiv office",
            "issued_at": "2016-05-01",
            "expiration_date": None,
        },
        {
            "type": "BIRTH_CERTIFICATE_FOREIGN",
            "number": "I-ab 12",
            "issued_by": "Consulate",
            "issued_at": "2012-05-10",
            "expiration_date": "2030-01-01",
        },
    ],
    authentication_methods=[
        {"type": "OTP", "phone_number": "+380501234567", "is_active": True, "ended_at": None},
        {"type": "OFFLINE", "is_active": False},
        {"type": "THIRD_PERSON", "value": "guardian-1", "ended_at": "2035-01-01T10:00:00+00:00"},
        {"type": "NA", "ended_at": "2020-01-01T00:00:00Z"},
    ],
    confidant_person=[
        {
            "person_id": "parent-1",
            "relation_type": "PRIMARY",
            "is_active": True,
            "active_to": None,
            "documents_relationship": [
                {"type": "BIRTH_CERTIFICATE", "number": "BC-1"},
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "iab12"},
            ],
            "verification_status": "VERIFIED",
            "verification_reason": None,
        },
        {
            "person_id": "parent-2",
            "relation_type": "SECONDARY",
            "is_active": False,
            "active_to": "2031-06-01T12:30:00Z",
            "documents_relationship": [],
            "verification_status": "VERIFICATION_NEEDED",
            "verification_reason": "MANUAL_CREATED_BY_DOCTOR",
        },
    ],
)


def _store(app: Any) -> SqlPersonStore:
    store = get_state(app).person_store
    assert isinstance(store, SqlPersonStore), "the default person loader is SqlPersonStore"
    return store


def _load(app: Any, person_id: str) -> PersonGraph | None:
    with app.app_context():
        return _store(app).load(person_id)


def test_loads_a_person_equal_to_the_record(db_app, tmp_path):
    app = db_app()
    guardian = person_record("guardian-1", authentication_methods=[{"type": "OFFLINE"}])
    import_records(app, tmp_path, [FULL_RECORD, guardian])

    graph = _load(app, "child-1")

    assert graph is not None
    assert graph.person == Person.from_mapping(FULL_RECORD)
    methods = graph.person.authentication_methods
    assert [m.type for m in methods] == ["OTP", "OFFLINE", "THIRD_PERSON", "NA"]
    assert methods[2].ended_at is not None and methods[2].ended_at.year == 2035
    confidant = graph.person.confidant_person[0]
    assert confidant.verification_status == "VERIFIED"
    assert [d.type for d in confidant.documents_relationship] == [
        "BIRTH_CERTIFICATE",
        "BIRTH_CERTIFICATE_FOREIGN",
    ]
    second = graph.person.confidant_person[1]
    assert (second.is_active, second.verification_reason) == (False, "MANUAL_CREATED_BY_DOCTOR")
    assert graph.third_persons == {"guardian-1": Person.from_mapping(guardian)}


def test_load_person_is_the_same_person(db_app, tmp_path):
    app = db_app()
    import_records(app, tmp_path, [FULL_RECORD])
    with app.app_context():
        assert _store(app).load_person("child-1") == Person.from_mapping(FULL_RECORD)
        assert _store(app).load_person("nobody") is None


def test_moments_with_a_utc_offset_keep_their_instant(db_app, tmp_path):
    """ended_at/active_to written with +02:00/+03:00 (Kyiv) mean the same instant after a load."""
    record = person_record(
        authentication_methods=[{"type": "OFFLINE", "ended_at": "2031-03-01T00:30:00+02:00"}],
        confidant_person=[
            {"person_id": "parent-1", "active_to": "2031-07-01T01:00:00+03:00"},
        ],
    )
    app = db_app()
    import_records(app, tmp_path, [record])

    graph = _load(app, "person-1")

    assert graph is not None
    expected = Person.from_mapping(record)
    assert graph.person.authentication_methods[0].ended_at == expected.authentication_methods[0].ended_at
    assert graph.person.confidant_person[0].active_to == expected.confidant_person[0].active_to
    assert graph.person == expected


def test_a_missing_id_loads_none(db_app, tmp_path):
    app = db_app()
    import_records(app, tmp_path, [person_record("person-1")])
    assert _load(app, "person-2") is None
    with app.app_context():
        assert _store(app).load_person("person-2") is None


def test_third_persons_come_along_and_missing_ones_map_to_none(db_app, tmp_path):
    third_a = person_record("third-a", documents=[{"type": "PASSPORT", "number": "T1"}])
    third_b = person_record("third-b", status="inactive")
    person = person_record(
        authentication_methods=[
            {"type": "THIRD_PERSON", "value": "third-a"},
            {"type": "THIRD_PERSON", "value": "third-missing"},
            {"type": "THIRD_PERSON", "value": "third-b", "is_active": False},
            {"type": "OFFLINE"},
        ]
    )
    unrelated = person_record("unrelated", authentication_methods=[{"type": "THIRD_PERSON", "value": "x-1"}])
    app = db_app()
    import_records(app, tmp_path, [person, third_a, third_b, unrelated, person_record("x-1")])

    graph = _load(app, "person-1")

    assert graph is not None
    assert graph.person == Person.from_mapping(person)
    assert dict(graph.third_persons) == {
        "third-a": Person.from_mapping(third_a),
        "third-missing": None,
        "third-b": Person.from_mapping(third_b),
    }


def _big_person(person_id: str, n: int, third_ids: tuple[str, ...] = ()) -> dict[str, Any]:
    return person_record(
        person_id,
        documents=[{"type": f"DOC_{i}", "number": f"N{i}"} for i in range(n)],
        authentication_methods=[
            *({"type": "OTP", "phone_number": f"+38050{i:07d}"} for i in range(n)),
            *({"type": "THIRD_PERSON", "value": third} for third in third_ids),
        ],
        confidant_person=[
            {
                "person_id": f"{person_id}-confidant-{i}",
                "relation_type": "PRIMARY",
                "documents_relationship": [
                    {"type": "BIRTH_CERTIFICATE", "number": f"B{i}"},
                    {"type": "COURT_DECISION", "number": f"C{i}"},
                ],
            }
            for i in range(n)
        ],
    )


def test_the_load_takes_a_fixed_number_of_queries(db_app, tmp_path):
    thirds = [_big_person(f"third-{i}", 5) for i in range(3)]
    records = {
        "one": _big_person("one", 1),
        "fifty": _big_person("fifty", 50),
        "with-third": _big_person("with-third", 1, ("third-0",)),
        "with-thirds": _big_person("with-thirds", 50, ("third-0", "third-1", "third-2", "missing")),
    }
    app = db_app()
    import_records(app, tmp_path, [*records.values(), *thirds])
    engine = engine_of(app)
    assert _load(app, "one") is not None  # warm up: dialect initialisation is not the load's

    counts = {}
    for person_id, record in records.items():
        with count_queries(engine) as statements:
            graph = _load(app, person_id)
        counts[person_id] = len(statements)
        assert graph is not None
        assert graph.person == Person.from_mapping(record)
        expected_thirds = {t["id"]: Person.from_mapping(t) for t in thirds}
        for third_id, third in graph.third_persons.items():
            assert third == expected_thirds.get(third_id)

    graph = _load(app, "with-thirds")
    assert graph is not None and len(graph.third_persons) == 4
    assert len(graph.person.documents) == 50
    assert sum(len(c.documents_relationship) for c in graph.person.confidant_person) == 100
    assert counts["one"] > 0
    assert set(counts.values()) == {counts["one"]}, f"queries grew with the data: {counts}"


def test_the_endpoint_uses_the_default_loader(db_app, tmp_path, s3, token):
    app = db_app()
    import_records(
        app,
        tmp_path,
        [
            person_record(
                documents=[{"type": "PASSPORT", "number": "AA1"}, {"type": "TAX_ID", "number": "1"}],
                authentication_methods=[{"type": "OFFLINE"}],
            )
        ],
    )
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))

    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert [d["type"] for d in data] == ["person.PASSPORT", "person.TAX_ID"]
    assert "person-1/person.PASSPORT.jpeg" in data[0]["url"]
    assert "person-1/person.TAX_ID.jpeg" in data[1]["url"]


def test_the_endpoint_asks_for_an_offline_third_persons_documents(db_app, tmp_path, s3, token):
    app = db_app()
    import_records(
        app,
        tmp_path,
        [
            person_record(
                authentication_methods=[
                    {"type": "THIRD_PERSON", "value": "guardian-1"},
                    {"type": "THIRD_PERSON", "value": "guardian-missing"},
                ]
            ),
            person_record(
                "guardian-1",
                documents=[{"type": "PASSPORT", "number": "G1"}],
                authentication_methods=[{"type": "OFFLINE"}],
            ),
        ],
    )
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))

    assert response.status_code == 201, response.json
    assert [d["type"] for d in response.json["data"]] == ["third_person.PASSPORT"]


@pytest.mark.parametrize(
    "person_id, record",
    [
        ("person-1", person_record(status="inactive", authentication_methods=[{"type": "OFFLINE"}])),
        ("person-1", person_record(is_active=False, authentication_methods=[{"type": "OFFLINE"}])),
        ("person-9", person_record(authentication_methods=[{"type": "OFFLINE"}])),
    ],
    ids=["status-inactive", "is_active-false", "absent"],
)
def test_the_endpoint_answers_404_for_an_inactive_or_absent_person(
    db_app, tmp_path, s3, token, person_id, record
):
    app = db_app()
    import_records(app, tmp_path, [record])
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app, person_id)))

    assert response.status_code == 404
    assert response.json["error"] == {
        "type": "not_found",
        "message": "Person does not exist or is not active",
    }
    assert response.json["meta"]["code"] == 404


def test_the_loader_reads_the_configured_bind(database_url, db_app, tmp_path, s3, token):
    """PIS_DOCUMENTS_SQLALCHEMY_BIND: tables and reads on that bind, not the default engine."""
    app = db_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'host.sqlite3'}",
            "SQLALCHEMY_ENGINE_OPTIONS": {},
            "SQLALCHEMY_BINDS": {"mpi": database_url.bind_config()},
            "PIS_DOCUMENTS_SQLALCHEMY_BIND": "mpi",
        }
    )
    import_records(app, tmp_path, [person_record(authentication_methods=[{"type": "OFFLINE"}])])

    assert row_counts(app, "mpi")["persons"] == 1
    assert inspect(engine_of(app)).get_table_names() == []
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert response.status_code == 201, response.json
