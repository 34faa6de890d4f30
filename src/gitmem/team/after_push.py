"""After ``git push``: the detached background sync the pre-push hook starts.

Invariants:
- It never fails or holds up the user's push: the hook starts it detached
  (its own session, no terminal) and returns; it waits for the pushing git
  process to end before it fetches.
- Background syncs of one repository run one at a time (``<state>/sync.lock``).
- It never raises: the outcome goes to ``sync.log`` and ``last-sync.json``.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from gitmem.atomic import write_atomic
from gitmem.config import state_dir
from gitmem.git import Repo
from gitmem.lock_wait import lock_before
from gitmem.team import sharing
from gitmem.team.sync import SyncResult, sync

logger = logging.getLogger(__name__)

AFTER_PUSH_WAIT_SECONDS = 600.0
AFTER_PUSH_GIT_TIMEOUT = 60.0
LOCK_WAIT_SECONDS = 300.0
LAST_SYNC_FILE = "last-sync.json"
SYNC_LOG_FILE = "sync.log"
LOCK_FILE = "sync.lock"


def last_sync(common_dir: Path) -> dict | None:
    """What the last background sync reported (``<state>/last-sync.json``), if any."""
    try:
        return json.loads((state_dir(common_dir) / LAST_SYNC_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def _record_last_sync(common_dir: Path, data: dict) -> None:
    write_atomic(state_dir(common_dir) / LAST_SYNC_FILE,
                 (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8"))


def _proc_stat(pid: int) -> tuple[str, str, int, str] | None:
    """(name, state, parent pid, start time) from /proc, or None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1:raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2:].split()
    return name, rest[0], int(rest[1]), rest[19]


def _pushing_git(pid: int) -> tuple[int, str | None]:
    """The git process behind ``pid`` (a hook's parent, possibly through a hook manager's shells)."""
    current = pid
    for _ in range(6):
        stat = _proc_stat(current)
        if stat is None:
            break
        if stat[0] == "git":
            return current, stat[3]
        current = stat[2]
        if current <= 1:
            break
    stat = _proc_stat(pid)
    return pid, stat[3] if stat else None


def _alive(pid: int, started: str | None) -> bool:
    stat = _proc_stat(pid)
    if stat is not None:
        return stat[1] not in ("Z", "X") and (started is None or stat[3] == started)
    if Path("/proc/self").exists():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_for_push(pid: int | None, deadline: float) -> None:
    if not pid or pid <= 1:
        return
    target, started = _pushing_git(pid)
    while time.monotonic() < deadline and _alive(target, started):
        time.sleep(0.05)


def after_push(repo: Repo, remote: str, wait_pid: int | None = None, *,
               wait_seconds: float = AFTER_PUSH_WAIT_SECONDS) -> SyncResult | None:
    """What the pre-push hook starts: wait for the user's push to end, then sync with ``remote``.

    Runs detached (its own session, no terminal). Holds ``<state>/sync.lock``
    so that background syncs of one repository run one at a time. Never
    raises: the outcome goes to ``sync.log`` and ``last-sync.json``.
    """
    if not sharing.push_enabled(repo, remote):
        # `git push public main` to a remote added after init, or `git push <url>`: memory never follows.
        logger.info("memory not pushed to %s: not a remote enabled for memory (`gitmem remote add`)", remote)
        return None
    _wait_for_push(wait_pid, time.monotonic() + wait_seconds)
    folder = state_dir(repo.common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.time()
    record: dict = {"remote": remote, "trigger": "pre-push", "started_at": started}
    with open(folder / LOCK_FILE, "a+") as lock:
        if not lock_before(lock, time.monotonic() + LOCK_WAIT_SECONDS):
            logger.warning("another memory sync held %s for %.0f s; skipped", LOCK_FILE, LOCK_WAIT_SECONDS)
            return None
        result: SyncResult | None = None
        try:
            result = sync(repo, remote, timeout=AFTER_PUSH_GIT_TIMEOUT, background=True)
            record.update(result.to_dict())
        except Exception as exc:  # noqa: BLE001 - a background sync reports, it never raises
            logger.exception("memory sync with %s failed", remote)
            record["error"] = str(exc)
        record["seconds"] = round(time.time() - started, 3)
        _record_last_sync(repo.common_dir, record)
        return result
