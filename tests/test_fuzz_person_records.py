"""Hypothesis-generated person records, driven through the endpoint.

Records come from stored data, so they can be anything: missing fields,
nulls, wrong types, unicode, huge or duplicated lists, birth dates in the
future or impossible, malformed unzr, document types with ``/``, ``..``,
spaces or non-ASCII, confidant entries and ``THIRD_PERSON`` methods pointing
at other generated records (or at nothing). Whatever they hold:

- the endpoint answers a documented status with the ESOZ envelope
  (201 or 200, 404 for a person that is not active or not there), never 5xx;
- every returned ``type`` is one of the safe names, each at most once, and
  each is one the record can ask for;
- every URL's object key is ``{person_id}/{safe name}.jpeg``: no unsafe
  document type or id reaches the storage, a key or a URL;
- the person loader is only ever asked for ids fit for object keys.

The main run uses an in-memory storage that records every call and builds
raw (unescaped) URLs, so anything unsafe would show. A smaller run uses
moto's real S3 server, so real presigned URLs are parsed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings

from conftest import bearer
from flask_pis_documents import SignedUpload
from flask_pis_documents.domain.identifiers import is_safe_person_id

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
SAFE_TYPE = re.compile(r"[A-Za-z0-9_]+")
SAFE_NAME = re.compile(
    r"person\.[A-Za-z0-9_]+"
    r"|third_person\.[A-Za-z0-9_]+"
    r"|confidant_person\.(?P<applicant>[A-Za-z0-9][A-Za-z0-9_-]{0,127})"
    r"\.documents_relationship\.[A-Za-z0-9_]+"
)
UNSAFE_IN_KEY = ("..", " ", "?", "%", "\\", "#", "\n", "\r", "\t")

STORAGE_NAMES = ("persons", "person_requests", "authentication_method_requests")
UPLOAD_HOST = "uploads.test"
OK_STATUSES = ("approved", "not_approved")
ROUTES = {
    "POST": ("/api/pis/documents", 201),
    "PATCH": ("/api/pis/documents/actions/complete", 200),
}

# Generous timeouts: a loaded machine must not turn a slow dependency into a 503 here.
PATIENT = {"PIS_DOCUMENTS_STORAGE_TIMEOUT": 30, "PIS_DOCUMENTS_PERSON_STORE_TIMEOUT": 30}

MAIN_EXAMPLES = 300
S3_EXAMPLES = 40

# --- strategies ----------------------------------------------------------------------

ABSENT = object()  # a field left out of the record

SAFE_TYPES = [
    "PASSPORT",
    "NATIONAL_ID",
    "BIRTH_CERTIFICATE",
    "BIRTH_CERTIFICATE_FOREIGN",
    "PERMANENT_RESIDENCE_PERMIT",
    "MARRIAGE_CERTIFICATE",
    "DIVORCE_CERTIFICATE",
    "COURT_DECISION_LEGAL_CAPACITY",
    "LEGAL_CAPACITY_DOCUMENT",
    "TAX_ID",
    "unzr",
    "a_1",
    "X",
]
UNSAFE_TYPES = [
    "a/b",
    "..",
    "A B",
    "../../etc",
    "ПАСПОРТ",
    "x?y=1",
    "%2F",
    "",
    "\n",
    "PASSPORT\n",
    " PASSPORT",
    "PASSPORT/../x",
    "PASS.PORT",
    "ＰＡＳＳＰＯＲＴ",
    "١٢٣",
    "a\\b",
    "a#b",
    "a\x00b",
    "PASSPORT\t",
    "é",
    "../persons/other",
    "x" * 300 + "/",
]
UNSAFE_IDS = ["../etc", "a/b", "ПАСПОРТ", "x y", "-abc", "_abc", "a" * 129, "a.b", "a%2Fb", "p\n"]


def mostly(
    main: st.SearchStrategy[Any], other: st.SearchStrategy[Any], tenths: int = 7
) -> st.SearchStrategy[Any]:
    """``main`` about ``tenths``/10 of the time, else ``other``."""
    return st.integers(0, 9).flatmap(lambda i: main if i < tenths else other)


wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.binary(max_size=5),
    st.frozensets(st.integers(), max_size=2),
)
any_text = st.text(max_size=30)
safe_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True)

document_types = st.one_of(
    st.sampled_from(SAFE_TYPES),
    st.sampled_from(SAFE_TYPES),
    st.sampled_from(UNSAFE_TYPES),
    st.from_regex(r"[A-Za-z0-9_]{1,20}", fullmatch=True),
    any_text,
    wrong_types,
)

TODAY = datetime.now(timezone.utc).astimezone(ZoneInfo("Europe/Kyiv")).date()


def _years_ago(years: int, days: int = 0) -> date:
    try:
        then = TODAY.replace(year=TODAY.year - years)
    except ValueError:  # 29 February
        then = TODAY.replace(year=TODAY.year - years, day=28)
    return then + timedelta(days=days)


birth_dates = st.one_of(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)).map(date.isoformat),
    st.sampled_from(
        [_years_ago(age, shift).isoformat() for age in (14, 15, 17, 18) for shift in (-1, 0, 1)]
    ),
    st.sampled_from(["2012-02-29", "2000-02-29", "2013-02-29", "1900-02-29", "2100-02-29"]),
    st.sampled_from(
        [
            "2020-13-01",
            "2020-00-10",
            "2020-01-32",
            "abc",
            "",
            "20120501",
            "2012-5-1",
            "2012-05-01T10:00:00Z",
            "2012-05-01 10:00",
            "2012-05-01T25:00",
            "２０１２-05-01",
            "2012-W01-1",
            "2012-123",
            "0000-01-01",
            "9999-12-31",
            "-2012-05-01",
        ]
    ),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(timezone.utc)),
    any_text,
    wrong_types,
    st.just(ABSENT),
)
moments = st.one_of(
    st.just(ABSENT),
    st.none(),
    st.just(""),
    st.sampled_from(
        [
            "2000-01-01T00:00:00Z",
            "2999-01-01T00:00:00+02:00",
            "2999-01-01",
            "1999-12-31",
            "not a date",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:59:59-23:59",
        ]
    ),
    st.datetimes(timezones=st.none() | st.just(timezone.utc)),
    any_text,
    wrong_types,
)
flags = st.one_of(st.just(ABSENT), st.booleans(), st.booleans(), wrong_types, st.just("false"))


def _record(draw: Callable[..., Any], fields: dict[str, st.SearchStrategy[Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, strategy in fields.items():
        value = draw(strategy)
        if value is not ABSENT:
            out[name] = value
    return out


@st.composite
def documents(draw: Callable[..., Any]) -> dict[str, Any]:
    return _record(
        draw,
        {
            "type": document_types | st.just(ABSENT),
            "number": st.one_of(
                any_text,
                st.sampled_from(["AB 123", "ab123", " A B 1 2 3 "]),
                wrong_types,
                st.just(ABSENT),
            ),
            "issued_by": any_text | st.just(ABSENT),
            "issued_at": moments,
            "expiration_date": moments,
        },
    )


def document_lists(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Small lists, lists with every item twice, huge lists, and not-lists."""
    small = st.lists(mostly(items, wrong_types | any_text, 8), max_size=6)
    return mostly(
        small,
        st.one_of(
            small.map(lambda xs: xs + xs),
            st.tuples(st.integers(100, 300), st.lists(items, min_size=1, max_size=4)).map(
                lambda t: [t[1][i % len(t[1])] for i in range(t[0])]
            ),
            st.integers(50, 300).map(
                lambda n: [
                    {"type": f"T_{i}" if i % 3 else f"T {i}/..", "number": str(i)} for i in range(n)
                ]
            ),
            st.lists(items, max_size=3).map(tuple),
            wrong_types,
            any_text,
            st.just(ABSENT),
        ),
        6,
    )


