"""lock_wait.lock_before: the one bounded wait for an exclusive file lock."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from gitmem.lock_wait import lock_before


def test_lock_before_gives_up_while_another_holder_keeps_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    holder = os.open(path, os.O_RDWR | os.O_CREAT)
    waiter = os.open(path, os.O_RDWR)  # a second open file: flock treats it as another holder
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        assert lock_before(waiter, time.monotonic() + 0.3) is False
        fcntl.flock(holder, fcntl.LOCK_UN)
        assert lock_before(waiter, time.monotonic() + 0.3) is True
        try:
            fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
            raise AssertionError("the waiter should hold the lock now")
        except BlockingIOError:
            pass
    finally:
        os.close(waiter)
        os.close(holder)


def test_lock_before_takes_a_free_lock_on_an_open_file(tmp_path: Path) -> None:
    with open(tmp_path / "y.lock", "a+") as fh:
        assert lock_before(fh, time.monotonic()) is True
