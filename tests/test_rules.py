"""``required_documents``: the six rules, applied to a person record."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_pis_documents.domain import (
    GlobalParameters,
    Person,
    RequiredDocument,
    RuleInputs,
    required_documents,
)

TODAY = date(2024, 6, 15)
NOW = datetime(2024, 6, 15, 9, 0, tzinfo=timezone.utc)
DEFAULTS = GlobalParameters(
    no_self_auth_age=14, no_self_registration_age=14, person_full_legal_capacity_age=18
)
LEGAL_CAPACITY_TYPES = frozenset(
    {
        "DIVORCE_CERTIFICATE",
        "MARRIAGE_CERTIFICATE",
        "STATE_REGISTER_EXTRACT",
        "COURT_DECISION_LEGAL_CAPACITY",
        "COURT_DECISION_DIVORCE",
        "GUARDIANSHIP_DECISION_LEGAL_CAPACITY",
        "LEGAL_CAPACITY_DOCUMENT",
    }
)
UNSAFE_TYPES = ["a/b", "..", "A B", "ПАСПОРТ", "PASS.PORT", "PASSPORT\n", "", None, 7]
OFFLINE = {"type": "OFFLINE"}
APPLICANT = "applicant-1"


def born(age: int, days_to_birthday: int = 0) -> str:
    """A birth date (ISO) giving ``age`` on TODAY, the next birthday ``days_to_birthday`` ahead.

    ``days_to_birthday=0`` is a birthday today; ``1`` makes TODAY the day before one.
    """
    birthday = TODAY + timedelta(days=days_to_birthday)
    years = age + (1 if days_to_birthday else 0)
    return birthday.replace(year=birthday.year - years).isoformat()


def docs(*types: Any) -> list[dict[str, Any]]:
    return [{"type": t, "number": f"N{i}"} for i, t in enumerate(types)]


def person(**fields: Any) -> Person:
    """An active adult (34) without unzr, documents or methods, updated with ``fields``."""
    record: dict[str, Any] = {
        "id": "person-1",
        "birth_date": "1990-05-01",
        "status": "active",
        "is_active": True,
    }
    record.update(fields)
    return Person.from_mapping(record)


def required(subject: Person, **inputs: Any) -> list[RequiredDocument]:
    inputs.setdefault("today", TODAY)
    inputs.setdefault("now", NOW)
    inputs.setdefault("parameters", DEFAULTS)
    inputs.setdefault("legal_capacity_document_types", LEGAL_CAPACITY_TYPES)
    return required_documents(subject, RuleInputs(**inputs))


def req(name: str, *rules: int) -> RequiredDocument:
    return RequiredDocument(name, rules)


def test_born_helper() -> None:
    assert born(14) == "2010-06-15"
    assert born(13, days_to_birthday=1) == "2010-06-16"


def test_nothing_required_for_a_plain_adult() -> None:
    assert required(person(documents=docs("PASSPORT"))) == []


class TestRule1Confidant:
    @staticmethod
    def with_confidants(*entries: dict[str, Any]) -> Person:
        return person(confidant_person=list(entries))

    def test_fires_for_an_approved_applicant(self) -> None:
        subject = self.with_confidants(
            {
                "person_id": APPLICANT,
                "documents_relationship": docs("BIRTH_CERTIFICATE", "COURT_ORDER"),
            }
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == [
            req("confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE", 1),
            req("confidant_person.applicant-1.documents_relationship.COURT_ORDER", 1),
        ]

    def test_does_not_fire_when_the_relationship_is_not_ok(self) -> None:
        subject = self.with_confidants(
            {"person_id": APPLICANT, "documents_relationship": docs("BIRTH_CERTIFICATE")}
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=False) == []

    def test_does_not_fire_without_an_applicant(self) -> None:
        subject = self.with_confidants(
            {"person_id": APPLICANT, "documents_relationship": docs("BIRTH_CERTIFICATE")}
        )
        assert required(subject, applicant_id=None, relationship_ok=True) == []

    @pytest.mark.parametrize(
        "applicant", ["../applicant", "applicant 1", "-applicant", "", "x" * 129]
    )
    def test_an_unsafe_applicant_id_skips_the_rule(self, applicant: str) -> None:
        subject = self.with_confidants(
            {"person_id": applicant, "documents_relationship": docs("BIRTH_CERTIFICATE")}
        )
        assert required(subject, applicant_id=applicant, relationship_ok=True) == []

    def test_only_the_active_entry_of_that_applicant(self) -> None:
        subject = self.with_confidants(
            {"person_id": "other-1", "documents_relationship": docs("OTHER_PERSONS")},
            {
                "person_id": APPLICANT,
                "is_active": False,
                "documents_relationship": docs("INACTIVE"),
            },
            {
                "person_id": APPLICANT,
                "active_to": "2024-06-15T09:00:00Z",
                "documents_relationship": docs("ENDED_NOW"),
            },
            {
                "person_id": APPLICANT,
                "active_to": "2020-01-01",
                "documents_relationship": docs("ENDED"),
            },
            {
                "person_id": APPLICANT,
                "active_to": "2024-06-15T09:00:01Z",
                "documents_relationship": docs("ACTIVE"),
            },
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == [
            req("confidant_person.applicant-1.documents_relationship.ACTIVE", 1)
        ]

    def test_an_applicant_without_an_entry_needs_nothing(self) -> None:
        subject = self.with_confidants(
            {"person_id": "other-1", "documents_relationship": docs("BIRTH_CERTIFICATE")}
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == []

    def test_an_entry_without_documents_needs_nothing(self) -> None:
        subject = self.with_confidants({"person_id": APPLICANT})
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == []

    def test_the_same_type_twice_is_asked_once(self) -> None:
        subject = self.with_confidants(
            {
                "person_id": APPLICANT,
                "documents_relationship": docs("BIRTH_CERTIFICATE", "BIRTH_CERTIFICATE"),
            }
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == [
            req("confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE", 1)
        ]


class TestRule2BirthCertificateForeign:
    NAME = "person.BIRTH_CERTIFICATE_FOREIGN"

    @staticmethod
    def child(
        number: Any = "AB 123", *, age: int = 10, relationship_docs: Any = (), **fields: Any
    ) -> Person:
        return person(
            birth_date=born(age),
            documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": number}],
            confidant_person=[
                {"person_id": "conf-1", "documents_relationship": list(relationship_docs)}
            ],
            **fields,
        )

    def test_fires_the_day_before_the_14th_birthday(self) -> None:
        subject = person(
            birth_date=born(13, days_to_birthday=1),
            documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB123"}],
        )
        assert required(subject) == [req(self.NAME, 2)]

    def test_does_not_fire_on_the_14th_birthday(self) -> None:
        assert required(self.child(age=14)) == []

    def test_fires_for_a_person_born_today(self) -> None:
        assert required(self.child(age=0)) == [req(self.NAME, 2)]

    def test_does_not_fire_without_such_a_document(self) -> None:
        subject = person(birth_date=born(10), documents=docs("BIRTH_CERTIFICATE"))
        assert required(subject) == []

    @pytest.mark.parametrize("shown", ["AB 123", "ab123", "AB123", " a b 1 2 3 ", "Ab 12 3"])
    def test_does_not_fire_when_shown_as_a_relationship_document(self, shown: str) -> None:
        subject = self.child(
            "AB 123", relationship_docs=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": shown}]
        )
        assert required(subject) == []

    def test_fires_when_the_number_differs(self) -> None:
        subject = self.child(
            "AB 123", relationship_docs=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB 124"}]
        )
        assert required(subject) == [req(self.NAME, 2)]

    def test_fires_when_the_same_number_has_another_type(self) -> None:
        subject = self.child(
            "AB 123", relationship_docs=[{"type": "BIRTH_CERTIFICATE", "number": "AB 123"}]
        )
        assert required(subject) == [req(self.NAME, 2)]

    @pytest.mark.parametrize("number", ["", "   ", None])
    def test_an_empty_number_never_matches(self, number: Any) -> None:
        subject = self.child(
            number, relationship_docs=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": number}]
        )
        assert required(subject) == [req(self.NAME, 2)]

    def test_all_confidant_entries_are_searched(self) -> None:
        subject = person(
            birth_date=born(10),
            documents=[{"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB 123"}],
            confidant_person=[
                {"person_id": "conf-1", "documents_relationship": docs("BIRTH_CERTIFICATE")},
                {
                    "person_id": "conf-2",
                    "is_active": False,
                    "active_to": "2020-01-01",
                    "documents_relationship": [
                        {"type": "PASSPORT", "number": "X"},
                        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "ab123"},
                    ],
                },
            ],
        )
        assert required(subject) == []

    def test_one_unmatched_certificate_is_enough_and_asked_once(self) -> None:
        subject = person(
            birth_date=born(10),
            documents=[
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB 123"},
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "CD 456"},
            ],
            confidant_person=[
                {
                    "person_id": "conf-1",
                    "documents_relationship": [
                        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB123"}
                    ],
                }
            ],
        )
        assert required(subject) == [req(self.NAME, 2)]

    def test_every_certificate_matched_needs_nothing(self) -> None:
        subject = person(
            birth_date=born(10),
            documents=[
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB 123"},
                {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "CD 456"},
            ],
            confidant_person=[
                {
                    "person_id": "conf-1",
                    "documents_relationship": [
                        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "AB123"}
                    ],
                },
                {
                    "person_id": "conf-2",
                    "documents_relationship": [
                        {"type": "BIRTH_CERTIFICATE_FOREIGN", "number": "cd456"}
                    ],
                },
            ],
        )
        assert required(subject) == []

    @pytest.mark.parametrize(("age", "expected"), [(15, [req(NAME, 2)]), (16, [])])
    def test_honours_no_self_auth_age(self, age: int, expected: list[RequiredDocument]) -> None:
        parameters = GlobalParameters(16, 15, 19)
        assert required(self.child(age=age), parameters=parameters) == expected


class TestRule3PermanentResidencePermit:
    NAME = "person.PERMANENT_RESIDENCE_PERMIT"

    @staticmethod
    def holder(birth_date: str, *types: str) -> Person:
        return person(birth_date=birth_date, documents=docs(*types))

    def test_fires_on_the_14th_birthday(self) -> None:
        assert required(self.holder(born(14), "PERMANENT_RESIDENCE_PERMIT")) == [req(self.NAME, 3)]

    def test_fires_for_an_adult(self) -> None:
        assert required(self.holder(born(40), "PASSPORT", "PERMANENT_RESIDENCE_PERMIT")) == [
            req(self.NAME, 3)
        ]

    def test_does_not_fire_the_day_before_the_14th_birthday(self) -> None:
        subject = self.holder(born(13, days_to_birthday=1), "PERMANENT_RESIDENCE_PERMIT")
        assert required(subject) == []

    def test_does_not_fire_without_such_a_document(self) -> None:
        assert required(self.holder(born(40), "PASSPORT", "TEMPORARY_PERMIT")) == []

    @pytest.mark.parametrize(("age", "expected"), [(15, []), (16, [req(NAME, 3)])])
    def test_honours_no_self_auth_age(self, age: int, expected: list[RequiredDocument]) -> None:
        subject = self.holder(born(age), "PERMANENT_RESIDENCE_PERMIT")
        assert required(subject, parameters=GlobalParameters(16, 15, 19)) == expected


class TestRule4OfflineAuthentication:
    @staticmethod
    def third(*methods: dict[str, Any], documents: Any = ("PASSPORT", "TAX_ID")) -> Person:
        return Person.from_mapping(
            {
                "id": "third-1",
                "status": "active",
                "is_active": True,
                "documents": docs(*documents),
                "authentication_methods": list(methods),
            }
        )

    @staticmethod
    def via_third_person(**method: Any) -> Person:
        return person(
            documents=docs("PASSPORT"),
            authentication_methods=[{"type": "THIRD_PERSON", "value": "third-1", **method}],
        )

    def test_active_offline_asks_every_person_document(self) -> None:
        subject = person(
            documents=docs("PASSPORT", "TAX_ID", "BIRTH_CERTIFICATE"),
            authentication_methods=[{"type": "OTP"}, OFFLINE],
        )
        assert required(subject) == [
            req("person.PASSPORT", 4),
            req("person.TAX_ID", 4),
            req("person.BIRTH_CERTIFICATE", 4),
        ]

    def test_offline_ending_in_the_future_counts(self) -> None:
        subject = person(
            documents=docs("PASSPORT"),
            authentication_methods=[{"type": "OFFLINE", "ended_at": "2024-06-15T09:00:01Z"}],
        )
        assert required(subject) == [req("person.PASSPORT", 4)]

    @pytest.mark.parametrize(
        "offline",
        [
            {"type": "OFFLINE", "is_active": False},
            {"type": "OFFLINE", "ended_at": "2024-06-15T09:00:00Z"},
            {"type": "OFFLINE", "ended_at": "2020-01-01"},
            {"type": "OFFLINE", "ended_at": "unreadable"},
            {"type": "OFFLINE", "is_active": False, "ended_at": "2030-01-01"},
        ],
    )
    def test_inactive_or_ended_offline_does_not_count(self, offline: dict[str, Any]) -> None:
        assert required(person(documents=docs("PASSPORT"), authentication_methods=[offline])) == []

    @pytest.mark.parametrize("method_type", ["OTP", "NA", "offline", None])
    def test_other_methods_do_not_count(self, method_type: Any) -> None:
        subject = person(documents=docs("PASSPORT"), authentication_methods=[{"type": method_type}])
        assert required(subject) == []

    def test_offline_without_documents_needs_nothing(self) -> None:
        assert required(person(authentication_methods=[OFFLINE])) == []

    def test_third_person_with_active_offline(self) -> None:
        third_persons = {"third-1": self.third(OFFLINE)}
        assert required(self.via_third_person(), third_persons=third_persons) == [
            req("third_person.PASSPORT", 4),
            req("third_person.TAX_ID", 4),
        ]

    @pytest.mark.parametrize(
        "third_method",
        [
            {"type": "OTP"},
            {"type": "OFFLINE", "is_active": False},
            {"type": "OFFLINE", "ended_at": "2024-06-01T00:00:00Z"},
            {"type": "THIRD_PERSON", "value": "someone-else"},
        ],
    )
    def test_third_person_without_active_offline_adds_nothing(
        self, third_method: dict[str, Any]
    ) -> None:
        third_persons = {"third-1": self.third(third_method)}
        assert required(self.via_third_person(), third_persons=third_persons) == []

    @pytest.mark.parametrize("third_persons", [{"third-1": None}, {}])
    def test_a_third_person_that_could_not_be_loaded_adds_nothing(
        self, third_persons: dict[str, Person | None]
    ) -> None:
        assert required(self.via_third_person(), third_persons=third_persons) == []

    @pytest.mark.parametrize(
        "method",
        [{"is_active": False}, {"ended_at": "2024-06-15T09:00:00Z"}, {"ended_at": "2020-01-01"}],
    )
    def test_inactive_or_ended_third_person_method_does_not_count(
        self, method: dict[str, Any]
    ) -> None:
        third_persons = {"third-1": self.third(OFFLINE)}
        assert required(self.via_third_person(**method), third_persons=third_persons) == []

    def test_unsafe_third_person_id_does_not_count(self) -> None:
        subject = person(authentication_methods=[{"type": "THIRD_PERSON", "value": "../third"}])
        third_persons = {"../third": self.third(OFFLINE)}
        assert required(subject, third_persons=third_persons) == []

    def test_own_and_third_person_offline_together(self) -> None:
        subject = person(
            documents=docs("PASSPORT"),
            authentication_methods=[
                {"type": "THIRD_PERSON", "value": "third-1"},
                {"type": "THIRD_PERSON", "value": "third-1"},
                OFFLINE,
            ],
        )
        third_persons = {"third-1": self.third(OFFLINE, documents=("PASSPORT",))}
        assert required(subject, third_persons=third_persons) == [
            req("person.PASSPORT", 4),
            req("third_person.PASSPORT", 4),
        ]

    def test_two_third_persons_with_the_same_document_type(self) -> None:
        subject = person(
            authentication_methods=[
                {"type": "THIRD_PERSON", "value": "third-1"},
                {"type": "THIRD_PERSON", "value": "third-2"},
            ]
        )
        third_persons = {
            "third-1": self.third(OFFLINE, documents=("PASSPORT",)),
            "third-2": self.third(OFFLINE, documents=("TAX_ID", "PASSPORT")),
        }
        assert required(subject, third_persons=third_persons) == [
            req("third_person.PASSPORT", 4),
            req("third_person.TAX_ID", 4),
        ]


class TestRule5Unzr:
    @pytest.mark.parametrize("unzr", ["20120501-00017", "20120501", "2012050100017"])
    def test_matching_unzr_needs_nothing(self, unzr: str) -> None:
        assert required(person(birth_date="2012-05-01", unzr=unzr)) == []

    @pytest.mark.parametrize(
        "unzr", ["20120502-00017", "20110501-00017", "2012-05-01", "2012050", "x"]
    )
    def test_mismatching_unzr_fires(self, unzr: str) -> None:
        assert required(person(birth_date="2012-05-01", unzr=unzr)) == [req("person.unzr", 5)]

    @pytest.mark.parametrize("unzr", ["", None, 20120502])
    def test_empty_or_missing_unzr_never_fires(self, unzr: Any) -> None:
        assert required(person(birth_date="2012-05-01", unzr=unzr)) == []

    def test_missing_unzr_field_never_fires(self) -> None:
        assert required(person(birth_date=None)) == []

    @pytest.mark.parametrize(
        "birth_date", [None, "", "2012-13-01", "2012-02-30", "01.05.2012", 20120501]
    )
    def test_missing_or_invalid_birth_date_counts_as_a_mismatch(self, birth_date: Any) -> None:
        assert required(person(birth_date=birth_date, unzr="20120501-00017")) == [
            req("person.unzr", 5)
        ]

    def test_missing_birth_date_field_counts_as_a_mismatch(self) -> None:
        record = {"id": "person-1", "status": "active", "is_active": True, "unzr": "20120501-00017"}
        assert required(Person.from_mapping(record)) == [req("person.unzr", 5)]


class TestRule6LegalCapacity:
    @staticmethod
    def aged(age: int, *types: str, days_to_birthday: int = 0) -> Person:
        return person(birth_date=born(age, days_to_birthday), documents=docs(*types))

    @pytest.mark.parametrize(
        ("age", "days_to_birthday", "fires"),
        [
            (14, 0, False),  # the 14th birthday: not above no_self_registration_age
            (14, 1, False),  # the day before the 15th birthday
            (15, 0, True),
            (17, 1, True),  # the day before the 18th birthday
            (18, 0, False),  # the 18th birthday: not below person_full_legal_capacity_age
        ],
    )
    def test_both_bounds_are_strict(self, age: int, days_to_birthday: int, fires: bool) -> None:
        subject = self.aged(age, "DIVORCE_CERTIFICATE", days_to_birthday=days_to_birthday)
        expected = [req("person.DIVORCE_CERTIFICATE", 6)] if fires else []
        assert required(subject) == expected

    def test_only_types_in_the_configured_set(self) -> None:
        subject = self.aged(
            16, "PASSPORT", "MARRIAGE_CERTIFICATE", "TAX_ID", "COURT_DECISION_DIVORCE"
        )
        assert required(subject) == [
            req("person.MARRIAGE_CERTIFICATE", 6),
            req("person.COURT_DECISION_DIVORCE", 6),
        ]

    @pytest.mark.parametrize("doc_type", sorted(LEGAL_CAPACITY_TYPES))
    def test_every_default_type(self, doc_type: str) -> None:
        assert required(self.aged(16, doc_type)) == [req(f"person.{doc_type}", 6)]

    def test_a_configured_set_replaces_the_default(self) -> None:
        subject = self.aged(16, "DIVORCE_CERTIFICATE", "CUSTOM_CAPACITY")
        assert required(subject, legal_capacity_document_types={"CUSTOM_CAPACITY"}) == [
            req("person.CUSTOM_CAPACITY", 6)
        ]

    def test_an_empty_set_asks_nothing(self) -> None:
        subject = self.aged(16, "DIVORCE_CERTIFICATE")
        assert required(subject, legal_capacity_document_types=()) == []

    def test_the_same_type_twice_is_asked_once(self) -> None:
        subject = self.aged(16, "DIVORCE_CERTIFICATE", "DIVORCE_CERTIFICATE")
        assert required(subject) == [req("person.DIVORCE_CERTIFICATE", 6)]

    @pytest.mark.parametrize(
        ("age", "fires"), [(14, False), (15, False), (16, True), (18, True), (19, False)]
    )
    def test_honours_the_configured_ages(self, age: int, fires: bool) -> None:
        # no_self_registration_age = 15, person_full_legal_capacity_age = 19
        subject = self.aged(age, "DIVORCE_CERTIFICATE")
        expected = [req("person.DIVORCE_CERTIFICATE", 6)] if fires else []
        assert required(subject, parameters=GlobalParameters(16, 15, 19)) == expected


class TestBirthDateAndAgeRules:
    AGE_RULE_DOCUMENTS = docs(
        "BIRTH_CERTIFICATE_FOREIGN", "PERMANENT_RESIDENCE_PERMIT", "DIVORCE_CERTIFICATE"
    )

    @pytest.mark.parametrize(
        "birth_date", [None, "", "garbage", "2012-02-30", 20120501, "2024-06-16", "2030-01-01"]
    )
    def test_missing_invalid_or_future_birth_date_skips_rules_2_3_6(self, birth_date: Any) -> None:
        subject = person(birth_date=birth_date, documents=self.AGE_RULE_DOCUMENTS)
        assert required(subject) == []

    @pytest.mark.parametrize(
        ("birth_date", "expected"),
        [
            (born(10), [req("person.BIRTH_CERTIFICATE_FOREIGN", 2)]),
            (
                born(16),
                [req("person.PERMANENT_RESIDENCE_PERMIT", 3), req("person.DIVORCE_CERTIFICATE", 6)],
            ),
            (born(30), [req("person.PERMANENT_RESIDENCE_PERMIT", 3)]),
        ],
    )
    def test_a_valid_birth_date_applies_them(
        self, birth_date: str, expected: list[RequiredDocument]
    ) -> None:
        subject = person(birth_date=birth_date, documents=self.AGE_RULE_DOCUMENTS)
        assert required(subject) == expected


class TestNamesAndOrder:
    def test_rules_4_and_6_on_the_same_name(self) -> None:
        subject = person(
            birth_date=born(16),
            documents=docs("DIVORCE_CERTIFICATE"),
            authentication_methods=[OFFLINE],
        )
        assert required(subject) == [req("person.DIVORCE_CERTIFICATE", 4, 6)]

    def test_rules_2_and_4_on_the_same_name(self) -> None:
        subject = person(
            birth_date=born(10),
            documents=docs("BIRTH_CERTIFICATE_FOREIGN"),
            authentication_methods=[OFFLINE],
        )
        assert required(subject) == [req("person.BIRTH_CERTIFICATE_FOREIGN", 2, 4)]

    def test_every_rule_at_once_in_the_order_first_asked(self) -> None:
        subject = person(
            birth_date=born(16),
            unzr="19990101-00001",
            documents=docs("PASSPORT", "DIVORCE_CERTIFICATE", "PERMANENT_RESIDENCE_PERMIT"),
            authentication_methods=[OFFLINE, {"type": "THIRD_PERSON", "value": "third-1"}],
            confidant_person=[
                {"person_id": APPLICANT, "documents_relationship": docs("BIRTH_CERTIFICATE")}
            ],
        )
        third = Person.from_mapping(
            {"id": "third-1", "documents": docs("PASSPORT"), "authentication_methods": [OFFLINE]}
        )
        assert required(
            subject, applicant_id=APPLICANT, relationship_ok=True, third_persons={"third-1": third}
        ) == [
            req("confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE", 1),
            req("person.PERMANENT_RESIDENCE_PERMIT", 3, 4),
            req("person.PASSPORT", 4),
            req("person.DIVORCE_CERTIFICATE", 4, 6),
            req("third_person.PASSPORT", 4),
            req("person.unzr", 5),
        ]


class TestUnsafeDocumentTypes:
    """A type that is not ``[A-Za-z0-9_]+`` never reaches a name, whichever rule reads it."""

    @pytest.mark.parametrize("bad", UNSAFE_TYPES)
    def test_rule_1(self, bad: Any) -> None:
        subject = person(
            confidant_person=[
                {"person_id": APPLICANT, "documents_relationship": docs(bad, "BIRTH_CERTIFICATE")}
            ]
        )
        assert required(subject, applicant_id=APPLICANT, relationship_ok=True) == [
            req("confidant_person.applicant-1.documents_relationship.BIRTH_CERTIFICATE", 1)
        ]

    @pytest.mark.parametrize("bad", UNSAFE_TYPES)
    def test_rules_2_and_3(self, bad: Any) -> None:
        for age, expected in [
            (10, [req("person.BIRTH_CERTIFICATE_FOREIGN", 2)]),
            (30, [req("person.PERMANENT_RESIDENCE_PERMIT", 3)]),
        ]:
            subject = person(
                birth_date=born(age),
                documents=docs(bad, "BIRTH_CERTIFICATE_FOREIGN", "PERMANENT_RESIDENCE_PERMIT"),
            )
            assert required(subject) == expected

    @pytest.mark.parametrize("bad", UNSAFE_TYPES)
    def test_rule_4_person(self, bad: Any) -> None:
        subject = person(documents=docs(bad, "PASSPORT"), authentication_methods=[OFFLINE])
        assert required(subject) == [req("person.PASSPORT", 4)]

    @pytest.mark.parametrize("bad", UNSAFE_TYPES)
    def test_rule_4_third_person(self, bad: Any) -> None:
        subject = person(authentication_methods=[{"type": "THIRD_PERSON", "value": "third-1"}])
        third = person(
            id="third-1", documents=docs(bad, "PASSPORT"), authentication_methods=[OFFLINE]
        )
        assert required(subject, third_persons={"third-1": third}) == [
            req("third_person.PASSPORT", 4)
        ]

    @pytest.mark.parametrize("bad", UNSAFE_TYPES)
    def test_rule_5(self, bad: Any) -> None:
        subject = person(birth_date="2012-05-01", unzr="20120502-1", documents=docs(bad))
        assert required(subject) == [req("person.unzr", 5)]

    @pytest.mark.parametrize("bad", [t for t in UNSAFE_TYPES if isinstance(t, str)])
    def test_rule_6_even_when_configured(self, bad: str) -> None:
        subject = person(birth_date=born(16), documents=docs(bad, "DIVORCE_CERTIFICATE"))
        types = {bad, "DIVORCE_CERTIFICATE"}
        assert required(subject, legal_capacity_document_types=types) == [
            req("person.DIVORCE_CERTIFICATE", 6)
        ]


# ---------------------------------------------------------------------------
# Property: whatever the record, every name is well formed and appears once.

NAME = re.compile(
    r"(?:person|third_person)\.[A-Za-z0-9_]+"
    r"|person\.unzr"
    r"|confidant_person\.[A-Za-z0-9][A-Za-z0-9_-]{0,127}\.documents_relationship\.[A-Za-z0-9_]+"
)
PERSON_IDS = ["person-1", APPLICANT, "third-1", "third-2", "../x", "a b", "", "x" * 129]
DOCUMENT_TYPES = [
    "PASSPORT",
    "BIRTH_CERTIFICATE",
    "BIRTH_CERTIFICATE_FOREIGN",
    "PERMANENT_RESIDENCE_PERMIT",
    "DIVORCE_CERTIFICATE",
    *UNSAFE_TYPES,
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)
ids = st.sampled_from(PERSON_IDS) | st.text(max_size=12) | json_values
types = st.sampled_from(DOCUMENT_TYPES) | st.text(max_size=12) | json_values
numbers = st.sampled_from(["AB 123", "ab123", "", " "]) | json_values
moments = (
    st.none()
    | st.datetimes(timezones=st.just(timezone.utc)).map(datetime.isoformat)
    | st.dates().map(date.isoformat)
    | json_values
)
birth_dates = st.dates(max_value=date(2030, 1, 1)).map(date.isoformat) | json_values
unzrs = (
    st.builds(lambda d, s: d.strftime("%Y%m%d") + s, st.dates(), st.text(max_size=6))
    | json_values
)
flags = st.booleans() | json_values
document = st.fixed_dictionaries({}, optional={"type": types, "number": numbers})
method = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["OFFLINE", "THIRD_PERSON", "OTP", "NA"]) | json_values,
        "value": ids,
        "is_active": flags,
        "ended_at": moments,
    },
)
confidant = st.fixed_dictionaries(
    {},
    optional={
        "person_id": ids,
        "is_active": flags,
        "active_to": moments,
        "documents_relationship": st.lists(document | json_values, max_size=3) | json_values,
    },
)
records = st.fixed_dictionaries(
    {},
    optional={
        "id": ids,
        "birth_date": birth_dates,
        "unzr": unzrs,
        "status": st.just("active") | json_values,
        "is_active": flags,
        "documents": st.lists(document | json_values, max_size=4) | json_values,
        "authentication_methods": st.lists(method | json_values, max_size=3) | json_values,
        "confidant_person": st.lists(confidant | json_values, max_size=3) | json_values,
    },
)
persons = records.map(Person.from_mapping)
parameters = st.builds(
    GlobalParameters, st.integers(0, 25), st.integers(0, 25), st.integers(0, 25)
)


@given(
    subject=persons,
    today=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    parameters=parameters,
    legal_types=st.frozensets(types.filter(lambda t: isinstance(t, str)), max_size=4),
    applicant=st.none() | ids.filter(lambda i: isinstance(i, str)),
    relationship_ok=st.booleans(),
    third_persons=st.dictionaries(
        st.sampled_from(PERSON_IDS) | st.text(max_size=12), st.none() | persons, max_size=3
    ),
)
def test_every_name_is_well_formed_and_unique(
    subject: Person,
    today: date,
    parameters: GlobalParameters,
    legal_types: frozenset[str],
    applicant: str | None,
    relationship_ok: bool,
    third_persons: dict[str, Person | None],
) -> None:
    result = required(
        subject,
        today=today,
        now=datetime(today.year, today.month, today.day, 12, tzinfo=timezone.utc),
        parameters=parameters,
        legal_capacity_document_types=legal_types,
        applicant_id=applicant,
        relationship_ok=relationship_ok,
        third_persons=third_persons,
    )
    names = [document.name for document in result]
    assert len(names) == len(set(names))
    for document in result:
        assert NAME.fullmatch(document.name), document.name
        assert document.rules and len(document.rules) == len(set(document.rules))
        assert set(document.rules) <= {1, 2, 3, 4, 5, 6}
        if document.name.startswith("confidant_person."):
            assert document.name.startswith(f"confidant_person.{applicant}.") and relationship_ok
