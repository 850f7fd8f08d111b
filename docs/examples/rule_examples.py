"""Worked examples of the six rules, as the Rules page shows them.

Each example is a person record (in the shape a person loader returns), what
the token says about the applicant, what the relationship checker answers,
and the document names the endpoint returns when no storage holds any of
them yet. Ages are on :data:`REFERENCE_DAY`. ``tests/test_docs_examples.py``
runs every example through the endpoint, with the clock set to that day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: The day the ages below are counted on (in ``PIS_DOCUMENTS_TIMEZONE``).
REFERENCE_DAY = date(2026, 12, 4)


@dataclass(frozen=True)
class Example:
    person: dict[str, Any]
    expected: list[str]
    applicant: str | None = None
    relationship: str = "not_found"
    third_persons: list[dict[str, Any]] = field(default_factory=list)


def active(person_id: str, birth_date: str | None, **fields: Any) -> dict[str, Any]:
    """An active person record; ``fields`` adds documents, methods, confidants."""
    return {"id": person_id, "birth_date": birth_date, "status": "active",
            "is_active": True, **fields}


# start-rule-1
# An 11-year-old whose mother acts for her; the relationship check says "approved".
RULE_1 = Example(
    person=active(
        "child-1", "2015-06-01",
        documents=[{"type": "BIRTH_CERTIFICATE", "number": "I-KB 123456"}],
        confidant_person=[{
            "person_id": "mother-1", "relation_type": "PRIMARY",
            "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "I-KB 123456"}],
        }],
    ),
    applicant="mother-1",
    relationship="approved",
    expected=["confidant_person.mother-1.documents_relationship.BIRTH_CERTIFICATE"],
)
# The same request when the checker answers "not_found": nothing is asked.
RULE_1_NOT_FOUND = Example(person=RULE_1.person, applicant="mother-1",
                           relationship="not_found", expected=[])
# end-rule-1

# start-rule-2
# An 8-year-old born abroad: the foreign birth certificate is asked for...
RULE_2 = Example(
    person=active("child-2", "2018-09-10",
                  documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "PL 998877"}]),
    expected=["person.BIRTH_CERTIFICATE_FOREIGN"],
)
# ...unless a confidant already showed the same certificate (case and spaces ignored).
RULE_2_SHOWN = Example(
    person=active(
        "child-3", "2018-09-10",
        documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "PL 998877"}],
        confidant_person=[{
            "person_id": "father-3",
            "documents_relationship": [{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "pl998877"}],
        }],
    ),
    expected=[],
)
# end-rule-2

# start-rule-3
# A 36-year-old with a permanent residence permit.
RULE_3 = Example(
    person=active("adult-3", "1990-05-01", documents=[
        {"type": "PASSPORT", "number": "FX123456"},
        {"type": "PERMANENT_RESIDENCE_PERMIT", "number": "PRP-0042"},
    ]),
    expected=["person.PERMANENT_RESIDENCE_PERMIT"],
)
# end-rule-3

# start-rule-4
# Offline authentication: every document of the person.
RULE_4 = Example(
    person=active("adult-4", "1985-11-30",
                  documents=[{"type": "PASSPORT", "number": "AA1"},
                             {"type": "TAX_ID", "number": "1234567890"}],
                  authentication_methods=[{"type": "OFFLINE"}]),
    expected=["person.PASSPORT", "person.TAX_ID"],
)
# A THIRD_PERSON method whose third person authenticates offline:
# every document of the third person.
RULE_4_THIRD_PERSON = Example(
    person=active("ward-4", "1950-01-15",
                  documents=[{"type": "PASSPORT", "number": "AB2"}],
                  authentication_methods=[{"type": "THIRD_PERSON", "value": "guardian-4"}]),
    third_persons=[active("guardian-4", "1975-07-07",
                          documents=[{"type": "NATIONAL_ID", "number": "000111222"}],
                          authentication_methods=[{"type": "OFFLINE"}])],
    expected=["third_person.NATIONAL_ID"],
)
# end-rule-4

# start-rule-5
# The unzr's date part (20000101) is not the birth date (2000-01-02).
RULE_5 = Example(
    person=active("adult-5", "2000-01-02", unzr="20000101-00017",
                  documents=[{"type": "PASSPORT", "number": "AC3"}]),
    expected=["person.unzr"],
)
# end-rule-5

# start-rule-6
# A 16-year-old with a marriage certificate: 14 < 16 < 18.
RULE_6 = Example(
    person=active("teen-6", "2010-02-20", documents=[
        {"type": "PASSPORT", "number": "AD4"},
        {"type": "MARRIAGE_CERTIFICATE", "number": "MC-77"},
    ]),
    expected=["person.MARRIAGE_CERTIFICATE"],
)
# end-rule-6

# start-combined
# Rules 4 and 6 both ask for the marriage certificate: it is asked for once.
COMBINED = Example(
    person=active("teen-7", "2010-02-20",
                  documents=[{"type": "PASSPORT", "number": "AE5"},
                             {"type": "MARRIAGE_CERTIFICATE", "number": "MC-78"}],
                  authentication_methods=[{"type": "OFFLINE"}]),
    expected=["person.PASSPORT", "person.MARRIAGE_CERTIFICATE"],
)
# end-combined

# start-decisions
# No birth date: the age rules (2, 3, 6) are skipped, and rule 5 counts a mismatch.
NO_BIRTH_DATE = Example(
    person=active("nobody-8", None, unzr="20120501-00017", documents=[
        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "X1"},
        {"type": "PERMANENT_RESIDENCE_PERMIT", "number": "X2"},
    ]),
    expected=["person.unzr"],
)
# A birth date in the future counts as missing for the age rules.
FUTURE_BIRTH_DATE = Example(
    person=active("future-9", "2030-01-01",
                  documents=[{"type": "PERMANENT_RESIDENCE_PERMIT", "number": "X3"}]),
    expected=[],
)
# An empty document number never matches in rule 2.
EMPTY_NUMBER = Example(
    person=active(
        "child-10", "2018-09-10",
        documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": ""}],
        confidant_person=[{"person_id": "mother-10", "documents_relationship": [
            {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": ""}]}],
    ),
    expected=["person.BIRTH_CERTIFICATE_FOREIGN"],
)
# A third person who cannot be loaded adds nothing (and is logged).
MISSING_THIRD_PERSON = Example(
    person=active("ward-11", "1950-01-15",
                  documents=[{"type": "PASSPORT", "number": "AF6"}],
                  authentication_methods=[{"type": "THIRD_PERSON", "value": "gone-11"}]),
    expected=[],
)
# A document type unfit for an object key is skipped (and logged).
UNSAFE_TYPE = Example(
    person=active("adult-12", "1980-03-03",
                  documents=[{"type": "PASSPORT", "number": "AG7"},
                             {"type": "../../etc", "number": "X4"}],
                  authentication_methods=[{"type": "OFFLINE"}]),
    expected=["person.PASSPORT"],
)
# end-decisions

ALL = {
    name: value for name, value in globals().items()
    if isinstance(value, Example)
}
