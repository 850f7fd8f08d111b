"""``age_on``: completed years, with 29 February birthdays on 1 March in common years."""
from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flask_pis_documents.domain import age_on


def birthdays_passed(birth_date: date, today: date) -> int:
    """Independent oracle: step year by year and count the birthdays on or before ``today``."""
    count = 0
    for year in range(birth_date.year + 1, today.year + 1):
        if (birth_date.month, birth_date.day) == (2, 29) and not calendar.isleap(year):
            birthday = date(year, 3, 1)
        else:
            birthday = date(year, birth_date.month, birth_date.day)
        if birthday <= today:
            count += 1
    return count


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 6, 14), 13),  # the day before the 14th birthday
        (date(2024, 6, 15), 14),  # the birthday
        (date(2024, 6, 16), 14),  # the day after
    ],
)
def test_birthday_boundary(today: date, expected: int) -> None:
    assert age_on(date(2010, 6, 15), today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2024, 12, 30), 13),
        (date(2024, 12, 31), 14),
        (date(2025, 1, 1), 14),
    ],
)
def test_birthday_at_the_end_of_the_year(today: date, expected: int) -> None:
    assert age_on(date(2010, 12, 31), today) == expected


def test_born_today_is_zero() -> None:
    assert age_on(date(2024, 6, 15), date(2024, 6, 15)) == 0


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2023, 2, 28), 10),  # common year: not yet
        (date(2023, 3, 1), 11),  # common year: the birthday falls on 1 March
        (date(2024, 2, 28), 11),  # leap year: the day before
        (date(2024, 2, 29), 12),  # leap year: the birthday itself
        (date(2024, 3, 1), 12),
    ],
)
def test_29_february_birthday(today: date, expected: int) -> None:
    assert age_on(date(2012, 2, 29), today) == expected


@pytest.mark.parametrize(
    ("birth_date", "today", "expected"),
    [
        (date(2096, 2, 29), date(2100, 2, 28), 3),  # 2100 is a common year
        (date(2096, 2, 29), date(2100, 3, 1), 4),
        (date(1996, 2, 29), date(2000, 2, 28), 3),  # 2000 is a leap year
        (date(1996, 2, 29), date(2000, 2, 29), 4),
    ],
)
def test_29_february_birthday_in_century_years(
    birth_date: date, today: date, expected: int
) -> None:
    assert age_on(birth_date, today) == expected


@pytest.mark.parametrize(
    ("birth_date", "today", "expected"),
    [
        (date(2011, 2, 28), date(2012, 2, 28), 1),
        (date(2011, 2, 28), date(2012, 2, 27), 0),
        (date(2011, 3, 1), date(2012, 2, 29), 0),
        (date(2011, 3, 1), date(2012, 3, 1), 1),
    ],
)
def test_neighbours_of_29_february_in_a_leap_year(
    birth_date: date, today: date, expected: int
) -> None:
    assert age_on(birth_date, today) == expected


@st.composite
def birth_and_today(draw: st.DrawFn) -> tuple[date, date]:
    birth_date = draw(st.dates())
    today = draw(st.dates(min_value=birth_date))
    return birth_date, today


@given(birth_and_today())
@example((date(2012, 2, 29), date(2023, 2, 28)))
@example((date(2012, 2, 29), date(2023, 3, 1)))
@example((date(2012, 2, 29), date(2024, 2, 28)))
@example((date(2012, 2, 29), date(2024, 2, 29)))
@example((date(2096, 2, 29), date(2100, 2, 28)))
@example((date(2096, 2, 29), date(2100, 3, 1)))
@example((date(2000, 2, 29), date(2000, 2, 29)))
def test_age_is_the_number_of_birthdays_passed(dates: tuple[date, date]) -> None:
    birth_date, today = dates
    assert age_on(birth_date, today) == birthdays_passed(birth_date, today)