def unzrs(birth_date: Any) -> st.SearchStrategy[Any]:
    good: list[str] = []
    if isinstance(birth_date, str) and len(birth_date) == 10:
        good = [birth_date.replace("-", "") + "-00017"]
    return st.one_of(
        st.sampled_from(good) if good else st.nothing(),
        st.sampled_from(
            [
                "",
                "20120501",
                "2012050-00017",
                "ABCDEFGH-00000",
                "20120501-0001X",
                "٢٠١٢٠٥٠١-00017",
                "19900501-00017",
                "../../etc",
                "20120501-00017/..",
            ]
        ),
        st.from_regex(r"\d{8}-\d{5}", fullmatch=True),
        any_text,
        wrong_types,
        st.just(ABSENT),
    )


def person_ids(world: list[str]) -> st.SearchStrategy[Any]:
    return mostly(
        st.sampled_from(world),
        st.one_of(st.sampled_from(UNSAFE_IDS), safe_ids, wrong_types, st.just(ABSENT)),
    )


@st.composite
def methods(draw: Callable[..., Any], world: list[str]) -> dict[str, Any]:
    kind = draw(
        mostly(
            st.sampled_from(["OFFLINE", "THIRD_PERSON"]),
            st.one_of(
                st.sampled_from(["OTP", "NA", "offline", "THIRD_PERSON ", ""]),
                wrong_types,
                st.just(ABSENT),
            ),
        )
    )
    return _record(
        draw,
        {
            "type": st.just(kind),
            "value": person_ids(world),
            "phone_number": st.one_of(
                st.just("+380501234567"), any_text, wrong_types, st.just(ABSENT)
            ),
            "is_active": mostly(st.sampled_from([ABSENT, True]), flags),
            "ended_at": mostly(st.sampled_from([ABSENT, None]), moments),
        },
    )


