"""One structured (JSON) log line per request of the blueprint.

It carries counts, rule numbers and the failed dependency, never names,
document numbers, phone numbers or signed URLs.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Response, g, request

from ..service import UploadPlan
from .envelope import request_id

logger = logging.getLogger("flask_pis_documents.access")


def start_timer() -> None:
    g.pis_documents_started = time.perf_counter()
    g.pis_documents_log = {}


def note_plan(plan: UploadPlan, signed: int) -> None:
    """Record what a request worked out, for its log line."""
    fired = sorted({rule for d in plan.documents for rule in d.rules})
    g.pis_documents_log.update(
        rules_fired=fired,
        required=len(plan.documents),
        existing=sum(1 for d in plan.documents if d.found_in),
        signed=signed,
    )


def note_dependency_failure(dependency: str) -> None:
    g.setdefault("pis_documents_log", {})["dependency_failed"] = dependency


def write_line(response: Response) -> Response:
    started = g.get("pis_documents_started")
    line: dict[str, Any] = {
        "event": "pis_documents.request",
        "request_id": request_id(),
        "method": request.method,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        "rules_fired": [],
        "required": 0,
        "existing": 0,
        "signed": 0,
        "dependency_failed": None,
    }
    line.update(g.get("pis_documents_log", {}))
    logger.info(json.dumps(line, separators=(",", ":")))
    return response
