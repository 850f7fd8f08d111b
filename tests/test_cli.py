"""``flask pis-documents init-db | import-persons | explain`` on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, select

from conftest import person_record
from db_support import (  # noqa: F401  (fixtures)
    GLOBAL_PARAMETERS_TABLE,
    MPI_TABLES,
    birth_date_for_age,
    database_url,
    db_app,
    engine_of,
    import_records,
    row_counts,
    run_cli,
    table_rows,
    write_json,
)
from flask_pis_documents import DatabaseRelationshipChecker, Person, get_state
from flask_pis_documents.adapters.models import MpiBase

NOT_FOUND_MESSAGE = "Person does not exist or is not active"
STORAGE_NAMES = ("persons", "person_requests", "authentication_method_requests")


def _confidant_rows(app: Any) -> list[tuple[Any, ...]]:
    """Each relationship with its documents: (person, confidant, type, active, status, reason, docs)."""
    relationships = MpiBase.metadata.tables["confidant_person_relationships"]
    documents = MpiBase.metadata.tables["confidant_person_relationship_documents"]
    with engine_of(app).connect() as connection:
        rows = connection.execute(
            select(
                relationships.c.id,
                relationships.c.person_id,
                relationships.c.confidant_person_id,
                relationships.c.relation_type,
                relationships.c.is_active,
                relationships.c.verification_status,
                relationships.c.verification_reason,
            )
        ).all()
        docs = connection.execute(
            select(
                documents.c.confidant_person_relationship_id, documents.c.type, documents.c.number
            ).order_by(documents.c.id)
        ).all()
    by_relationship: dict[int, list[tuple[str, str]]] = {}
    for relationship_id, doc_type, number in docs:
        by_relationship.setdefault(relationship_id, []).append((doc_type, number))
    return sorted(
        (
            (*row[1:], tuple(by_relationship.pop(row[0], [])))
            for row in rows
        ),
        key=repr,
    ) + ([("orphan documents", by_relationship)] if by_relationship else [])


# --- init-db -------------------------------------------------------------------------------


def test_init_db_creates_the_mpi_tables(db_app):
    app = db_app(init_db=False)
    engine = engine_of(app)
    assert not set(inspect(engine).get_table_names()) & {*MPI_TABLES, GLOBAL_PARAMETERS_TABLE}

    result = run_cli(app, "init-db")

    assert result.exit_code == 0, result.output
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) >= {*MPI_TABLES, GLOBAL_PARAMETERS_TABLE}
    columns = {name: {c["name"] for c in inspector.get_columns(name)} for name in MPI_TABLES}
    assert columns["persons"] >= {"id", "birth_date", "unzr", "status", "is_active"}
    assert columns["person_authentication_methods"] >= {
        "person_id", "type", "value", "phone_number", "is_active", "ended_at"
    }
    assert columns["confidant_person_relationships"] >= {
        "person_id", "confidant_person_id", "relation_type", "is_active", "active_to",
        "verification_status", "verification_reason",
    }
    assert {c["name"] for c in inspector.get_columns(GLOBAL_PARAMETERS_TABLE)} >= {"parameter", "value"}


def test_init_db_twice_keeps_the_data(db_app, tmp_path):
    app = db_app()
    import_records(app, tmp_path, [person_record(documents=[{"type": "PASSPORT", "number": "1"}])])

    result = run_cli(app, "init-db")

    assert result.exit_code == 0, result.output
    assert row_counts(app)["persons"] == 1
    assert row_counts(app)["person_documents"] == 1


# --- import-persons ------------------------------------------------------------------------

CHILD = person_record(
    "child-1",
    birth_date="2012-05-01",
    unzr="20120501-00017",
    documents=[
        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "I-AB 1", "issued_by": "Consulate",
         "issued_at": "2012-05-10", "expiration_date": None},
        {"type": "PASSPORT", "number": "AA1"},
    ],
    authentication_methods=[
        {"type": "THIRD_PERSON", "value": "parent-1"},
        {"type": "OTP", "phone_number": "+380501234567", "is_active": False},
    ],
    confidant_person=[
        {
            "person_id": "parent-1",
            "relation_type": "PRIMARY",
            "active_to": "2040-01-01T00:00:00Z",
            "documents_relationship": [
                {"type": "BIRTH_CERTIFICATE", "number": "BC-1"},
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "iab1"},
            ],
            "verification_status": "VERIFICATION_NEEDED",
            "verification_reason": "MANUAL_CREATED_BY_DOCTOR",
        },
        {
            "person_id": "parent-2",
            "relation_type": "SECONDARY",
            "is_active": False,
            "verification_status": "VERIFIED",
        },
    ],
)
PARENT = person_record(
    "parent-1",
    documents=[{"type": "PASSPORT", "number": "P1"}],
    authentication_methods=[{"type": "OFFLINE"}],
)


def test_import_persons_writes_every_table(db_app, tmp_path):
    app = db_app()

    result = import_records(app, tmp_path, [CHILD, PARENT])

    assert "2" in result.output
    assert row_counts(app) == {
        "persons": 2,
        "person_documents": 3,
        "person_authentication_methods": 3,
        "confidant_person_relationships": 2,
        "confidant_person_relationship_documents": 2,
    }
    assert table_rows(app, "persons", "id", "status", "is_active", "unzr") == sorted(
        [("child-1", "active", True, "20120501-00017"), ("parent-1", "active", True, "19900501-00017")],
        key=repr,
    )
    assert table_rows(app, "person_documents", "person_id", "type", "number", "issued_by") == sorted(
        [
            ("child-1", "BIRTH_CERTIFICATE_FOREIGN", "I-AB 1", "Consulate"),
            ("child-1", "PASSPORT", "AA1", None),
            ("parent-1", "PASSPORT", "P1", None),
        ],
        key=repr,
    )
    assert table_rows(
        app, "person_authentication_methods", "person_id", "type", "value", "phone_number", "is_active"
    ) == sorted(
        [
            ("child-1", "THIRD_PERSON", "parent-1", None, True),
            ("child-1", "OTP", None, "+380501234567", False),
            ("parent-1", "OFFLINE", None, None, True),
        ],
        key=repr,
    )


def test_confidant_entries_become_relationship_rows_with_their_documents(db_app, tmp_path):
    app = db_app()

    import_records(app, tmp_path, [CHILD, PARENT])

    assert _confidant_rows(app) == sorted(
        [
            (
                "child-1", "parent-1", "PRIMARY", True,
                "VERIFICATION_NEEDED", "MANUAL_CREATED_BY_DOCTOR",
                (("BIRTH_CERTIFICATE", "BC-1"), ("BIRTH_CERTIFICATE_FOREIGN", "iab1")),
            ),
            ("child-1", "parent-2", "SECONDARY", False, "VERIFIED", None, ()),
        ],
        key=repr,
    )
    with app.app_context():
        graph = get_state(app).person_store.load("child-1")
    assert graph is not None
    assert graph.person == Person.from_mapping(CHILD)


def test_importing_twice_leaves_one_person(db_app, tmp_path):
    app = db_app()
    file = write_json(tmp_path, [CHILD, PARENT])
    first = run_cli(app, "import-persons", str(file))
    assert first.exit_code == 0, first.output
    counts = row_counts(app)

    again = run_cli(app, "import-persons", str(file))

    assert again.exit_code == 0, again.output
    assert row_counts(app) == counts
    assert _confidant_rows(app)[0][-1] == (("BIRTH_CERTIFICATE", "BC-1"), ("BIRTH_CERTIFICATE_FOREIGN", "iab1"))


def test_a_changed_record_replaces_its_children(db_app, tmp_path):
    app = db_app()
    import_records(app, tmp_path, [CHILD, PARENT])
    changed = person_record(
        "child-1",
        birth_date="2012-05-02",
        unzr="20120502-00017",
        status="inactive",
        documents=[{"type": "TAX_ID", "number": "123"}],
        authentication_methods=[{"type": "OFFLINE"}],
        confidant_person=[
            {
                "person_id": "parent-3",
                "relation_type": "PRIMARY",
                "documents_relationship": [{"type": "COURT_DECISION", "number": "CD-9"}],
                "verification_status": "VERIFIED",
            }
        ],
    )

    import_records(app, tmp_path, [changed])

    assert row_counts(app) == {
        "persons": 2,
        "person_documents": 2,  # child's TAX_ID, parent's PASSPORT
        "person_authentication_methods": 2,  # child's OFFLINE, parent's OFFLINE
        "confidant_person_relationships": 1,
        "confidant_person_relationship_documents": 1,
    }
    assert table_rows(app, "persons", "id", "status", "unzr") == sorted(
        [("child-1", "inactive", "20120502-00017"), ("parent-1", "active", "19900501-00017")], key=repr
    )
    assert table_rows(app, "person_documents", "person_id", "type") == sorted(
        [("child-1", "TAX_ID"), ("parent-1", "PASSPORT")], key=repr
    )
    assert table_rows(app, "person_authentication_methods", "person_id", "type") == [
        ("child-1", "OFFLINE"),
        ("parent-1", "OFFLINE"),
    ]
    assert _confidant_rows(app) == [
        ("child-1", "parent-3", "PRIMARY", True, "VERIFIED", None, (("COURT_DECISION", "CD-9"),))
    ]
    with app.app_context():
        assert get_state(app).person_store.load_person("child-1") == Person.from_mapping(changed)


def test_an_id_twice_in_one_file_keeps_one_person(db_app, tmp_path):
    app = db_app()
    older = person_record(documents=[{"type": "PASSPORT", "number": "old"}])
    newer = person_record(documents=[{"type": "PASSPORT", "number": "new"}, {"type": "TAX_ID"}])

    import_records(app, tmp_path, [older, newer])

    assert row_counts(app)["persons"] == 1
    assert table_rows(app, "person_documents", "type", "number") == [("PASSPORT", "new"), ("TAX_ID", None)]


def test_records_may_reference_persons_later_in_the_file(db_app, tmp_path):
    child = person_record(
        "child-1",
        authentication_methods=[{"type": "THIRD_PERSON", "value": "zz-guardian"}],
        confidant_person=[
            {"person_id": "zz-parent", "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "1"}]}
        ],
    )
    parent = person_record(
        "zz-parent",
        confidant_person=[{"person_id": "zz-guardian"}],  # and a chain further on
    )
    guardian = person_record("zz-guardian", authentication_methods=[{"type": "OFFLINE"}])
    app = db_app()

    import_records(app, tmp_path, [child, parent, guardian])

    assert row_counts(app)["persons"] == 3
    assert [row[:2] for row in _confidant_rows(app)] == [
        ("child-1", "zz-parent"),
        ("zz-parent", "zz-guardian"),
    ]
    with app.app_context():
        graph = get_state(app).person_store.load("child-1")
    assert graph is not None
    assert graph.third_persons == {"zz-guardian": Person.from_mapping(guardian)}


VALID = [person_record("person-1"), person_record("person-2")]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "json"),
        (b"\xff\xfe\x00garbage", "json"),
        ('{"id": "person-3", "status": "active"}', "list"),
        ('"person-3"', "list"),
    ],
    ids=["broken-json", "not-utf8", "an-object", "a-string"],
)
def test_a_file_that_is_not_a_json_list_fails_and_writes_nothing(db_app, tmp_path, content, fragment):
    app = db_app()
    import_records(app, tmp_path, [CHILD, PARENT])
    before = row_counts(app)
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")

    result = run_cli(app, "import-persons", str(path))

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert fragment in result.output.lower(), result.output
    assert row_counts(app) == before


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (person_record("person-3", birth_date="2012-13-45"), "birth_date"),
        (person_record("person-3", birth_date="not a date"), "birth_date"),
        (person_record("../x"), "id"),
        (person_record("person 3"), "id"),
        ({"status": "active", "is_active": True}, "id"),
        (person_record("person-3", documents="PASSPORT"), "documents"),
        (person_record("person-3", is_active="yes"), "is_active"),
        (person_record("person-3", confidant_person=[{"relation_type": "PRIMARY"}]), "person_id"),
        (
            person_record("person-3", authentication_methods=[{"type": "OFFLINE", "ended_at": "soon"}]),
            "ended_at",
        ),
        ("person-3", "record"),
    ],
    ids=[
        "impossible-birth-date", "text-birth-date", "path-id", "space-id", "no-id",
        "documents-not-a-list", "is_active-not-bool", "confidant-without-person", "bad-ended_at",
        "not-an-object",
    ],
)
def test_one_invalid_record_fails_the_file_and_writes_nothing(db_app, tmp_path, bad, fragment):
    app = db_app()
    import_records(app, tmp_path, [CHILD, PARENT])
    before = row_counts(app)
    persons_before = table_rows(app, "persons", "id", "status", "unzr")
    changed_child = person_record("child-1", status="inactive", documents=[])
    file = write_json(tmp_path, [changed_child, *VALID, bad, person_record("person-4")])

    result = run_cli(app, "import-persons", str(file))

    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert fragment in result.output, result.output
    assert row_counts(app) == before
    assert table_rows(app, "persons", "id", "status", "unzr") == persons_before


def test_a_record_the_database_refuses_is_reported_and_writes_nothing(db_app, tmp_path):
    """A value longer than its column: PostgreSQL refuses it; the import must fail cleanly.

    SQLite does not enforce VARCHAR lengths, so there the record may be
    imported, but then in full.
    """
    app = db_app()
    import_records(app, tmp_path, [PARENT])
    before = row_counts(app)
    long_type = "X" * 300
    file = write_json(tmp_path, [person_record(documents=[{"type": long_type}])])

    result = run_cli(app, "import-persons", str(file))

    if result.exit_code == 0:
        assert table_rows(app, "person_documents", "person_id", "type") == sorted(
            [("parent-1", "PASSPORT"), ("person-1", long_type)], key=repr
        )
    else:
        assert row_counts(app) == before
        assert result.output.strip(), f"no message, exception: {result.exception!r}"


# --- explain -------------------------------------------------------------------------------


def _lines(output: str) -> dict[str, str]:
    """Output lines by the document name that starts them."""
    return {line.split(":", 1)[0].strip(): line for line in output.splitlines() if ":" in line}


def test_explain_names_rules_and_storages(db_app, tmp_path, s3):
    birth = birth_date_for_age(16)
    app = db_app()
    import_records(
        app,
        tmp_path,
        [
            person_record(
                birth_date=birth.isoformat(),
                unzr="20000101-00017",
                documents=[
                    {"type": "PASSPORT", "number": "AA1"},
                    {"type": "PERMANENT_RESIDENCE_PERMIT", "number": "PR1"},
                    {"type": "TAX_ID", "number": "1"},
                ],
                authentication_methods=[{"type": "OFFLINE"}],
            )
        ],
    )
    s3.put_object(Bucket="person-requests", Key="person-1/person.PASSPORT.jpeg", Body=b"\xff\xd8")
    s3.put_object(
        Bucket="authentication-method-requests", Key="person-1/person.unzr.jpeg", Body=b"\xff\xd8"
    )

    result = run_cli(app, "explain", "person-1")

    assert result.exit_code == 0, result.output
    lines = _lines(result.output)
    assert set(lines) >= {
        "person.PASSPORT", "person.PERMANENT_RESIDENCE_PERMIT", "person.TAX_ID", "person.unzr"
    }
    passport = lines["person.PASSPORT"]
    assert "rule 4" in passport and "offline_authentication" in passport
    assert "person_requests" in passport
    permit = lines["person.PERMANENT_RESIDENCE_PERMIT"]
    assert "rule 3" in permit and "permanent_residence_permit" in permit
    assert "rule 4" in permit
    assert not any(storage in permit for storage in STORAGE_NAMES)
    tax = lines["person.TAX_ID"]
    assert "rule 4" in tax and not any(storage in tax for storage in STORAGE_NAMES)
    unzr = lines["person.unzr"]
    assert "rule 5" in unzr and "unzr_mismatch" in unzr
    assert "authentication_method_requests" in unzr
    assert "no documents are required" not in result.output


def test_explain_with_an_applicant_checks_the_relationship(db_app, tmp_path, s3):
    app = db_app(relationship_checker=DatabaseRelationshipChecker())
    import_records(app, tmp_path, [CHILD, PARENT])
    s3.put_object(
        Bucket="persons",
        Key="child-1/confidant_person.parent-1.documents_relationship.BIRTH_CERTIFICATE.jpeg",
        Body=b"\xff\xd8",
    )

    result = run_cli(app, "explain", "child-1", "--applicant", "parent-1")

    assert result.exit_code == 0, result.output
    assert "approved" in result.output
    lines = _lines(result.output)
    certificate = lines["confidant_person.parent-1.documents_relationship.BIRTH_CERTIFICATE"]
    assert "rule 1" in certificate and "confidant" in certificate
    assert "persons" in certificate
    foreign = lines["confidant_person.parent-1.documents_relationship.BIRTH_CERTIFICATE_FOREIGN"]
    assert "rule 1" in foreign and not any(storage in foreign for storage in STORAGE_NAMES)
    # The third person parent-1 authenticates OFFLINE: rule 4 for their documents.
    assert "rule 4" in lines["third_person.PASSPORT"]
    # BIRTH_CERTIFICATE_FOREIGN "I-AB 1" is shown as "iab1": rule 2 does not ask for it.
    assert "person.BIRTH_CERTIFICATE_FOREIGN" not in lines


def test_explain_says_when_no_documents_are_required(db_app, tmp_path, s3):
    app = db_app()
    import_records(app, tmp_path, [person_record(documents=[{"type": "PASSPORT", "number": "1"}])])

    result = run_cli(app, "explain", "person-1")

    assert result.exit_code == 0, result.output
    assert "no documents are required" in result.output
    assert "person.PASSPORT" not in result.output


@pytest.mark.parametrize("person_id", ["person-9", "person-1", "../x"], ids=["unknown", "inactive", "malformed"])
def test_explain_of_an_unknown_or_inactive_person_fails(db_app, tmp_path, s3, person_id):
    app = db_app()
    import_records(
        app, tmp_path, [person_record(status="inactive", authentication_methods=[{"type": "OFFLINE"}])]
    )

    result = run_cli(app, "explain", person_id)

    assert result.exit_code != 0
    assert NOT_FOUND_MESSAGE in result.output
