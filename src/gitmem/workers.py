"""The detached workers' entry points: ``python -I -m gitmem.workers <job> ...``.

Who starts which job:
- ``flush --common-dir D [--lock-fd N]``: the hook, when a session ends (``hook.spawn_worker``); the flush
  lock is inherited on fd N.
- ``session-start --root R``: the SessionStart hook when the pre-rendered brief is stale; prints the brief.
- ``index --root R --lock-fd N``: ``index_build.start``, when the search index is missing or far behind.
- ``after-push REMOTE [--wait-pid PID]``: the line gitmem writes into the pre-push hook (``setup.hook_line``).

Invariants:
- Nothing is raised out of a job: every failure goes through ``log_failure`` to the repository's log
  (``gitmem.log``; ``sync.log`` for ``after-push``), or for ``session-start`` to the hook's stderr.
- Only ``session-start`` writes to stdout, and only the brief (it becomes model context).
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
from pathlib import Path
from typing import Sequence

from gitmem.config import LOG_FILE, state_dir
from gitmem.errors import GitmemError
from gitmem.git import discover

logger = logging.getLogger(__name__)

LOG_BYTES = 1 << 20


def log_to_file(path: Path, backups: int) -> None:
    """Send gitmem's log records (INFO and up) to ``path``, rotated at ``LOG_BYTES`` keeping ``backups`` old files."""
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("gitmem")
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def log_failure(job: str, exc: BaseException) -> None:
    """The one place a worker reports a failure: a GitmemError as its message and hint, anything else with
    its traceback."""
    if isinstance(exc, GitmemError):
        logger.warning("%s: %s%s", job, exc.message, f" (hint: {exc.hint})" if exc.hint else "")
    else:
        logger.error("%s failed", job, exc_info=exc)


def run_flush(common_dir: Path, lock_fd: int | None) -> int:
    from gitmem.app import flush

    common = common_dir.resolve()
    if not state_dir(common).is_dir():
        return 0
    log_to_file(state_dir(common) / LOG_FILE, backups=2)
    flush.arm_deadline()
    try:
        report = flush.run_worker(common, lock_fd=lock_fd)
    except flush.WorkerDeadline as exc:
        logger.error("%s; the rest stays in the spool for the next worker", exc)
        return 1
    except Exception as exc:  # noqa: BLE001 - detached: the log is the only place to report
        log_failure("flush worker", exc)
        return 1
    return 1 if report.errors else 0


def run_session_start(root: Path | None, agent: str | None = None) -> int:
    """Render the brief now and print the hook's JSON; a failure prints no brief (a hook never fails a session).

    Its log records go to stderr, which the SessionStart hook passes on: the user sees a bad setting there."""
    try:
        repo = discover(root)
        if repo.root is None:
            return 0
        from gitmem.app import inject  # the brief's path imports only what rendering needs

        out = inject.render_brief(repo).hook_output()
    except Exception as exc:  # noqa: BLE001 - no brief is better than a failed session start
        log_failure("brief", exc)
        return 0
    if out:
        from gitmem import hook  # the answer in the shape the agent reads (hook.context_answer)

        os.write(1, hook.context_answer((out + "\n").encode("utf-8"), agent.encode() if agent else None))
    return 0


def run_index(root: Path | None, lock_fd: int | None) -> int:
    """Build the search index, then render the brief from it."""
    try:
        repo = discover(root)
        if repo.root is None:
            return 0
        log_to_file(state_dir(repo.common_dir) / LOG_FILE, backups=2)
        from gitmem.app import inject
        from gitmem.index import index_build, neighbours

        if index_build.build(repo, inject.refresh_brief, lock_fd=lock_fd):
            neighbours.refresh(repo)  # prompt recall's word neighbours of the new index (semantic extra only)
    except Exception as exc:  # noqa: BLE001 - detached: the log is the only place to report
        log_failure("index build", exc)
    return 0


def run_after_push(remote: str, wait_pid: int | None) -> int:
    """The background memory sync a ``git push`` starts; its outcome goes to ``sync.log`` and ``last-sync.json``."""
    try:
        os.setsid()  # leave the terminal's process group: Ctrl-C or a closed terminal do not stop it
    except OSError:
        pass
    try:
        repo = discover()
        folder = state_dir(repo.common_dir)
        folder.mkdir(parents=True, exist_ok=True)
        from gitmem.team import after_push

        log_to_file(folder / after_push.SYNC_LOG_FILE, backups=1)
        if after_push.after_push(repo, remote, wait_pid) is not None:
            from gitmem.app import inject

            inject.refresh_stale_brief(repo)  # the next SessionStart prints it, rather than rendering it
    except Exception as exc:  # noqa: BLE001 - nothing may escape a detached job; there is no one to tell
        log_failure("background memory sync", exc)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gitmem.workers",
                                     description="gitmem's detached workers (started by its hooks, not by hand).")
    jobs = parser.add_subparsers(dest="job", required=True)
    p = jobs.add_parser("flush", help="flush spooled sessions into the memory ref")
    p.add_argument("--common-dir", required=True, type=Path)
    p.add_argument("--lock-fd", type=int, default=None,
                   help="an inherited descriptor that already holds the flush lock (set by the hook)")
    p = jobs.add_parser("session-start", help="render the brief now and print the SessionStart hook's JSON")
    p.add_argument("--root", type=Path, default=None)
    p.add_argument("--agent", default=None, help="the agent the hook command named (hook.TOP_LEVEL_CONTEXT)")
    p = jobs.add_parser("index", help="build the search index, then render the brief from it")
    p.add_argument("--root", type=Path, default=None)
    p.add_argument("--lock-fd", type=int, default=None, help="the build lock, already held")
    p = jobs.add_parser("after-push", help="sync memory with REMOTE once the push that started it ends")
    p.add_argument("remote")
    p.add_argument("--wait-pid", type=int, default=None)
    args = parser.parse_args(argv)
    if args.job == "flush":
        return run_flush(args.common_dir, args.lock_fd)
    if args.job == "session-start":
        return run_session_start(args.root, args.agent)
    if args.job == "index":
        return run_index(args.root, args.lock_fd)
    return run_after_push(args.remote, args.wait_pid)


if __name__ == "__main__":
    raise SystemExit(main())
