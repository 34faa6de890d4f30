"""Waiting for an exclusive file lock, but never past a deadline.

Two gitmem jobs queue behind one another on a lock file (the ``claude``
summarizer of a repository, the background syncs after pushes). A blocking
``flock`` could wait forever behind a hung holder, so the wait polls and gives
up at a ``time.monotonic()`` deadline; the caller decides what giving up means.
"""

from __future__ import annotations

import fcntl
import time
from typing import IO

POLL_SECONDS = 0.1


def lock_before(file: int | IO, give_up: float) -> bool:
    """Take ``LOCK_EX`` on ``file`` (an fd or open file); False when another holder keeps it until ``give_up``."""
    while True:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() + POLL_SECONDS >= give_up:
                return False
            time.sleep(POLL_SECONDS)
