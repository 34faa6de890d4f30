"""The dates and ages a user types (``--since 2w``, ``--since 2026-11-01``), read as comparable date strings.

Invariants:
- Every result compares as text with the dates the index stores: a bare date stays ``yyyy-mm-dd``, a time
  (and an age, counted back from now) becomes UTC ``yyyy-mm-ddThh:mm:ssZ``. ``utc_time`` is that one form.
- Anything else is a ``GitmemError`` naming the value and the forms that are read; nothing is guessed.
"""

from __future__ import annotations

import contextlib
import datetime
import re

from gitmem.errors import GitmemError

_RELATIVE = re.compile(r"(\d+)\s*(h|d|w|m|y)", re.IGNORECASE)
_RELATIVE_DAYS = {"h": 1 / 24, "d": 1, "w": 7, "m": 30, "y": 365}


def utc_time(value: str) -> str | None:
    """An ISO 8601 time as ``2026-11-24T08:00:00Z`` (UTC; a time without offset is taken as UTC), or None."""
    try:
        stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(value: str, now: datetime.datetime | None = None) -> str:
    """``7d``, ``2w``, ``12h``, ``3m`` (30 days), ``1y``, an ISO date or an ISO time -> a comparable date string."""
    text = value.strip()
    m = _RELATIVE.fullmatch(text)
    if m:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        start = now - datetime.timedelta(days=int(m.group(1)) * _RELATIVE_DAYS[m.group(2).lower()])
        return start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(text).isoformat()
    elif re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text) and (stamp := utc_time(text)):
        return stamp
    raise GitmemError(f"cannot read --since {value!r}",
                      hint="give a date (2026-11-24), a time (2026-11-24T08:00:00Z) or an age such as 7d, 2w, 12h.")
