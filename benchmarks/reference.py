"""The sequential reference: what a straightforward implementation would do.

:func:`SequentialReference.__call__` is a plain function of the ids: it
loads the person, makes the relationship call, then one boto3 ``head_object``
per document per storage, one after another (a document found in a storage
is not looked for in the next ones), then presigns the missing documents.
It is served by a tiny Flask view that checks the same JWT, so it is
measured through the same proxies and the same test client as the extension.
"""
from __future__ import annotations

from typing import Any

from .scenarios import APPLICANT_ID, BUCKETS, KEY_TEMPLATE, SECRET, STORAGE_ORDER, base_config

REFERENCE_PATH = "/reference/documents"


def _required(record: dict[str, Any], applicant_id: str | None, approved: bool) -> list[str]:
    """The scenario's rules 1 and 4 only, which is all the scenarios exercise."""
    names: list[str] = []
    if applicant_id is not None and approved:
        for confidant in record.get("confidant_person", ()):
            if confidant.get("person_id") == applicant_id:
                names += [
                    f"confidant_person.{applicant_id}.documents_relationship.{d['type']}"
                    for d in confidant.get("documents_relationship", ())
                ]
    if any(m.get("type") == "OFFLINE" for m in record.get("authentication_methods", ())):
        names += [f"person.{d['type']}" for d in record.get("documents", ())]
    return list(dict.fromkeys(names))


class SequentialReference:
    """One relationship call, then sequential HEADs, then presigns."""

    def __init__(self, s3_endpoint: str, relationship_url: str, store: dict[str, Any]) -> None:
        import boto3
        import requests
        from botocore.config import Config

        self.store = store
        self.relationship_url = relationship_url
        self.http = requests.Session()
        self.s3 = boto3.session.Session().client(
            "s3",
            region_name="us-east-1",
            endpoint_url=s3_endpoint,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "auto"},
                connect_timeout=3,
                read_timeout=3,
                retries={"mode": "standard", "total_max_attempts": 1},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def _exists(self, storage: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_object(Bucket=BUCKETS[storage], Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def __call__(self, person_id: str, applicant_id: str | None) -> list[dict[str, Any]] | None:
        record = self.store.get(person_id)
        if record is None:
            return None
        approved = False
        if applicant_id is not None and applicant_id != person_id:
            response = self.http.post(
                self.relationship_url,
                json={"person_id": person_id, "confidant_person_id": applicant_id},
                timeout=3,
            )
            response.raise_for_status()
            approved = response.json()["data"]["status"] in ("approved", "not_approved")
        missing = []
        for name in _required(record, applicant_id, approved):
            key = KEY_TEMPLATE.format(person_id=person_id, name=name)
            if not any(self._exists(storage, key) for storage in STORAGE_ORDER):
                missing.append(name)
        return [
            {
                "type": name,
                "url": self.s3.generate_presigned_url(
                    "put_object",
                    Params={
                        "Bucket": BUCKETS["persons"],
                        "Key": KEY_TEMPLATE.format(person_id=person_id, name=name),
                        "ContentType": "image/jpeg",
                    },
                    ExpiresIn=600,
                    HttpMethod="PUT",
                ),
                "headers": {"Content-Type": "image/jpeg"},
            }
            for name in missing
        ]


def build_reference_app(s3_endpoint: str, relationship_url: str, store: dict[str, Any]) -> Any:
    """A Flask app serving the reference at :data:`REFERENCE_PATH`, behind the same JWT check."""
    from flask import Flask, jsonify, request
    from flask_jwt_extended import JWTManager, get_jwt, verify_jwt_in_request

    app = Flask("bench_reference")
    app.config.update(base_config(s3_endpoint, relationship_url))
    app.config["JWT_SECRET_KEY"] = SECRET
    JWTManager(app)
    reference = SequentialReference(s3_endpoint, relationship_url, store)

    @app.post(REFERENCE_PATH)
    def documents() -> Any:
        verify_jwt_in_request(locations=["headers"])
        claims = get_jwt()
        data = reference(claims["person_id"], claims.get("applicant_person_id"))
        if data is None:
            return jsonify({"error": "not_found"}), 404
        meta = {"url": request.base_url, "type": "list", "code": 201, "request_id": "reference"}
        return jsonify({"meta": meta, "data": data}), 201

    return app


__all__ = ["APPLICANT_ID", "REFERENCE_PATH", "SequentialReference", "build_reference_app"]
