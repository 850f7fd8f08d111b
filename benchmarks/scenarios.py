"""The app under test and the persons of the scenarios.

A scenario is a person who must provide ``N`` documents: an OFFLINE
authentication method with person documents, and an applicant (the token's
``applicant_person_id``) whose VERIFIED confidant entry carries relationship
documents. The relationship stub answers ``approved``, so rule 1 asks for
the relationship documents too; the person documents and the relationship
documents add up to ``N``. About one in six required documents is already
in the person-requests storage, so the answer lists the rest.

The person store is an in-memory dict behind the ``person_loader`` hook (it
is not proxied); storage and the relationship service go through the delay
proxies.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SECRET = "benchmark-secret-key-that-is-long-enough-for-hs256"
SCOPE = "person_documents:write_pis"
APPLICANT_ID = "bench-applicant"
PATH = "/api/pis/documents"
BUCKETS = {
    "persons": "persons",
    "person_requests": "person-requests",
    "authentication_method_requests": "authentication-method-requests",
}
#: The storages in the order the extension and the reference look in them.
STORAGE_ORDER = ("persons", "person_requests", "authentication_method_requests")
KEY_TEMPLATE = "{person_id}/{name}.jpeg"
DOCUMENT_COUNTS = (1, 12, 100)


def use_fake_aws_credentials() -> None:
    """Fake credentials for moto, and no AWS file or metadata look-ups.

    Call before any boto3 client exists; child processes inherit it.
    """
    os.environ.update(
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)


@dataclass(frozen=True)
class Scenario:
    """A person needing ``documents`` documents, ``preloaded`` of them stored already."""

    documents: int
    person_id: str
    record: dict[str, Any]
    required: tuple[str, ...]
    preloaded: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        """The names the answer must list, in the order asked."""
        return tuple(name for name in self.required if name not in self.preloaded)

    @property
    def title(self) -> str:
        relationship = len(self.record["confidant_person"][0]["documents_relationship"])
        return (
            f"{self.documents} document{'s' if self.documents != 1 else ''} "
            f"({self.documents - relationship} person + {relationship} relationship, "
            f"{len(self.preloaded)} already in person-requests), applicant approved"
        )


def _person_document_types(count: int) -> list[str]:
    named = ["PASSPORT", "NATIONAL_ID", "TAX_ID", "BIRTH_CERTIFICATE", "REFUGEE_CERTIFICATE"]
    return [named[i] if i < len(named) else f"BENCH_DOCUMENT_{i:03d}" for i in range(count)]


def make_scenario(documents: int) -> Scenario:
    """The person of the ``documents`` scenario (deterministic)."""
    relationship_count = max(1, documents // 10)
    person_types = _person_document_types(documents - relationship_count)
    relationship_types = ["BIRTH_CERTIFICATE"] + [
        f"BENCH_RELATIONSHIP_{i:02d}" for i in range(1, relationship_count)
    ]
    person_id = f"bench-person-{documents:03d}"
    record = {
        "id": person_id,
        "birth_date": "1990-05-01",
        "unzr": "19900501-00017",
        "status": "active",
        "is_active": True,
        "documents": [{"type": t, "number": f"N{i:04d}"} for i, t in enumerate(person_types)],
        "authentication_methods": [{"type": "OFFLINE", "is_active": True, "ended_at": None}],
        "confidant_person": [
            {
                "person_id": APPLICANT_ID,
                "relation_type": "PRIMARY",
                "is_active": True,
                "active_to": None,
                "verification_status": "VERIFIED",
                "documents_relationship": [
                    {"type": t, "number": f"R{i:04d}"} for i, t in enumerate(relationship_types)
                ],
            }
        ],
    }
    required = tuple(
        [f"confidant_person.{APPLICANT_ID}.documents_relationship.{t}" for t in relationship_types]
        + [f"person.{t}" for t in person_types]
    )
    preloaded = tuple(name for i, name in enumerate(required) if i % 6 == 5)
    return Scenario(documents, person_id, record, required, preloaded)


def all_scenarios() -> list[Scenario]:
    return [make_scenario(n) for n in DOCUMENT_COUNTS]


def persons() -> dict[str, dict[str, Any]]:
    """The in-memory person store: every scenario's person, and the applicant."""
    store = {s.person_id: s.record for s in all_scenarios()}
    store[APPLICANT_ID] = {
        "id": APPLICANT_ID,
        "birth_date": "1970-01-01",
        "status": "active",
        "is_active": True,
    }
    return store


def base_config(s3_endpoint: str, relationship_url: str) -> dict[str, Any]:
    return {
        "JWT_SECRET_KEY": SECRET,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=2),
        "PIS_DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint,
        "PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL": relationship_url,
        "PIS_DOCUMENTS_BUCKETS": BUCKETS,
        "PIS_DOCUMENTS_OBJECT_KEY": KEY_TEMPLATE,
    }


def build_app(
    existence_check: str,
    s3_endpoint: str,
    relationship_url: str,
    store: dict[str, dict[str, Any]] | None = None,
) -> Any:
    """A host app with the extension, in ``"list"`` or ``"head"`` mode."""
    from flask import Flask

    from flask_pis_documents import PisDocuments

    app = Flask(f"bench_{existence_check}")
    app.config.update(base_config(s3_endpoint, relationship_url))
    app.config["PIS_DOCUMENTS_EXISTENCE_CHECK"] = existence_check
    people = store if store is not None else persons()
    PisDocuments(app, person_loader=people.get)
    return app


def make_token(person_id: str, applicant_id: str | None = APPLICANT_ID) -> str:
    """An access token as the extension expects it, signed with :data:`SECRET`."""
    from flask import Flask
    from flask_jwt_extended import JWTManager, create_access_token

    app = Flask("bench_tokens")
    app.config.update(JWT_SECRET_KEY=SECRET, JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=2))
    JWTManager(app)
    claims: dict[str, Any] = {"person_id": person_id, "scope": SCOPE}
    if applicant_id is not None:
        claims["applicant_person_id"] = applicant_id
    with app.app_context():
        return str(create_access_token("bench-user", additional_claims=claims))


def seed_storage(s3_endpoint: str, scenarios: list[Scenario]) -> None:
    """Create the three buckets and store each scenario's preloaded documents.

    Talks to moto directly (not through a proxy), before anything is counted.
    """
    import boto3

    client = boto3.session.Session().client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for bucket in BUCKETS.values():
        client.create_bucket(Bucket=bucket)
    for scenario in scenarios:
        for name in scenario.preloaded:
            client.put_object(
                Bucket=BUCKETS["person_requests"],
                Key=KEY_TEMPLATE.format(person_id=scenario.person_id, name=name),
                Body=b"\xff\xd8\xff\xe0benchmark",
                ContentType="image/jpeg",
            )
