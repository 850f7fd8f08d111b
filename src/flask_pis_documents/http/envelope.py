"""The ESOZ envelope and the request id, for the blueprint's responses."""
from __future__ import annotations

import uuid
from typing import Any

from flask import g, request

from ..context import current_request_id

REQUEST_ID_HEADER = "x-request-id"


def _acceptable_request_id(value: str | None) -> bool:
    return value is not None and 0 < len(value) <= 200 and value.isascii() and value.isprintable()


def bind_request_id() -> None:
    """Take the incoming ``x-request-id`` when acceptable, else generate one."""
    incoming = request.headers.get(REQUEST_ID_HEADER)
    request_id = incoming if _acceptable_request_id(incoming) else str(uuid.uuid4())
    g.pis_documents_request_id = request_id
    current_request_id.set(request_id)


def request_id() -> str:
    """The request id bound to this request (bound on first use if need be)."""
    if "pis_documents_request_id" not in g:
        bind_request_id()
    value: str = g.pis_documents_request_id
    return value


def meta(code: int, kind: str) -> dict[str, Any]:
    return {"url": request.base_url, "type": kind, "code": code, "request_id": request_id()}
