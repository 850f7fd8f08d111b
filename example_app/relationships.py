"""The host's own "Check confidant person relationship" endpoint, standing in for the MPI.

The extension's default HTTP relationship checker calls it (the URL is
``PIS_DOCUMENTS_RELATIONSHIP_CHECK_URL``). The answer is computed over the
seeded relationship rows by the package's
:class:`~flask_pis_documents.adapters.relationship_service.DatabaseRelationshipChecker`,
so the MPI rule lives in one place. Demo only: it has no authentication and
the example app listens on 127.0.0.1.
"""
from __future__ import annotations

from typing import Any

import flask_smorest
from flask import jsonify
from marshmallow import EXCLUDE, Schema, fields, validate

from flask_pis_documents import get_state
from flask_pis_documents.adapters.relationship_service import (
    APPROVED,
    NOT_APPROVED,
    NOT_FOUND,
    DatabaseRelationshipChecker,
)

CHECK_PATH = "/mpi/confidant-person-relationships/check"

blueprint = flask_smorest.Blueprint(
    "example_mpi",
    __name__,
    url_prefix="/mpi",
    description="Example MPI: check confidant person relationship (demo stand-in for the MPI)",
)


class ExampleRelationshipCheckRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    person_id = fields.String(
        required=True, validate=validate.Length(min=1), metadata={"description": "The person"}
    )
    confidant_person_id = fields.String(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "The confidant (the applicant acting for the person)"},
    )


class ExampleRelationshipStatusSchema(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf([APPROVED, NOT_APPROVED]),
        metadata={"description": "approved: VERIFIED, or VERIFICATION_NEEDED with reason "
                  "MANUAL_CREATED_BY_DOCTOR; not_approved: any other status"},
    )


class ExampleRelationshipCheckResponseSchema(Schema):
    data = fields.Nested(ExampleRelationshipStatusSchema, required=True)


class ExampleNotFoundErrorSchema(Schema):
    type = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)


class ExampleNotFoundResponseSchema(Schema):
    error = fields.Nested(ExampleNotFoundErrorSchema, required=True)


@blueprint.route("/confidant-person-relationships/check", methods=["POST"])
@blueprint.arguments(ExampleRelationshipCheckRequestSchema)
@blueprint.response(200, ExampleRelationshipCheckResponseSchema, description="An active relationship exists")
@blueprint.alt_response(
    404, schema=ExampleNotFoundResponseSchema, description="No active relationship between the two"
)
def check_confidant_person_relationship(body: dict[str, str]) -> Any:
    """Check confidant person relationship

    Looks up the active relationship (``is_active``, ``active_to`` empty or in
    the future) between ``person_id`` and ``confidant_person_id`` in the
    seeded MPI tables.
    """
    checker = DatabaseRelationshipChecker(get_state().config.sqlalchemy_bind)
    status = checker(body["person_id"], body["confidant_person_id"])
    if status == NOT_FOUND:
        error = {"type": "not_found", "message": "Confidant person relationship not found"}
        return jsonify({"error": error}), 404
    return {"data": {"status": status}}