@st.composite
def confidants(draw: Callable[..., Any], world: list[str]) -> dict[str, Any]:
    return _record(
        draw,
        {
            "person_id": person_ids(world),
            "relation_type": st.one_of(st.just("PRIMARY"), any_text, wrong_types, st.just(ABSENT)),
            "is_active": flags,
            "active_to": moments,
            "documents_relationship": document_lists(documents()),
            "verification_status": st.one_of(st.just("VERIFIED"), any_text, st.just(ABSENT)),
            "verification_reason": st.one_of(
                st.just("MANUAL_CREATED_BY_DOCTOR"), any_text, st.just(ABSENT)
            ),
        },
    )


@st.composite
def person_records(draw: Callable[..., Any], record_id: str, world: list[str]) -> dict[str, Any]:
    birth_date = draw(birth_dates)
    record = _record(
        draw,
        {
            "id": st.one_of(st.just(record_id), person_ids(world)),
            "birth_date": st.just(birth_date),
            "unzr": unzrs(birth_date),
            "status": mostly(
                st.just("active"),
                st.one_of(
                    st.sampled_from(["inactive", "ACTIVE", "merged", "active "]),
                    wrong_types,
                    st.just(ABSENT),
                ),
                8,
            ),
            "is_active": mostly(st.just(True), flags, 8),
            "documents": document_lists(documents()),
            "authentication_methods": document_lists(methods(world)),
            "confidant_person": document_lists(confidants(world)),
        },
    )
    return record


@dataclass
class World:
    persons: dict[str, dict[str, Any]]
    token_person_id: str
    applicant: Any
    relationship_status: str
    method: str
    present: list[tuple[str, str]]  # (storage, name) already stored for the token's person
    snapshot_storages: frozenset[str]  # the others answer per name (exists)


def _append(record: dict[str, Any], key: str, item: dict[str, Any]) -> None:
    """Add ``item`` to the list at ``key`` (made when absent; a non-list is left alone)."""
    record.setdefault(key, [])
    if isinstance(record[key], list):
        record[key] = [*record[key], item]  # a copy: huge lists share their items


