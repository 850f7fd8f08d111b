"""Seed the demo persons and the PRM global parameters, idempotently.

``demo_persons.json`` holds person records in the contract's shape, with two
conveniences so that the demo never ages out of its rules:

- ``"age": N`` in place of ``birth_date``: the birth date becomes today (in
  the extension's time zone) minus N years minus half a year, so the person
  is N years old for months around the day the app starts;
- ``{birth_date}`` inside ``unzr`` is replaced by that date as ``YYYYMMDD``.

Keys starting with ``_`` are notes for readers and are dropped.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from flask_pis_documents.adapters.models import GlobalParameterRow, MpiBase
from flask_pis_documents.adapters.person_store import import_persons

#: Stored as strings, like the PRM ``global_parameters`` table stores them.
GLOBAL_PARAMETERS = {
    "no_self_auth_age": "14",
    "no_self_registration_age": "14",
    "person_full_legal_capacity_age": "18",
}
_HALF_YEAR = timedelta(days=183)


def years_before(day: date, years: int) -> date:
    """``day`` shifted ``years`` back; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def birth_date_for_age(age: int, today: date) -> date:
    """A birth date at which a person is ``age`` today and for about half a year either side."""
    return years_before(today, age) - _HALF_YEAR


def load_demo_records() -> list[dict[str, Any]]:
    """The raw records of ``demo_persons.json``."""
    text = resources.files(__package__).joinpath("demo_persons.json").read_text("utf-8")
    records = json.loads(text)
    if not isinstance(records, list):
        raise ValueError("demo_persons.json must hold a JSON list of person records")
    return records


def resolve_record(record: dict[str, Any], today: date) -> dict[str, Any]:
    """Turn one demo record into a plain person record for ``import_persons``."""
    resolved = {key: value for key, value in record.items() if not key.startswith("_")}
    age = resolved.pop("age", None)
    if age is not None:
        resolved["birth_date"] = birth_date_for_age(int(age), today).isoformat()
    unzr = resolved.get("unzr")
    if isinstance(unzr, str) and "{birth_date}" in unzr:
        birth = date.fromisoformat(resolved["birth_date"])
        resolved["unzr"] = unzr.replace("{birth_date}", birth.strftime("%Y%m%d"))
    return resolved


def demo_records(timezone: ZoneInfo) -> list[dict[str, Any]]:
    """The demo persons, resolved for today's date in ``timezone``."""
    today = datetime.now(timezone).date()
    return [resolve_record(record, today) for record in load_demo_records()]


def seed(engine: Engine, timezone: ZoneInfo) -> int:
    """Create the MPI/PRM tables and (re)write the demo persons and global parameters.

    Running it again replaces the demo persons by id and leaves other rows alone.

    :return: how many persons were written.
    """
    MpiBase.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        count = import_persons(session, demo_records(timezone))
        for parameter, value in GLOBAL_PARAMETERS.items():
            session.merge(GlobalParameterRow(parameter=parameter, value=value))
    return count
