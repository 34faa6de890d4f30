"""A record's date is believed only when it is not further in the future than clocks drift."""

from __future__ import annotations

import datetime

from gitmem.store.dates import FUTURE_SKEW_SECONDS, believable_date, believable_time


def _iso(delta_seconds: float) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_date_within_the_drift_is_believed_and_one_beyond_it_is_not() -> None:
    near, far = _iso(FUTURE_SKEW_SECONDS / 2), _iso(FUTURE_SKEW_SECONDS * 10)
    assert believable_date(near) == near
    assert believable_date(far) == ""
    assert believable_date(far, "", "not a date", "2026-11-24T08:00:00Z") == "2026-11-24T08:00:00Z"
    assert believable_date("2099-01-01T00:00:00") == ""          # no offset: taken as UTC, still the future


def test_a_time_beyond_the_drift_counts_as_now() -> None:
    now = 1_800_000_000.0
    assert believable_time(now + FUTURE_SKEW_SECONDS, now) == now + FUTURE_SKEW_SECONDS
    assert believable_time(now + FUTURE_SKEW_SECONDS + 1, now) == now
    assert believable_time(now - 86_400, now) == now - 86_400