@st.composite
def worlds(draw: Callable[..., Any]) -> World:
    world = draw(st.lists(safe_ids, min_size=1, max_size=4, unique=True))
    persons = {pid: draw(person_records(pid, world)) for pid in world}
    token_person_id = draw(
        mostly(
            st.just(world[0]),
            st.one_of(
                st.sampled_from(UNSAFE_IDS),
                safe_ids.filter(lambda i: i not in persons),
            ),
            8,
        )
    )
    if token_person_id in UNSAFE_IDS and draw(st.booleans()):
        persons[token_person_id] = persons[world[0]]  # stored under an unsafe id: still 404
    applicant = draw(
        st.one_of(
            st.none(),
            st.sampled_from(world),
            st.sampled_from(world),
            st.sampled_from(UNSAFE_IDS),
            safe_ids,
        )
    )
    if applicant is not None and draw(mostly(st.just(True), st.just(False), 8)):
        # The person names the applicant as a confidant, with some relationship documents.
        entry = draw(confidants(world))
        entry.update(person_id=applicant, is_active=True, active_to=None)
        if draw(mostly(st.just(True), st.just(False), 7)):
            entry["documents_relationship"] = [
                {"type": draw(st.sampled_from(SAFE_TYPES)), "number": "I-AA 1"},
                *draw(st.lists(documents(), max_size=3)),
            ]
        _append(persons[world[0]], "confidant_person", entry)
    if len(world) > 1 and draw(st.booleans()):
        # A THIRD_PERSON method naming another record that authenticates offline.
        third = draw(st.sampled_from(world[1:]))
        _append(
            persons[world[0]], "authentication_methods", {"type": "THIRD_PERSON", "value": third}
        )
        _append(persons[third], "authentication_methods", {"type": "OFFLINE"})
        _append(
            persons[third], "documents", {"type": draw(st.sampled_from(SAFE_TYPES)), "number": "1"}
        )
    candidates = sorted(
        {f"person.{t}" for t in _safe_types(persons.get(world[0], {}).get("documents"))}
        | {"person.unzr"}
    )
    present = draw(
        mostly(
            st.just([]),
            st.lists(
                st.tuples(st.sampled_from(STORAGE_NAMES), st.sampled_from(candidates)),
                max_size=4,
                unique=True,
            ),
            6,
        )
    )
    return World(
        persons=persons,
        token_person_id=token_person_id,
        applicant=applicant,
        relationship_status=draw(st.sampled_from(["approved", "not_approved", "not_found"])),
        method=draw(st.sampled_from(["POST", "PATCH"])),
        present=present,
        snapshot_storages=frozenset(draw(st.sets(st.sampled_from(STORAGE_NAMES)))),
    )


# --- an independent, lenient reading of the records (the oracle) -------------------------


def _items(value: Any) -> list[dict[str, Any]]:
    return (
        [item for item in value if isinstance(item, dict)]
        if isinstance(value, (list, tuple))
        else []
    )


def _safe_types(value: Any) -> set[str]:
    return {
        d["type"]
        for d in _items(value)
        if isinstance(d.get("type"), str) and SAFE_TYPE.fullmatch(d["type"])
    }


def _is_active_person(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and record.get("status") == "active"
        and record.get("is_active") is True
    )


def _plainly_active_offline(record: dict[str, Any]) -> bool:
    """An OFFLINE method that is active by any reading: no flag or True, no end."""
    return any(
        m.get("type") == "OFFLINE"
        and m.get("is_active", True) is True
        and m.get("ended_at") in (None, "")
        for m in _items(record.get("authentication_methods"))
    )


def _clean_birth_date(value: Any) -> date | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- the storage ---------------------------------------------------------------------------


