"""Marshmallow schemas of the ESOZ (EView) envelopes, for the OpenAPI document.

Class names carry the ``PisDocuments`` prefix so that their components never
collide with a host's.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate


class PisDocumentsMetaSchema(Schema):
    url = fields.String(required=True, metadata={"description": "The request URL without its query"})
    type = fields.String(
        required=True, validate=validate.OneOf(["object", "list"]),
        metadata={"description": "`list` on success, `object` on errors"},
    )
    code = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    request_id = fields.String(
        required=True, metadata={"description": "The incoming `x-request-id`, or a generated one"}
    )


class PisDocumentsMediaContentSchema(Schema):
    type = fields.String(
        required=True,
        metadata={
            "description": "The document's name, such as `person.PASSPORT`",
            "example": "person.PASSPORT",
        },
    )
    url = fields.String(required=True, metadata={"description": "A presigned PUT URL"})
    headers = fields.Dict(
        keys=fields.String(), values=fields.String(),
        metadata={"description": "Headers the upload must send, as signed into the URL"},
    )


class PisDocumentsListEnvelopeSchema(Schema):
    meta = fields.Nested(PisDocumentsMetaSchema, required=True)
    data = fields.List(fields.Nested(PisDocumentsMediaContentSchema), required=True)


class PisDocumentsErrorDetailSchema(Schema):
    type = fields.String(
        required=True,
        metadata={"description": "access_denied, forbidden, not_found, service_unavailable or internal_error"},
    )
    message = fields.String(required=True)


class PisDocumentsErrorEnvelopeSchema(Schema):
    meta = fields.Nested(PisDocumentsMetaSchema, required=True)
    error = fields.Nested(PisDocumentsErrorDetailSchema, required=True)
