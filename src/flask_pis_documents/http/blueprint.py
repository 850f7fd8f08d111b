"""The blueprint: ``POST {prefix}/documents``."""
from __future__ import annotations

import functools
from typing import Any

import flask_smorest
from flask import Response
from flask_smorest.response import ResponseMixin

from ..service import UploadPlan, complete_uploads, plan_uploads, sign_uploads
from ..state import PisDocumentsState, get_state
from .access_log import note_plan, start_timer, write_line
from .auth import authenticate
from .envelope import REQUEST_ID_HEADER, bind_request_id, meta, request_id
from .errors import register_error_handlers
from .schemas import PisDocumentsErrorEnvelopeSchema, PisDocumentsListEnvelopeSchema

BLUEPRINT_NAME = "pis_documents"
SECURITY_SCHEME = "pisDocumentsBearerAuth"

ERROR_RESPONSES = {
    401: "No `Authorization: Bearer` header (`access_denied`), or the token is not a valid access token",
    403: "The token's scope lacks the configured scope (`forbidden`)",
    404: "Person does not exist or is not active (`not_found`)",
    500: "Anything unexpected (`internal_error`)",
    503: "A dependency (storage, relationship service, person store) failed or timed out",
}


class _NoDefaultErrorApi:
    """The host's Api as seen by the doc builder, without smorest's ``default`` error.

    Every status the endpoint answers is documented with the ESOZ envelope, so
    smorest's own ``Error`` schema would only mislead.
    """

    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, api: Any) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)


class PisDocumentsBlueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    @staticmethod
    def _prepare_response_doc(doc: Any, doc_info: Any, *, api: Any, spec: Any, **kwargs: Any) -> Any:
        return ResponseMixin._prepare_response_doc(
            doc, doc_info, api=_NoDefaultErrorApi(api), spec=spec, **kwargs
        )


def _set_request_id_header(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def _media_content(state: PisDocumentsState, plan: UploadPlan) -> list[dict[str, Any]]:
    uploads = sign_uploads(state, plan)
    note_plan(plan, signed=len(uploads))
    return [{"type": name, "url": u.url, "headers": dict(u.headers)} for name, u in uploads]


def create_blueprint(url_prefix: str) -> PisDocumentsBlueprint:
    """Build the blueprint for one app, with its error envelope scoped to it."""
    blueprint = PisDocumentsBlueprint(
        BLUEPRINT_NAME,
        __name__,
        url_prefix=url_prefix,
        description="ESOZ PIS person documents upload",
    )
    blueprint.before_request(start_timer)
    blueprint.before_request(bind_request_id)
    blueprint.after_request(_set_request_id_header)
    blueprint.after_request(write_line)
    register_error_handlers(blueprint)

    def documented(view: Any, extra_dependencies: str = "") -> Any:
        for status, description in ERROR_RESPONSES.items():
            if status == 503 and extra_dependencies:
                description = description.replace(")", f", {extra_dependencies})")
            view = blueprint.alt_response(
                status, schema=PisDocumentsErrorEnvelopeSchema, description=description
            )(view)
        return blueprint.doc(security=[{SECURITY_SCHEME: []}])(view)

    @blueprint.route("/documents", methods=["POST"])
    @documented
    @blueprint.response(
        201, PisDocumentsListEnvelopeSchema,
        description="The documents still to upload, each with a presigned PUT URL; `[]` when none",
    )
    def initialize_person_documents_upload() -> Any:
        """PIS. Initialize Person documents upload

        Returns the documents the person in the token still has to upload,
        each with a presigned upload URL. Documents already present in any
        of the three media content storages are left out.
        """
        state = get_state()
        plan = plan_uploads(state, authenticate(state.config, state.user_person_loader))
        return {"meta": meta(201, "list"), "data": _media_content(state, plan)}

    @blueprint.route("/documents/actions/complete", methods=["PATCH"])
    @functools.partial(documented, extra_dependencies="completion ledger, documents completed hook")
    @blueprint.response(
        200, PisDocumentsListEnvelopeSchema,
        description="The documents still missing, each with a fresh PUT URL; `[]` when complete",
    )
    def complete_person_documents_upload() -> Any:
        """PIS. Complete Person documents upload

        Call it after the uploads. Returns the documents still missing, with
        fresh upload URLs. When none is missing, `data` is `[]` and the
        `documents_completed` hook runs, once per set of present documents.
        """
        state = get_state()
        completion = complete_uploads(state, authenticate(state.config, state.user_person_loader))
        return {"meta": meta(200, "list"), "data": _media_content(state, completion.plan)}

    return blueprint