@dataclass
class RecordingStorage:
    """A DocumentStorage in memory that records every call and builds raw URLs."""

    storage_names: tuple[str, ...] = STORAGE_NAMES
    objects: set[tuple[str, str, str]] = field(default_factory=set)
    snapshot_storages: frozenset[str] = frozenset(STORAGE_NAMES)
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    signed: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self, objects: set[tuple[str, str, str]], snapshot_storages: frozenset[str]) -> None:
        with self.lock:
            self.objects = objects
            self.snapshot_storages = snapshot_storages
            self.calls.clear()
            self.signed.clear()

    def snapshot(self, storage: str, person_id: str) -> Container[str] | None:
        with self.lock:
            self.calls.append((storage, person_id, None))
            if storage not in self.snapshot_storages:
                return None
            return {n for s, p, n in self.objects if s == storage and p == person_id}

    def exists(self, storage: str, person_id: str, name: str) -> bool:
        with self.lock:
            self.calls.append((storage, person_id, name))
            return (storage, person_id, name) in self.objects

    def sign_upload(self, person_id: str, name: str) -> SignedUpload:
        with self.lock:
            self.signed.append((person_id, name))
        # Deliberately unescaped: whatever reaches the storage shows in the URL.
        return SignedUpload(
            url=f"https://{UPLOAD_HOST}/persons/{person_id}/{name}.jpeg?X-Signature=abc",
            headers={"Content-Type": "image/jpeg"},
        )


# --- the harness -------------------------------------------------------------------------------


@dataclass
class Harness:
    """One app, driven once per generated world."""

    app: Flask
    persons: dict[str, dict[str, Any]]
    token: Callable[..., str]
    loader_calls: list[Any] = field(default_factory=list)
    checker_calls: list[tuple[Any, Any]] = field(default_factory=list)
    completed: list[tuple[str, list[str]]] = field(default_factory=list)
    status: dict[str, str] = field(default_factory=lambda: {"relationship": "approved"})
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _hooks(harness_ref: dict[str, Harness], persons: dict[str, dict[str, Any]]) -> dict[str, Any]:
    lock = threading.Lock()

    def load(person_id: Any) -> Any:
        with lock:
            harness_ref["h"].loader_calls.append(person_id)
        return persons.get(person_id)

    def check(person_id: Any, confidant_person_id: Any) -> str:
        with lock:
            harness_ref["h"].checker_calls.append((person_id, confidant_person_id))
        return harness_ref["h"].status["relationship"]

    def completed(person_id: str, names: Any) -> None:
        with lock:
            harness_ref["h"].completed.append((person_id, sorted(names)))

    return {"person_loader": load, "relationship_checker": check, "documents_completed": completed}


def _check_key(key: str, person_id: str) -> str:
    """``key`` is ``{person_id}/{safe name}.jpeg``; return the name."""
    assert key.isascii(), key
    for unsafe in UNSAFE_IN_KEY:
        assert unsafe not in key, (unsafe, key)
    owner, sep, file_name = key.partition("/")
    assert sep and owner == person_id and SAFE_ID.fullmatch(owner), key
    assert "/" not in file_name and file_name.endswith(".jpeg"), key
    name = file_name[: -len(".jpeg")]
    assert SAFE_NAME.fullmatch(name), key
    return name


