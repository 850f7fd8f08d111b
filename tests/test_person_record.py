"""``Person.from_mapping``: the person record read leniently from stored data."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_pis_documents.domain import AuthenticationMethod, ConfidantPerson, Document, Person

NOW = datetime(2024, 6, 15, 9, 0, tzinfo=timezone.utc)

# A value of every kind but a list: each of these reads as a missing list.
NOT_A_LIST = ["PASSPORT", 7, 1.5, True, {"type": "PASSPORT"}, None]
# A value of every kind but a bool: each of these reads as a missing flag.
NOT_A_BOOL = ["false", "true", 0, 1, None, [], {}]


def method(**fields: Any) -> AuthenticationMethod:
    return AuthenticationMethod.from_mapping(fields)


def confidant(**fields: Any) -> ConfidantPerson:
    return ConfidantPerson.from_mapping(fields)


def third_person_ids(*methods: dict[str, Any]) -> list[str]:
    return Person.from_mapping({"authentication_methods": list(methods)}).third_person_ids(NOW)


class TestMissingFields:
    def test_missing_lists_mean_empty(self) -> None:
        person = Person.from_mapping({"id": "person-1"})
        assert person.documents == ()
        assert person.authentication_methods == ()
        assert person.confidant_person == ()

    def test_empty_record(self) -> None:
        assert Person.from_mapping({}) == Person(
            id=None, birth_date=None, unzr=None, status=None, is_active=False
        )

    def test_full_record(self) -> None:
        person = Person.from_mapping(
            {
                "id": "person-1",
                "birth_date": "2012-05-01",
                "unzr": "20120501-00017",
                "status": "active",
                "is_active": True,
                "documents": [{"type": "PASSPORT", "number": "AA1", "issued_by": "x"}],
                "authentication_methods": [{"type": "THIRD_PERSON", "value": "third-1"}],
                "confidant_person": [
                    {
                        "person_id": "conf-1",
                        "relation_type": "PRIMARY",
                        "verification_status": "VERIFIED",
                        "verification_reason": "MANUAL_CREATED_BY_DOCTOR",
                        "documents_relationship": [{"type": "BIRTH_CERTIFICATE", "number": "1"}],
                    }
                ],
            }
        )
        assert person == Person(
            id="person-1",
            birth_date=date(2012, 5, 1),
            unzr="20120501-00017",
            status="active",
            is_active=True,
            documents=(Document("PASSPORT", "AA1"),),
            authentication_methods=(AuthenticationMethod("THIRD_PERSON", "third-1"),),
            confidant_person=(
                ConfidantPerson(
                    person_id="conf-1",
                    relation_type="PRIMARY",
                    documents_relationship=(Document("BIRTH_CERTIFICATE", "1"),),
                    verification_status="VERIFIED",
                    verification_reason="MANUAL_CREATED_BY_DOCTOR",
                ),
            ),
        )

    def test_method_is_active_defaults_true(self) -> None:
        assert method(type="OFFLINE").is_active is True

    def test_confidant_is_active_defaults_true(self) -> None:
        assert confidant(person_id="conf-1").is_active is True

    def test_explicit_false_is_kept(self) -> None:
        assert method(type="OFFLINE", is_active=False).is_active is False
        assert confidant(person_id="conf-1", is_active=False).is_active is False

    def test_coerce_keeps_a_person_and_builds_from_a_mapping(self) -> None:
        person = Person(id="person-1")
        assert Person.coerce(person) is person
        assert Person.coerce({"id": "person-1"}) == person


class TestWrongTypes:
    @pytest.mark.parametrize("value", NOT_A_LIST)
    @pytest.mark.parametrize("key", ["documents", "authentication_methods", "confidant_person"])
    def test_a_list_of_the_wrong_type_reads_as_empty(self, key: str, value: Any) -> None:
        person = Person.from_mapping({key: value})
        assert getattr(person, key) == ()

    @pytest.mark.parametrize("value", NOT_A_LIST)
    def test_documents_relationship_of_the_wrong_type_reads_as_empty(self, value: Any) -> None:
        entry = confidant(person_id="conf-1", documents_relationship=value)
        assert entry.documents_relationship == ()

    def test_items_that_are_not_mappings_are_skipped(self) -> None:
        person = Person.from_mapping(
            {"documents": [1, "PASSPORT", None, ["type"], {"type": "PASSPORT"}, True]}
        )
        assert person.documents == (Document("PASSPORT"),)

    @pytest.mark.parametrize("value", [7, 1.5, True, ["PASSPORT"], {"x": 1}])
    def test_text_fields_of_the_wrong_type_read_as_none(self, value: Any) -> None:
        person = Person.from_mapping(
            {
                "id": value,
                "unzr": value,
                "status": value,
                "documents": [{"type": value, "number": value}],
                "authentication_methods": [{"type": value, "value": value}],
                "confidant_person": [{"person_id": value, "relation_type": value}],
            }
        )
        assert (person.id, person.unzr, person.status) == (None, None, None)
        assert person.documents == (Document(None, None),)
        assert (person.authentication_methods[0].type, person.authentication_methods[0].value) == (
            None,
            None,
        )
        assert (person.confidant_person[0].person_id, person.confidant_person[0].relation_type) == (
            None,
            None,
        )

    @pytest.mark.parametrize("value", NOT_A_BOOL)
    def test_method_and_confidant_flags_of_the_wrong_type_read_as_missing(self, value: Any) -> None:
        assert method(type="OFFLINE", is_active=value).is_active is True
        assert confidant(person_id="conf-1", is_active=value).is_active is True

    @pytest.mark.parametrize("value", NOT_A_BOOL)
    def test_person_flag_of_the_wrong_type_reads_as_missing(self, value: Any) -> None:
        assert Person.from_mapping({"is_active": value}).is_active is False

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2012-05-01", date(2012, 5, 1)),
            (date(2012, 5, 1), date(2012, 5, 1)),
            ("2012-02-30", None),
            ("2012-13-01", None),
            ("01.05.2012", None),
            ("not a date", None),
            ("", None),
            (20120501, None),
            (None, None),
            (["2012-05-01"], None),
        ],
    )
    def test_birth_date(self, value: Any, expected: date | None) -> None:
        assert Person.from_mapping({"birth_date": value}).birth_date == expected


class TestMethodActiveAt:
    @pytest.mark.parametrize("ended_at", [None, ""])
    def test_no_end_is_active(self, ended_at: Any) -> None:
        assert method(type="OFFLINE", ended_at=ended_at).active_at(NOW) is True

    def test_missing_end_is_active(self) -> None:
        assert method(type="OFFLINE").active_at(NOW) is True

    @pytest.mark.parametrize(
        "ended_at",
        [
            "2024-06-15T09:00:01Z",
            "2024-06-15T12:00:01+03:00",
            "2024-06-16",
            datetime(2024, 6, 15, 10, 0, tzinfo=timezone.utc),
        ],
    )
    def test_end_in_the_future_is_active(self, ended_at: Any) -> None:
        assert method(type="OFFLINE", ended_at=ended_at).active_at(NOW) is True

    @pytest.mark.parametrize(
        "ended_at",
        [
            "2024-06-15T09:00:00Z",  # exactly now: not in the future
            "2024-06-15T12:00:00+03:00",  # also exactly now
            "2024-06-15T08:59:59Z",
            "2024-06-14",
            datetime(2020, 1, 1, tzinfo=timezone.utc),
        ],
    )
    def test_end_not_in_the_future_is_inactive(self, ended_at: Any) -> None:
        assert method(type="OFFLINE", ended_at=ended_at).active_at(NOW) is False

    @pytest.mark.parametrize("ended_at", ["soon", "2024-99-99", "  ", 12345, ["2030-01-01"]])
    def test_unreadable_end_is_inactive(self, ended_at: Any) -> None:
        # An end that is neither empty nor in the future does not let the method count.
        assert method(type="OFFLINE", ended_at=ended_at).active_at(NOW) is False

    def test_inactive_with_a_future_end_is_inactive(self) -> None:
        ended_later = method(type="OFFLINE", is_active=False, ended_at="2030-01-01")
        assert ended_later.active_at(NOW) is False

    def test_inactive_without_end_is_inactive(self) -> None:
        assert method(type="OFFLINE", is_active=False).active_at(NOW) is False


class TestConfidantActiveAt:
    @pytest.mark.parametrize("active_to", [None, ""])
    def test_no_end_is_active(self, active_to: Any) -> None:
        assert confidant(person_id="conf-1", active_to=active_to).active_at(NOW) is True

    @pytest.mark.parametrize(
        "active_to", ["2024-06-15T09:00:01Z", "2024-06-16", "2030-01-01T00:00:00+02:00"]
    )
    def test_end_in_the_future_is_active(self, active_to: str) -> None:
        assert confidant(person_id="conf-1", active_to=active_to).active_at(NOW) is True

    @pytest.mark.parametrize(
        "active_to",
        ["2024-06-15T09:00:00Z", "2024-06-15T12:00:00+03:00", "2024-06-14", "2000-01-01"],
    )
    def test_end_not_in_the_future_is_inactive(self, active_to: str) -> None:
        assert confidant(person_id="conf-1", active_to=active_to).active_at(NOW) is False

    @pytest.mark.parametrize("active_to", ["never", "2024-02-30", 7, {"at": "2030-01-01"}])
    def test_unreadable_end_is_inactive(self, active_to: Any) -> None:
        assert confidant(person_id="conf-1", active_to=active_to).active_at(NOW) is False

    def test_inactive_is_inactive(self) -> None:
        assert confidant(person_id="conf-1", is_active=False).active_at(NOW) is False
        ended_later = confidant(person_id="conf-1", is_active=False, active_to="2030-01-01")
        assert ended_later.active_at(NOW) is False


class TestThirdPersonIds:
    def test_active_third_person_methods_in_order(self) -> None:
        assert third_person_ids(
            {"type": "THIRD_PERSON", "value": "third-2"},
            {"type": "THIRD_PERSON", "value": "third-1", "ended_at": "2030-01-01"},
        ) == ["third-2", "third-1"]

    def test_duplicates_appear_once(self) -> None:
        assert third_person_ids(
            {"type": "THIRD_PERSON", "value": "third-1"},
            {"type": "THIRD_PERSON", "value": "third-2"},
            {"type": "THIRD_PERSON", "value": "third-1"},
        ) == ["third-1", "third-2"]

    @pytest.mark.parametrize(
        "value",
        ["../third", "third/1", "third 1", "-third", "_third", "", "третя", "x" * 129, 42, None],
    )
    def test_unsafe_ids_are_skipped(self, value: Any) -> None:
        assert third_person_ids(
            {"type": "THIRD_PERSON", "value": value},
            {"type": "THIRD_PERSON", "value": "third-1"},
        ) == ["third-1"]

    def test_longest_safe_id_is_kept(self) -> None:
        longest = "a" + "b_-" * 42 + "c"
        assert len(longest) == 128
        assert third_person_ids({"type": "THIRD_PERSON", "value": longest}) == [longest]

    def test_inactive_ended_and_other_methods_are_skipped(self) -> None:
        assert third_person_ids(
            {"type": "THIRD_PERSON", "value": "inactive", "is_active": False},
            {"type": "THIRD_PERSON", "value": "ended", "ended_at": "2024-06-15T08:00:00Z"},
            {"type": "THIRD_PERSON", "value": "unreadable", "ended_at": "later"},
            {"type": "OFFLINE", "value": "offline"},
            {"type": "OTP", "value": "otp"},
            {"type": "third_person", "value": "lower"},
        ) == []


class TestIsActivePerson:
    def test_active(self) -> None:
        assert Person.from_mapping({"status": "active", "is_active": True}).is_active_person is True

    @pytest.mark.parametrize(
        "record",
        [
            {"status": "inactive", "is_active": True},
            {"status": "ACTIVE", "is_active": True},
            {"status": "active ", "is_active": True},
            {"is_active": True},
            {"status": "active", "is_active": False},
            {"status": "active", "is_active": "true"},
            {"status": "active", "is_active": 1},
            {"status": "active"},
            {},
        ],
    )
    def test_not_active(self, record: dict[str, Any]) -> None:
        assert Person.from_mapping(record).is_active_person is False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
# Values a field may hold: anything JSON, or something near the real thing.
dates_or_junk = (
    json_values | st.dates().map(date.isoformat) | st.datetimes().map(datetime.isoformat)
)
document = st.dictionaries(st.sampled_from(["type", "number"]), json_values)
method_record = st.dictionaries(
    st.sampled_from(["type", "value", "is_active", "ended_at", "phone_number"]),
    json_values | st.sampled_from(["OFFLINE", "THIRD_PERSON", "third-1"]) | dates_or_junk,
)
confidant_record = st.fixed_dictionaries(
    {},
    optional={
        "person_id": json_values,
        "is_active": json_values,
        "active_to": dates_or_junk,
        "documents_relationship": st.lists(document | json_values, max_size=3) | json_values,
    },
)
person_record = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "birth_date": dates_or_junk,
        "unzr": json_values,
        "status": json_values,
        "is_active": json_values,
        "documents": st.lists(document | json_values, max_size=3) | json_values,
        "authentication_methods": st.lists(method_record | json_values, max_size=3) | json_values,
        "confidant_person": st.lists(confidant_record | json_values, max_size=3) | json_values,
    },
)


@given(st.one_of(person_record, st.dictionaries(st.text(max_size=8), json_values)))
def test_from_mapping_never_raises(record: dict[str, Any]) -> None:
    person = Person.from_mapping(record)
    assert person.id is None or isinstance(person.id, str)
    assert person.birth_date is None or isinstance(person.birth_date, date)
    assert isinstance(person.is_active, bool)
    assert all(isinstance(d.type, (str, type(None))) for d in person.documents)
    assert all(isinstance(m.is_active, bool) for m in person.authentication_methods)
    assert all(isinstance(c.is_active, bool) for c in person.confidant_person)
    assert isinstance(person.is_active_person, bool)
    for confidant_person in person.confidant_person:
        assert isinstance(confidant_person.active_at(NOW), bool)
    assert all(isinstance(i, str) for i in person.third_person_ids(NOW))
