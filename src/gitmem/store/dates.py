"""A record's date, believed only when it is not too far in the future.

Records carry the dates their writer's clock gave them, and a fetch brings other clones' records: a broken
clock or a forged record can date a session 2099. Whatever orders records by date (the brief, the index,
the merge) asks here, so such a date never counts as the newest work.
"""

from __future__ import annotations

import datetime

FUTURE_SKEW_SECONDS = 600      # clocks drift; a date further ahead than this is not believed


def believable_time(stamp: float, now: float | None = None) -> float:
    """A record's time for ordering: one further in the future than clocks drift counts as now."""
    now = datetime.datetime.now(datetime.timezone.utc).timestamp() if now is None else now
    return now if stamp > now + FUTURE_SKEW_SECONDS else stamp


def believable_date(*stamps: str) -> str:
    """The first of ``stamps`` (ISO 8601) that is not further in the future than clocks drift; "" when none.

    Ordering by such a date keeps sixty sessions dated 2099 from pushing real work out of a brief.
    """
    for ts in stamps:
        if not ts:
            continue
        try:
            stamp = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=datetime.timezone.utc)
        if believable_time(stamp.timestamp()) == stamp.timestamp():
            return ts
    return ""