def drive(harness: Harness, world: World, url_key: Callable[[str], str]) -> None:
    """Send one request for ``world`` and check every property on the answer."""
    harness.persons.clear()
    harness.persons.update(world.persons)
    harness.loader_calls.clear()
    harness.checker_calls.clear()
    harness.completed.clear()
    harness.status["relationship"] = world.relationship_status
    harness.count("examples")

    pid = world.token_person_id
    path, success = ROUTES[world.method]
    token = harness.token(harness.app, pid, applicant=world.applicant)
    response = harness.app.test_client().open(path, method=world.method, headers=bearer(token))

    # A documented status with the envelope, never a 5xx.
    record = world.persons.get(pid)
    expected = success if SAFE_ID.fullmatch(pid) and _is_active_person(record) else 404
    body = response.get_json()
    assert response.status_code == expected, (response.status_code, body)
    assert body["meta"]["code"] == expected
    assert body["meta"]["url"] == f"http://localhost{path}"
    assert body["meta"]["request_id"] == response.headers["x-request-id"]

    # The loader only ever sees ids fit for object keys; unsafe ones are never looked up.
    assert all(isinstance(i, str) and SAFE_ID.fullmatch(i) for i in harness.loader_calls), (
        harness.loader_calls
    )
    applicant = world.applicant
    acts_for = isinstance(applicant, str) and SAFE_ID.fullmatch(applicant) and applicant != pid
    if not acts_for:
        assert harness.checker_calls == []

    if expected == 404:
        harness.count("404")
        assert body["meta"]["type"] == "object"
        assert body["error"] == {
            "type": "not_found",
            "message": "Person does not exist or is not active",
        }
        assert pid in harness.loader_calls or not SAFE_ID.fullmatch(pid)
        return
    assert record is not None
    harness.count(str(expected))
    assert body["meta"]["type"] == "list"
    data = body["data"]
    assert isinstance(data, list)
    if acts_for:
        assert harness.checker_calls == [(pid, applicant)]

    names = [item["type"] for item in data]
    assert len(names) == len(set(names)), names  # each name at most once
    present = {name for _, name in world.present}
    confidant_types = set().union(
        *(
            _safe_types(c.get("documents_relationship"))
            for c in _items(record.get("confidant_person"))
            if c.get("person_id") == applicant
        )
    )
    third_types = set().union(*(_safe_types(r.get("documents")) for r in world.persons.values()))
    for item in data:
        name = item["type"]
        match = SAFE_NAME.fullmatch(name)
        assert match, name
        # Only names the record can ask for, and none already stored.
        assert name not in present, name
        kind, _, rest = name.partition(".")
        if kind == "person":
            assert rest in _safe_types(record.get("documents")) | {"unzr"}, name
        elif kind == "third_person":
            assert rest in third_types, name
            harness.count("third_person_names")
        else:
            assert match.group("applicant") == applicant and acts_for, name
            assert world.relationship_status in OK_STATUSES, name
            assert rest.rsplit(".", 1)[-1] in confidant_types, name
            harness.count("confidant_names")
        assert item["headers"].get("Content-Type") == "image/jpeg"
        assert _check_key(url_key(item["url"]), pid) == name
    harness.count("signed_urls", len(data))

    # Rule 4: a person with an OFFLINE method that is plainly active uploads every safe document.
    if _plainly_active_offline(record):
        wanted = {f"person.{t}" for t in _safe_types(record.get("documents"))} - present
        assert wanted <= set(names), sorted(wanted - set(names))
    # Rule 5, read independently where the birth date is a clean ISO date.
    unzr = record.get("unzr")
    birth_date = record.get("birth_date")
    if isinstance(unzr, str) and unzr and "person.unzr" not in present:
        clean = _clean_birth_date(birth_date)
        if clean is not None and unzr[:8] != clean.strftime("%Y%m%d"):
            assert "person.unzr" in names
        elif birth_date is None or not isinstance(birth_date, (str, date)):
            assert "person.unzr" in names  # no birth date counts as a mismatch
    if isinstance(world.persons.get(pid, {}).get("documents"), list):
        raw_types = [d.get("type") for d in _items(record["documents"])]
        if any(not (isinstance(t, str) and SAFE_TYPE.fullmatch(t)) for t in raw_types):
            harness.count("unsafe_types_answered")

    if world.method == "PATCH" and not data:
        assert [p for p, _ in harness.completed] == [pid] or harness.completed == []
    else:
        assert harness.completed == []


