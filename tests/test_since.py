"""The dates and ages a user types, read as strings that compare with the dates the index stores."""

from __future__ import annotations

import datetime

import pytest

from gitmem.errors import GitmemError
from gitmem.since import parse_since, utc_time

NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("typed, read", [
    ("7d", "2026-11-23T12:00:00Z"), ("2w", "2026-11-16T12:00:00Z"), ("12h", "2026-11-30T00:00:00Z"),
    ("3m", "2026-09-01T12:00:00Z"), ("1Y", "2025-11-30T12:00:00Z"),
    (" 7 d ", "2026-11-23T12:00:00Z"),
    ("2026-11-01", "2026-11-01"),                                  # a bare date stays a date
    ("2026-11-21T00:00:00+01:00", "2026-11-20T23:00:00Z"),         # a time becomes UTC
    ("2026-11-21 08:30", "2026-11-21T08:30:00Z"),                  # no offset: taken as UTC
])
def test_ages_dates_and_times_read_as_comparable_strings(typed: str, read: str) -> None:
    assert parse_since(typed, NOW) == read


@pytest.mark.parametrize("bad", ["yesterday", "7", "2026-13-01", "2026-11-31", "d7", "2026-11-21Tnoon", ""])
def test_anything_else_is_an_error_that_names_the_value_and_the_forms(bad: str) -> None:
    with pytest.raises(GitmemError, match="--since") as caught:
        parse_since(bad, NOW)
    assert "7d" in (caught.value.hint or "")


def test_utc_time_is_none_for_text_that_is_no_time() -> None:
    assert utc_time("2026-11-24T08:00:00z") == "2026-11-24T08:00:00Z"
    assert utc_time("soon") is None
