"""The consumer side of the spool that ``hook.py`` appends to.

Layout under ``<common-dir>/gitmem/spool/``:
- ``<session>.jsonl``: live file, appended to by hooks (one line per event).
- ``<session>.flush``: a flush request left by Stop/SessionEnd/PreCompact;
  ``_sweep.flush`` (SessionStart) asks for every idle session with spooled events.
- ``<session>.<ns>.claimed``: a request a worker is handling; deleted when done,
  taken up again by the next worker if this one was killed.
- ``<session>.<ns>.taken``: a live file the worker took by renaming it. It
  stays until its records are in the memory ref, so a killed worker loses
  nothing: the next one finds it and flushes it again (the ref de-duplicates
  by event id).
- ``<session>.<ns>.bad``: lines that could not be parsed, kept for a person.

Taking a file: rename, then take ``LOCK_EX`` on the renamed file, so a hook
that opened it before the rename finishes its write first; a hook that gets
the lock later sees the inode changed and writes to a new live file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from gitmem.atomic import write_atomic
from gitmem.config import state_dir
from gitmem.errors import GitmemError

logger = logging.getLogger(__name__)

SPOOL_DIR = "spool"          # hook.SPOOL
REQUEST_SUFFIX = ".flush"
CLAIMED_SUFFIX = ".claimed"
LIVE_SUFFIX = ".jsonl"
TAKEN_SUFFIX = ".taken"
BAD_SUFFIX = ".bad"
SWEEP = "_sweep"             # hook.SWEEP
LOCK_FILE = "flush.lock"     # hook.LOCK_FILE
FLUSH_STATUS_FILE = "last-flush.json"


def spool_dir(common_dir: Path) -> Path:
    return state_dir(common_dir) / SPOOL_DIR


def _session_of(name: str) -> str:
    return name.split(".", 1)[0] if not name.startswith(".") else ""


@dataclass(frozen=True, slots=True)
class Backlog:
    sessions: int
    files: int
    bytes: int
    bad_files: int
    requests: int


def requests(spool: Path) -> list[str]:
    """Session ids (or ``_sweep``) that asked for a flush."""
    if not spool.is_dir():
        return []
    return sorted(p.name[: -len(REQUEST_SUFFIX)] for p in spool.iterdir() if p.name.endswith(REQUEST_SUFFIX))


def claim_request(spool: Path, name: str) -> Path | None:
    """Rename ``<name>.flush`` to ``<name>.<ns>.claimed``; deleted once that flush is done."""
    claimed = spool / f"{name}.{time.time_ns():020d}{CLAIMED_SUFFIX}"
    try:
        os.rename(spool / (name + REQUEST_SUFFIX), claimed)
    except FileNotFoundError:
        return None
    return claimed


def claimed_requests(spool: Path) -> list[tuple[str, Path]]:
    """Requests a worker claimed and has not finished (its own, or those of a worker that was killed)."""
    if not spool.is_dir():
        return []
    return sorted((_session_of(p.name), p) for p in spool.iterdir() if p.name.endswith(CLAIMED_SUFFIX))


def sessions_with_data(spool: Path, idle_seconds: float = 0.0) -> list[str]:
    """Sessions with spooled events; live files count only when untouched for ``idle_seconds``.

    A sweep at SessionStart passes an idle time, so it picks up sessions whose
    client died and leaves alone the one starting now and others still running
    (their own Stop flushes them).
    """
    if not spool.is_dir():
        return []
    found = set()
    cutoff = time.time() - idle_seconds
    for p in spool.iterdir():
        if p.name.endswith(LIVE_SUFFIX):
            st = p.stat()
            if st.st_size > 0 and (idle_seconds <= 0 or st.st_mtime <= cutoff):
                found.add(p.name[: -len(LIVE_SUFFIX)])
        elif p.name.endswith(TAKEN_SUFFIX):
            found.add(_session_of(p.name))
    return sorted(found)


def sessions_with_taken(spool: Path) -> list[str]:
    if not spool.is_dir():
        return []
    return sorted({_session_of(p.name) for p in spool.iterdir() if p.name.endswith(TAKEN_SUFFIX)})


def take(spool: Path, session_id: str) -> Path | None:
    """Move the live spool file of ``session_id`` aside for flushing; None when there is none."""
    live = spool / (session_id + LIVE_SUFFIX)
    taken = spool / f"{session_id}.{time.time_ns():020d}{TAKEN_SUFFIX}"
    try:
        os.rename(live, taken)
    except FileNotFoundError:
        return None
    fd = os.open(taken, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # wait for writers that opened it before the rename
    finally:
        os.close(fd)
    return taken


def taken_files(spool: Path, session_id: str) -> list[Path]:
    """Taken files of a session, oldest first (the name carries the time it was taken)."""
    return sorted(p for p in spool.glob(f"{session_id}.*{TAKEN_SUFFIX}") if _session_of(p.name) == session_id)


def iter_lines(path: Path) -> Iterator[bytes]:
    """The non-blank lines of a spool file, one at a time (a spool can be far larger than memory should be)."""
    with path.open("rb") as fh:
        for line in fh:
            line = line.rstrip(b"\n")
            if line.strip():
                yield line


def quarantine(spool: Path, session_id: str, lines: list[bytes]) -> Path | None:
    if not lines:
        return None
    path = spool / f"{session_id}.{time.time_ns():020d}{BAD_SUFFIX}"
    with path.open("wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
    logger.warning("kept %d unparseable spool lines of session %s in %s", len(lines), session_id, path)
    return path


def release(paths: list[Path]) -> None:
    """Delete taken files whose records are now in the ref."""
    for p in paths:
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def backlog(spool: Path) -> Backlog:
    if not spool.is_dir():
        return Backlog(0, 0, 0, 0, 0)
    files = [p for p in spool.iterdir() if p.name.endswith((LIVE_SUFFIX, TAKEN_SUFFIX))]
    return Backlog(
        sessions=len({_session_of(p.name) for p in files}),
        files=len(files),
        bytes=sum(p.stat().st_size for p in files if p.exists()),
        bad_files=len([p for p in spool.iterdir() if p.name.endswith(BAD_SUFFIX)]),
        requests=len(requests(spool)) + len(claimed_requests(spool)),
    )


def try_lock(path: Path) -> int | None:
    """An fd holding ``LOCK_EX`` on ``path``, or None when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def unlock(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def worker_running(common_dir: Path) -> bool:
    fd = try_lock(state_dir(common_dir) / LOCK_FILE)
    if fd is None:
        return True
    unlock(fd)
    return False


def write_flush_status(common_dir: Path, status: dict) -> None:
    """What the last flush did, for ``gitmem status`` (written atomically)."""
    path = state_dir(common_dir) / FLUSH_STATUS_FILE
    try:
        write_atomic(path, (json.dumps(status, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise GitmemError(f"cannot write {path}: {exc.strerror or exc}",
                          hint=f"free space in {path.parent} (a full disk?); the spool keeps every session until "
                               "a flush has written it.") from None


def read_flush_status(common_dir: Path) -> dict | None:
    try:
        data = json.loads((state_dir(common_dir) / FLUSH_STATUS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