def _raw_url_key(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == UPLOAD_HOST, url
    assert parts.query == "X-Signature=abc" and not parts.fragment, url
    assert parts.path.startswith("/persons/"), url
    return parts.path[len("/persons/") :]


def _report(name: str, counts: dict[str, int]) -> None:
    print(f"\n{name}: {counts['examples']} hypothesis examples; {dict(sorted(counts.items()))}")


def _assert_explored(counts: dict[str, int], *, need: tuple[str, ...]) -> None:
    # The properties above are only worth something if each kind of answer occurred.
    for key in need:
        assert counts.get(key, 0) > 0, (key, counts)


@pytest.fixture(autouse=True)
def _quiet_rules(caplog: pytest.LogCaptureFixture) -> None:
    # Every unsafe type is logged; thousands of lines would only slow the run down.
    caplog.set_level(logging.ERROR, logger="flask_pis_documents.rules")


@pytest.fixture
def memory_harness(
    make_app: Callable[..., Flask], persons: dict[str, dict[str, Any]], token: Callable[..., str]
) -> Iterator[tuple[Harness, RecordingStorage]]:
    ref: dict[str, Harness] = {}
    storage = RecordingStorage()
    app = make_app(PATIENT, storage=storage, **_hooks(ref, persons))
    ref["h"] = Harness(app=app, persons=persons, token=token)
    yield ref["h"], storage


def test_generated_records_through_the_endpoint(
    memory_harness: tuple[Harness, RecordingStorage],
) -> None:
    harness, storage = memory_harness

    @settings(
        max_examples=MAIN_EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(world=worlds())
    def run(world: World) -> None:
        pid = world.token_person_id
        storage.reset({(s, pid, n) for s, n in world.present}, world.snapshot_storages)
        drive(harness, world, _raw_url_key)
        # Every call the storage got was for the token's person and a safe name.
        for storage_name, person_id, name in storage.calls:
            assert (
                storage_name in STORAGE_NAMES and person_id == pid and SAFE_ID.fullmatch(person_id)
            )
            assert name is None or SAFE_NAME.fullmatch(name), name
            if name is not None:
                assert storage_name not in world.snapshot_storages
        for person_id, name in storage.signed:
            assert person_id == pid and SAFE_NAME.fullmatch(name), (person_id, name)

    run()
    _report("in-memory storage", harness.counts)
    _assert_explored(
        harness.counts,
        need=(
            "201",
            "200",
            "404",
            "signed_urls",
            "third_person_names",
            "confidant_names",
            "unsafe_types_answered",
        ),
    )
    assert harness.counts["examples"] >= MAIN_EXAMPLES // 2


@pytest.fixture
def s3_harness(
    make_app: Callable[..., Flask],
    persons: dict[str, dict[str, Any]],
    token: Callable[..., str],
    s3: Any,
) -> Iterator[Harness]:
    ref: dict[str, Harness] = {}
    app = make_app(PATIENT, **_hooks(ref, persons))  # the default S3DocumentStorage, on moto
    ref["h"] = Harness(app=app, persons=persons, token=token)
    yield ref["h"]


BUCKETS = {
    "persons": "persons",
    "person_requests": "person-requests",
    "authentication_method_requests": "authentication-method-requests",
}


def test_generated_records_with_real_presigned_urls(
    s3_harness: Harness, s3: Any, s3_endpoint: str
) -> None:
    harness = s3_harness
    endpoint = urlsplit(s3_endpoint)

    def s3_url_key(url: str) -> str:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == (endpoint.scheme, endpoint.netloc), url
        assert parts.path.startswith("/persons/"), url
        raw_key = parts.path[len("/persons/") :]
        assert unquote(raw_key) == raw_key, url  # nothing needed escaping
        query = parse_qs(parts.query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"], url
        assert "content-type" in query["X-Amz-SignedHeaders"][0].split(";"), url
        return raw_key

    @settings(
        max_examples=S3_EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(world=worlds())
    def run(world: World) -> None:
        pid = world.token_person_id
        # Objects only under ids that can be keys: an unsafe id (say "..") would
        # address another path of the store, and the extension never looks there.
        keys = [(BUCKETS[s], f"{pid}/{n}.jpeg") for s, n in world.present] if is_safe_person_id(pid) else []
        for bucket, key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=b"\xff\xd8\xff")
        try:
            drive(harness, world, s3_url_key)
        finally:
            for bucket, key in keys:
                s3.delete_object(Bucket=bucket, Key=key)

    run()
    _report("moto S3", harness.counts)
    _assert_explored(harness.counts, need=("404", "signed_urls"))
    assert harness.counts.get("201", 0) + harness.counts.get("200", 0) > 0
    assert harness.counts["examples"] >= S3_EXAMPLES // 2
