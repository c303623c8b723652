"""The pure rules: age on a day, who consents, month arithmetic, evaluation schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yim.trajectories.rules import (
    AMSTERDAM,
    add_months,
    age_on,
    amsterdam_day,
    birthday,
    evaluation_schedule,
    mentor_search,
    required_consent,
)

UTC = dt.UTC


def test_consent_on_the_twelfth_birthday_needs_youth_and_parents():
    dob = dt.date(2014, 6, 10)
    assert required_consent(dob, dt.date(2026, 6, 9)).parties == ("parent",)
    assert required_consent(dob, dt.date(2026, 6, 10)).parties == ("youth", "parent")


def test_consent_on_the_sixteenth_birthday_is_the_youths_alone():
    dob = dt.date(2010, 6, 10)
    assert required_consent(dob, dt.date(2026, 6, 9)).parties == ("youth", "parent")
    assert required_consent(dob, dt.date(2026, 6, 10)).parties == ("youth",)


def test_a_leap_day_child_turns_twelve_and_sixteen_on_29_february():
    # 12 and 16 are multiples of four, so these birthdays fall in leap years (until 2100).
    dob = dt.date(2008, 2, 29)
    assert required_consent(dob, dt.date(2020, 2, 28)).parties == ("parent",)
    assert required_consent(dob, dt.date(2020, 2, 29)).parties == ("youth", "parent")
    assert required_consent(dob, dt.date(2024, 2, 28)).parties == ("youth", "parent")
    assert required_consent(dob, dt.date(2024, 2, 29)).parties == ("youth",)


def test_a_leap_day_child_has_its_birthday_on_1_march_in_common_years():
    dob = dt.date(2008, 2, 29)
    assert age_on(dob, dt.date(2021, 2, 28)) == 12
    assert age_on(dob, dt.date(2021, 3, 1)) == 13


def test_late_evening_in_amsterdam_is_judged_on_the_amsterdam_day_not_utc():
    dob = dt.date(2010, 1, 15)
    # 15 January 2026, 00:30 in Amsterdam is still 14 January (23:30) in UTC.
    just_after_midnight = dt.datetime(2026, 1, 15, 0, 30, tzinfo=AMSTERDAM)
    assert just_after_midnight.astimezone(UTC).date() == dt.date(2026, 1, 14)
    assert required_consent(dob, just_after_midnight).parties == ("youth",)
    # 14 January 23:30 in Amsterdam is 22:30 UTC on the same day: still 15.
    late_evening = dt.datetime(2026, 1, 14, 23, 30, tzinfo=AMSTERDAM)
    assert required_consent(dob, late_evening).parties == ("youth", "parent")
    # The same instant given in UTC gives the same answer.
    assert required_consent(dob, just_after_midnight.astimezone(UTC)).parties == ("youth",)


def test_summer_time_moves_the_utc_boundary_by_an_hour():
    dob = dt.date(2010, 7, 1)
    # 1 July 00:30 CEST = 30 June 22:30 UTC.
    moment = dt.datetime(2026, 6, 30, 22, 30, tzinfo=UTC)
    assert amsterdam_day(moment) == dt.date(2026, 7, 1)
    assert required_consent(dob, moment).age == 16


def test_a_naive_datetime_is_refused_rather_than_guessed():
    with pytest.raises(ValueError, match="naive"):
        amsterdam_day(dt.datetime(2026, 1, 1, 12, 0))


def test_an_age_before_birth_is_refused():
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(dt.date(2020, 1, 2), dt.date(2020, 1, 1))


@pytest.mark.parametrize(
    ("dob", "age", "expected"),
    [
        (dt.date(2012, 2, 29), 12, dt.date(2024, 2, 29)),  # a leap year: the day itself
        (dt.date(2012, 2, 29), 13, dt.date(2025, 3, 1)),  # a common year: 1 March
        (dt.date(2010, 12, 31), 16, dt.date(2026, 12, 31)),
    ],
)
def test_a_birthday_is_the_first_day_of_the_new_age(dob, age, expected):
    assert birthday(dob, age) == expected
    assert age_on(dob, expected) == age
    assert age_on(dob, expected - dt.timedelta(days=1)) == age - 1


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.date(2026, 12, 31), 2) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 12, 31), 2) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 1, 15), 24) == dt.date(2028, 1, 15)


def test_evaluations_on_time_late_and_missed_are_told_apart():
    start = dt.date(2026, 1, 10)
    held = [dt.date(2026, 3, 5), dt.date(2026, 5, 20)]  # on time; then late (due 5 May)
    schedule = evaluation_schedule(start, held, 2, as_of=dt.date(2026, 10, 1))
    assert [(e.due_on, e.held_on, e.status) for e in schedule] == [
        (dt.date(2026, 3, 10), dt.date(2026, 3, 5), "done"),
        (dt.date(2026, 5, 5), dt.date(2026, 5, 20), "late"),
        (dt.date(2026, 7, 20), None, "overdue"),
        (dt.date(2026, 9, 20), None, "overdue"),
        (dt.date(2026, 11, 20), None, "upcoming"),
    ]


def test_a_closed_trajectory_has_missed_evaluations_and_none_upcoming():
    start = dt.date(2026, 1, 10)
    schedule = evaluation_schedule(
        start, [], 2, as_of=dt.date(2026, 10, 1), end=dt.date(2026, 4, 1)
    )
    assert [(e.due_on, e.status) for e in schedule] == [(dt.date(2026, 3, 10), "missed")]


@given(
    dob=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2025, 12, 31)),
    offset=st.integers(min_value=0, max_value=30 * 366),
)
def test_consent_parties_follow_the_age_bands(dob, offset):
    on = dob + dt.timedelta(days=offset)
    need = required_consent(dob, on)
    age = age_on(dob, on)
    assert need.age == age
    assert need.youth == (age >= 12)
    assert need.parents == (age < 16)
    assert need.youth or need.parents  # someone always decides
    # The same bands read from the two birthdays (how the evidence reads consent in bulk).
    assert need.youth == (on >= birthday(dob, 12))
    assert need.parents == (on < birthday(dob, 16))


@given(
    dob=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2020, 12, 31)),
    offset=st.integers(min_value=0, max_value=25 * 366),
)
def test_age_never_decreases_and_changes_only_on_birthdays(dob, offset):
    on = dob + dt.timedelta(days=offset)
    tomorrow = on + dt.timedelta(days=1)
    step = age_on(dob, tomorrow) - age_on(dob, on)
    assert step in (0, 1)
    if step == 1:
        birthday_like = (tomorrow.month, tomorrow.day) == (dob.month, dob.day) or (
            (dob.month, dob.day) == (2, 29) and (tomorrow.month, tomorrow.day) == (3, 1)
        )
        assert birthday_like


@given(
    instant=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2035, 12, 31),
        timezones=st.just(UTC),
    ),
    dob=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(1999, 12, 31)),
)
def test_consent_for_an_instant_is_consent_for_its_amsterdam_day(instant, dob):
    assert required_consent(dob, instant) == required_consent(dob, amsterdam_day(instant))


@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 1, 1)),
    found_after=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    censor_after=st.integers(min_value=0, max_value=800),
)
def test_mentor_search_is_an_event_or_a_censoring_never_both(start, found_after, censor_after):
    found_on = start + dt.timedelta(days=found_after) if found_after is not None else None
    row = mentor_search(start, found_on, start + dt.timedelta(days=censor_after))
    assert row.found == (found_on is not None)
    assert row.days == (found_after if found_after is not None else censor_after)
    assert row.days >= 0
