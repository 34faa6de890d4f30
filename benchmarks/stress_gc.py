"""Stress gitmem's writers with `git gc --prune=now` running beside them (issue 15 item 11).

Run from the repository root::

    .venv/bin/python benchmarks/stress_gc.py                    # 10 store runs, 3 sync runs
    .venv/bin/python benchmarks/stress_gc.py --store-runs 10 --sync-runs 3 --json
    PYTHONPATH=<an older checkout>/src .venv/bin/python benchmarks/stress_gc.py   # the same against older code

store: each run writes ``--writes`` sessions into a fresh repository with ``memory_ref.write_session`` while a
thread runs ``git gc --prune=now`` in a loop (at most 500 times). sync: two clones of one bare remote each
write a session and ``sync`` in turn, ``--rounds`` times, while a gc loop runs in each clone. A run is
*corrupt* when ``git rev-list --objects refs/notes/gitmem`` fails in a repository afterwards; sessions
*missing* are those written but not readable from the ref at the end (after a last sync for the clones).
Every process it starts is stopped; the repositories are temporary folders, removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary
from gitmem.team import sync

TS = "2026-11-24T10:00:00Z"


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def broken(root: Path) -> bool:
    return git(root, "rev-list", "--objects", "refs/notes/gitmem").returncode != 0


def write(root: Path, sid: str) -> bool:
    obs = [Observation(ts=TS, kind="prompt", text=sid, event_id=sid)]
    try:
        memory_ref.write_session(discover(root), sid, TS, obs, SessionSummary(id=sid, title=sid, started_at=TS))
    except Exception:  # noqa: BLE001 - counted: a write that failed is a session the ref does not hold
        return False
    return True


def sessions(root: Path) -> int:
    return -1 if broken(root) else len(memory_ref.read_memory(discover(root)).sessions)


class GcLoop:
    """``git gc --prune=now`` in a loop in each of ``roots`` until stopped (bounded)."""

    def __init__(self, roots: list[Path], limit: int = 500) -> None:
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._loop, args=(r, limit)) for r in roots]

    def _loop(self, root: Path, limit: int) -> None:
        for _ in range(limit):
            if self.stop.is_set():
                return
            git(root, "gc", "-q", "--prune=now")

    def __enter__(self) -> "GcLoop":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def store_run(base: Path, writes: int) -> dict:
    root = base / "repo"
    git(base, "init", "-q", str(root))
    git(root, "commit", "-q", "--allow-empty", "-m", "start")
    with GcLoop([root]):
        failed = sum(not write(root, f"s{n:03d}") for n in range(writes))
    return {"corrupt": broken(root), "failed_writes": failed, "sessions": sessions(root), "written": writes}


def sync_run(base: Path, rounds: int) -> dict:
    git(base, "init", "-q", "--bare", "-b", "main", "remote.git")
    clones = []
    for name in ("a", "b"):
        git(base, "clone", "-q", "remote.git", name)
        root = base / name
        (root / "f.txt").write_text(name)
        git(root, "add", "f.txt")
        git(root, "commit", "-q", "-m", "start")
        init_repository(discover(root))
        clones.append(root)
    git(clones[0], "push", "-q", "origin", "HEAD:main")
    errors = 0
    with GcLoop(clones):
        for n in range(rounds):
            for root in clones:
                ok = write(root, f"{root.name}{n:03d}")
                try:
                    errors += (not ok) + bool(sync.sync(discover(root), "origin").error)
                except Exception:  # noqa: BLE001 - counted
                    errors += 1
    for root in clones:
        try:
            sync.sync(discover(root), "origin")
        except Exception:  # noqa: BLE001 - the figures below show what it left
            pass
    return {"corrupt": any(broken(r) for r in clones), "errors": errors,
            "sessions": [sessions(r) for r in clones], "written": 2 * rounds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-runs", type=int, default=10)
    parser.add_argument("--writes", type=int, default=10, help="sessions written per store run")
    parser.add_argument("--sync-runs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=15, help="sync rounds per clone per sync run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    for name, value in (("GIT_AUTHOR_NAME", "Stress"), ("GIT_AUTHOR_EMAIL", "stress@example.com"),
                        ("GIT_COMMITTER_NAME", "Stress"), ("GIT_COMMITTER_EMAIL", "stress@example.com")):
        os.environ.setdefault(name, value)
    results: dict[str, list[dict]] = {"store": [], "sync": []}
    for kind, runs, fn, size in (("store", args.store_runs, store_run, args.writes),
                                 ("sync", args.sync_runs, sync_run, args.rounds)):
        for _ in range(runs):
            base = Path(tempfile.mkdtemp(prefix=f"gitmem-stress-{kind}-"))
            try:
                results[kind].append(fn(base, size))
            finally:
                shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    st, sy = results["store"], results["sync"]
    print(f"store: {sum(r['corrupt'] for r in st)} of {len(st)} runs corrupt; "
          f"{sum(r['written'] - max(r['sessions'], 0) for r in st)} of {sum(r['written'] for r in st)} sessions missing")
    print(f"sync:  {sum(r['corrupt'] for r in sy)} of {len(sy)} runs corrupt; sessions per clone at the end "
          f"{[r['sessions'] for r in sy]} of {args.rounds * 2} each; errors {[r['errors'] for r in sy]}")
    print(f"command: {sys.executable} benchmarks/stress_gc.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
