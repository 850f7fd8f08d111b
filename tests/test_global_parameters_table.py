"""PrmGlobalParametersLoader: the PRM ``global_parameters`` table drives the age rules."""
from __future__ import annotations

from typing import Any

import pytest

from conftest import bearer, person_record
from db_support import (  # noqa: F401  (fixtures)
    birth_date_for_age,
    database_url,
    db_app,
    import_records,
    set_global_parameters,
    unzr_for,
)
from flask_pis_documents import PrmGlobalParametersLoader

DEFAULTS = {
    "no_self_auth_age": "14",
    "no_self_registration_age": "14",
    "person_full_legal_capacity_age": "18",
}
PERMIT = "person.PERMANENT_RESIDENCE_PERMIT"
FOREIGN = "person.BIRTH_CERTIFICATE_FOREIGN"
MARRIAGE = "person.MARRIAGE_CERTIFICATE"


def _sixteen_year_old(*document_types: str) -> dict[str, Any]:
    birth = birth_date_for_age(16)
    return person_record(
        birth_date=birth.isoformat(),
        unzr=unzr_for(birth),
        documents=[{"type": t, "number": f"{t[:3]}-1"} for t in document_types],
    )


def _app(db_app: Any, tmp_path: Any, record: dict[str, Any], ttl: float | None = 0, **params: str) -> Any:
    config = {} if ttl is None else {"PIS_DOCUMENTS_GLOBAL_PARAMETERS_TTL": ttl}
    app = db_app(config, global_parameters_loader=PrmGlobalParametersLoader())
    import_records(app, tmp_path, [record])
    set_global_parameters(app, {**DEFAULTS, **params})
    return app


def _required(app: Any, token: Any) -> Any:
    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert response.status_code == 201, response.json
    return [d["type"] for d in response.json["data"]]


def test_the_loader_reads_the_three_string_values(db_app):
    app = db_app(global_parameters_loader=PrmGlobalParametersLoader())
    set_global_parameters(
        app,
        {**DEFAULTS, "no_self_auth_age": "15", "declaration_term": "40", "other": "not a number"},
    )

    with app.app_context():
        values = PrmGlobalParametersLoader()()

    assert dict(values) == {
        "no_self_auth_age": "15",
        "no_self_registration_age": "14",
        "person_full_legal_capacity_age": "18",
    }


@pytest.mark.parametrize(
    "no_self_auth_age, expected",
    [("14", [PERMIT]), ("16", [PERMIT]), ("17", [FOREIGN]), ("30", [FOREIGN])],
)
def test_no_self_auth_age_drives_rules_2_and_3(db_app, tmp_path, s3, token, no_self_auth_age, expected):
    record = _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT", "BIRTH_CERTIFICATE_FOREIGN")
    app = _app(db_app, tmp_path, record, no_self_auth_age=no_self_auth_age)

    assert _required(app, token) == expected


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, [MARRIAGE]),
        ({"no_self_registration_age": "15"}, [MARRIAGE]),
        ({"no_self_registration_age": "16"}, []),
        ({"person_full_legal_capacity_age": "17"}, [MARRIAGE]),
        ({"person_full_legal_capacity_age": "16"}, []),
    ],
    ids=["defaults", "registration-15", "registration-16", "capacity-17", "capacity-16"],
)
def test_the_two_other_ages_drive_rule_6(db_app, tmp_path, s3, token, params, expected):
    app = _app(db_app, tmp_path, _sixteen_year_old("MARRIAGE_CERTIFICATE"), **params)

    assert _required(app, token) == expected


def test_without_the_loader_the_table_is_not_read(db_app, tmp_path, s3, token):
    app = db_app()  # the PIS_DOCUMENTS_GLOBAL_PARAMETERS mapping: no_self_auth_age = 14
    import_records(app, tmp_path, [_sixteen_year_old("PERMANENT_RESIDENCE_PERMIT")])
    set_global_parameters(app, {**DEFAULTS, "no_self_auth_age": "17"})

    assert _required(app, token) == [PERMIT]


@pytest.mark.parametrize(
    "params",
    [
        {"no_self_auth_age": "fourteen"},
        {"no_self_registration_age": "14.5"},
        {"person_full_legal_capacity_age": ""},
        {"no_self_auth_age": "-1"},
    ],
    ids=["word", "fraction", "empty", "negative"],
)
def test_a_bad_value_in_the_table_answers_503(db_app, tmp_path, s3, token, params):
    app = _app(db_app, tmp_path, _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT"), **params)

    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))

    assert response.status_code == 503
    error = response.json["error"]
    assert error["type"] == "service_unavailable"
    assert "global parameters" in error["message"]
    assert response.json["meta"]["code"] == 503
    assert "Traceback" not in error["message"]


def test_a_missing_parameter_row_answers_503(db_app, tmp_path, s3, token):
    app = _app(db_app, tmp_path, _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT"))
    set_global_parameters(app, {k: v for k, v in DEFAULTS.items() if k != "no_self_auth_age"})

    response = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))

    assert response.status_code == 503
    assert "global parameters" in response.json["error"]["message"]


def test_within_the_ttl_the_cached_values_serve(db_app, tmp_path, s3, token):
    app = _app(db_app, tmp_path, _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT"), ttl=3600)
    assert _required(app, token) == [PERMIT]

    set_global_parameters(app, {**DEFAULTS, "no_self_auth_age": "17"})

    assert _required(app, token) == [PERMIT]


def test_with_ttl_0_every_request_reads_the_table(db_app, tmp_path, s3, token):
    app = _app(db_app, tmp_path, _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT"), ttl=0)
    assert _required(app, token) == [PERMIT]

    set_global_parameters(app, {**DEFAULTS, "no_self_auth_age": "17"})
    assert _required(app, token) == []

    set_global_parameters(app, {**DEFAULTS, "no_self_auth_age": "16"})
    assert _required(app, token) == [PERMIT]


def test_with_ttl_0_a_fixed_table_recovers_from_503(db_app, tmp_path, s3, token):
    app = _app(db_app, tmp_path, _sixteen_year_old("PERMANENT_RESIDENCE_PERMIT"), ttl=0,
               no_self_auth_age="x")
    failed = app.test_client().post("/api/pis/documents", headers=bearer(token(app)))
    assert failed.status_code == 503

    set_global_parameters(app, DEFAULTS)

    assert _required(app, token) == [PERMIT]
