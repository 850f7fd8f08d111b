"""Who a request is about."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The person a request is about, and who acts for them.

    :param applicant_id: another person acting for ``person_id``, with an id
        fit for object keys; ``None`` when the person acts for themself.
    """

    person_id: str
    applicant_id: str | None = None
