"""gitmem's git runner against real repositories: what it must never do to the user's files and locks."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from gitmem import inject, store, sync
from gitmem.git import discover, fetch
from gitmem.project import init_repository
from gitmem.records import SessionSummary

from conftest import git


def test_rendering_the_brief_never_takes_the_users_index_lock(repo: Path) -> None:
    """Issue 15 item 12: `git status` during renders refreshed the index under index.lock, and the user's own
    `git commit` at that moment failed. With GIT_OPTIONAL_LOCKS=0 git reads the index and leaves it alone."""
    init_repository(discover(repo))
    index = repo / ".git" / "index"
    past = time.time() - 60
    os.utime(repo / "README.md", (past, past))  # stat data that no longer matches the index: status would refresh
    before = index.stat().st_ino
    inject.build_brief(discover(repo))
    assert index.stat().st_ino == before  # not rewritten (git writes an index through index.lock + rename)
    assert not (repo / ".git" / "index.lock").exists()


def test_a_fetch_waits_out_another_fetch_holding_the_tracking_ref_lock(tmp_path: Path, remote: Path, clone) -> None:
    """Issue 15 item 12: two syncs at once failed on the tracking ref's lock; the second now retries."""
    theirs, mine = clone("theirs"), clone("mine")
    for root in (theirs, mine):
        (root / "a.txt").write_text("a\n")
        git(root, "add", "a.txt")
        git(root, "commit", "-q", "-m", "a")
        init_repository(discover(root))
    summary = SessionSummary(id="t-1", title="theirs", started_at="2026-11-24T08:00:00Z")
    store.write_session(discover(theirs), "t-1", summary.started_at, (), summary)
    sync.sync(discover(theirs), "origin")
    me = discover(mine)
    track = sync.tracking_ref("origin")
    lock = me.common_dir / (track + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")  # another fetch is updating the tracking ref right now
    releaser = threading.Timer(0.3, lambda: lock.unlink(missing_ok=True))
    releaser.start()
    try:
        fetch(me, "origin", [f"+refs/notes/gitmem*:{track}*"])
    finally:
        releaser.cancel()
        releaser.join()
    assert me.resolve(track) is not None
