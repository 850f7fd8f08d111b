"""What may go into an object key or a URL."""
from __future__ import annotations

import re

_PERSON_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_DOCUMENT_TYPE = re.compile(r"[A-Za-z0-9_]+")


def is_safe_person_id(value: object) -> bool:
    """Return whether ``value`` is a string fit to be part of an object key."""
    return isinstance(value, str) and _PERSON_ID.fullmatch(value) is not None


def is_safe_document_type(value: object) -> bool:
    """Return whether ``value`` is a document type fit to be part of a name."""
    return isinstance(value, str) and _DOCUMENT_TYPE.fullmatch(value) is not None
