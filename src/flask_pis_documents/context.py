"""Per-request values that adapters running in worker threads may read."""
from __future__ import annotations

from contextvars import ContextVar

#: The request id of the request being served; forwarded to dependencies.
current_request_id: ContextVar[str | None] = ContextVar("pis_documents_request_id", default=None)
