"""What ``gitmem watch`` is told and what it reports: its options, the one-line status, the ids of its sessions.

Invariant: a session id made here is ``watch-<name>-<UTC start time>``, a
valid session id for the spool and the memory ref whatever the host is called.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
import time
from dataclasses import dataclass

from gitmem.errors import GitmemError

_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class WatchOptions:
    session_name: str = ""     # watch-<name>-<start time>; default: the host name
    debounce: float = 1.0      # seconds of quiet that end a burst
    max_delay: float = 10.0    # a burst that never goes quiet is written after this long
    idle: float = 600.0        # seconds without changes before the session is flushed
    bulk_files: int = 100      # more files than this in one burst: one summarized observation
    skip_files: tuple[tuple[int, int], ...] = ()  # (st_dev, st_ino) never recorded: our own output files

    def __post_init__(self) -> None:
        if self.debounce <= 0 or self.max_delay < self.debounce or self.idle <= 0 or self.bulk_files < 1:
            raise ValueError("watch needs debounce > 0, max_delay >= debounce, idle > 0 and bulk_files >= 1")


@dataclass(frozen=True, slots=True)
class WatchStatus:
    root: str
    state: str = "watching"    # watching | flushing | stopping | stopped
    session_id: str = ""       # the open session ("" between sessions)
    changes: int = 0           # changed files recorded in the open session, burst by burst
    files: int = 0             # distinct files among them
    last_change: float = 0.0   # epoch seconds of the last recorded change
    pending: int = 0           # paths seen but not yet written
    flushed: tuple[str, ...] = ()  # sessions flushed into memory, oldest first
    lost_events: bool = False  # the kernel dropped events at least once (counts are a lower bound)
    error: str = ""            # the last failure (writing the spool, flushing)


def session_name(name: str | None) -> str:
    """``name`` checked, or this machine's host name made safe for a session id."""
    if name:
        if not _NAME.fullmatch(name) or ".." in name:
            raise GitmemError(f"session name {name!r} is not 1-64 letters, digits, '.', '_' or '-'",
                              hint="pick a name such as `editor` or `build-box`.")
        return name
    host = re.sub(r"[^A-Za-z0-9_-]+", "-", socket.gethostname().split(".")[0]).strip("-")[:40]
    return host or "host"


def new_session_id(name: str, epoch: float, previous: str = "") -> str:
    """``watch-<name>-<UTC start time>``; a second session started within the same second gets ``-2``, ``-3``..."""
    base = f"watch-{name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(epoch))}"
    if previous != base and not previous.startswith(base + "-"):
        return base
    tail = previous[len(base) + 1:]
    return f"{base}-{int(tail) + 1 if tail.isdigit() else 2}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _ago(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min" if seconds < 5400 else f"{seconds // 3600} h"


def describe(status: WatchStatus, now: float | None = None, width: int | None = None) -> str:
    """The one-line status; ``now`` (epoch) adds how long ago the last change was.

    Longer than ``width``, the line names the folder instead of its path, and is cut.
    """
    line = _describe(status, now)
    if width is not None and len(line) > width:
        line = _describe(dataclasses.replace(status, root=os.path.basename(status.root) or status.root), now)
        line = line if len(line) <= width else line[:max(width - 1, 0)] + "…"
    return line


def _describe(status: WatchStatus, now: float | None) -> str:
    line = f"watching {status.root}"
    if status.state == "stopping":
        line = ("stopping: flushing the session into memory" if status.session_id or status.pending
                else "stopping")
    elif status.state == "stopped":
        line = (f"stopped: session {status.flushed[-1]} flushed into memory" if status.flushed
                else "stopped: nothing to flush")
    elif status.state == "flushing":
        line += f": flushing session {status.session_id} into memory"
    elif status.session_id:
        line += f" (session {status.session_id}): {_plural(status.changes, 'change')} in " \
                f"{_plural(status.files, 'file')}"
        if now is not None and status.last_change:
            line += f", last {_ago(now - status.last_change)} ago"
    elif status.flushed:
        line += f": session {status.flushed[-1]} is in memory; waiting for changes"
    else:
        line += ": waiting for changes"
    if status.lost_events:
        line += " (the kernel dropped events: counts are a lower bound)"
    if status.error:
        line += f"; error: {status.error}"
    return line
