"""Age in completed years."""
from __future__ import annotations

from datetime import date


def age_on(birth_date: date, today: date) -> int:
    """Return the completed years between ``birth_date`` and ``today``.

    A 29 February birthday falls on 1 March in common years: on 28 February
    of a common year the year is not yet complete.

    :param birth_date: the date of birth.
    :param today: the date to measure on.
    :return: completed years; negative when ``birth_date`` is after ``today``.
    """
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - int(before_birthday)
