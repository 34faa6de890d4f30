"""gitmem's git runner against real repositories: what it must never do to the user's files and locks."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from conftest import git

from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.errors import GitError
from gitmem.git import discover, fetch, missing_objects
from gitmem.git.worktree import check_ignore, exclude_file, is_tracked, matches_ignore_rules
from gitmem.store import memory_ref
from gitmem.store.records import SessionSummary
from gitmem.team import sync


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
    memory_ref.write_session(discover(theirs), "t-1", summary.started_at, (), summary)
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


def test_objects_written_in_a_quarantine_are_kept_until_the_ref_moves(repo: Path) -> None:
    from gitmem.git import quarantine

    real = discover(repo)
    with quarantine(real) as q:
        blob = q.repo.git_bytes("hash-object", "-w", "--stdin", input=b"memory in transit\n").stdout.decode().strip()
        assert not (repo / ".git" / "objects" / blob[:2] / blob[2:]).exists()  # not loose where gc prunes
        q.keep()
        keeps = list((repo / ".git" / "objects" / "pack").glob("*.keep"))
        assert len(keeps) == 1
        git(repo, "gc", "-q", "--prune=now")  # unreachable, but in a kept pack: gc leaves it
        assert git(repo, "cat-file", "blob", blob) == "memory in transit\n"
        real.update_ref("refs/notes/transit", git(repo, "commit-tree", git(repo, "mktree", input=(
            f"100644 blob {blob}\tf\n")).strip(), "-m", "m").strip(), None)
    assert not list((repo / ".git" / "objects" / "pack").glob("*.keep"))
    assert not list((repo / ".git" / "objects").glob("incoming-gitmem-*"))
    git(repo, "gc", "-q", "--prune=now")
    assert git(repo, "cat-file", "blob", blob) == "memory in transit\n"  # reachable from the ref now


def test_syncs_survive_git_gc_prune_now_running_beside_them(tmp_path: Path, remote: Path, clone) -> None:
    """Issue 15 item 11: merge trees and commits were written loose before their ref update, and fetched objects
    too; a concurrent `git gc --prune=now` deleted them (broken refs, 26 of 60 sessions missing)."""
    clones = [clone("a"), clone("b")]
    for root in clones:
        (root / "f.txt").write_text(root.name)
        git(root, "add", "f.txt")
        git(root, "commit", "-q", "-m", "init")
        init_repository(discover(root))
    git(clones[0], "push", "-q", "origin", "HEAD:main")
    stop = threading.Event()

    def gc_loop(root: Path) -> None:
        for _ in range(300):
            if stop.is_set():
                return
            subprocess.run(["git", "gc", "-q", "--prune=now"], cwd=root, capture_output=True, timeout=120)

    threads = [threading.Thread(target=gc_loop, args=(root,)) for root in clones]
    for t in threads:
        t.start()
    try:
        for n in range(8):
            for root in clones:
                repo = discover(root)
                sid = f"{root.name}-{n:02d}"
                s = SessionSummary(id=sid, title=sid, started_at="2026-11-24T08:00:00Z")
                memory_ref.write_session(repo, sid, s.started_at, (), s)
                assert not sync.sync(repo, "origin").error
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=180)
    expected = sorted(f"{name}-{n:02d}" for name in ("a", "b") for n in range(8))
    for root in clones:
        repo = discover(root)
        sync.sync(repo, "origin")
        assert missing_objects(repo, "refs/notes/gitmem") is None
        assert sorted(r.session_id for r in memory_ref.read_memory(repo).sessions) == expected


def test_changed_paths_names_added_changed_and_deleted_files_under_one_folder_only(repo: Path) -> None:
    from gitmem.git.trees import changed_paths

    odd = "sessions/2026-11/s 1/obs\n0001.yaml"     # a space and a newline: only -z keeps such a path whole
    (repo / "sessions/2026-11/s 1").mkdir(parents=True)
    (repo / "sessions/2026-11/s 1/summary.md").write_text("one\n")
    (repo / "sessions/2026-11/gone.md").write_text("gone\n")
    (repo / "notes.txt").write_text("outside\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "before")
    old = git(repo, "rev-parse", "HEAD").strip()
    (repo / odd).write_text("added\n")
    (repo / "sessions/2026-11/s 1/summary.md").write_text("changed\n")
    (repo / "sessions/2026-11/gone.md").unlink()
    (repo / "notes.txt").write_text("changed outside the folder\n")
    (repo / "sessionsX.txt").write_text("a sibling whose name starts like the folder\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "after")
    new = git(repo, "rev-parse", "HEAD").strip()

    r = discover(repo)
    assert sorted(changed_paths(r, old, new, "sessions")) == sorted(
        [odd, "sessions/2026-11/s 1/summary.md", "sessions/2026-11/gone.md"])
    assert changed_paths(r, old, new, "sessions/") == changed_paths(r, old, new, "sessions")
    assert changed_paths(r, new, new, "sessions") == []


# -- the work tree seen through git (git/worktree.py) -------------------------------------------------------


def test_check_ignore_answers_for_every_path_of_a_batch_with_gits_own_rules(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n!keep.log\nbuild/\n")
    (repo / "tracked.log").write_text("tracked although ignored\n")
    git(repo, "add", ".gitignore")
    git(repo, "add", "-f", "tracked.log")
    git(repo, "commit", "-q", "-m", "rules")
    odd = "dir with space/\u00fc\nline\tx.log"  # -z: no quoting, whatever the path holds
    paths = ["a.py", "x.log", "keep.log", "tracked.log", "build/o.bin", odd, "src/deep/y.log"]

    answers = check_ignore(discover(repo), paths)

    assert answers == {"a.py": False, "x.log": True, "keep.log": False, "tracked.log": False,
                       "build/o.bin": True, odd: True, "src/deep/y.log": True}


def test_check_ignore_raises_when_git_refuses_a_path_of_the_batch(repo: Path) -> None:
    (repo / "src").mkdir()
    (repo / "sub").mkdir()
    os.symlink(repo / "src", repo / "sub" / "link")
    with pytest.raises(GitError) as caught:
        check_ignore(discover(repo), ["a.py", "sub/link/x.py"])
    assert caught.value.returncode == 128 and "symbolic link" in caught.value.stderr


def test_ignore_rules_without_the_index_and_tracked_files(repo: Path) -> None:
    (repo / ".gitignore").write_text("*.log\n")
    (repo / "tracked.log").write_text("x\n")
    git(repo, "add", ".gitignore")
    git(repo, "add", "-f", "tracked.log")
    gm = discover(repo)
    assert matches_ignore_rules(gm, "tracked.log") and not check_ignore(gm, ["tracked.log"])["tracked.log"]
    assert matches_ignore_rules(gm, "new.log") and not matches_ignore_rules(gm, "new.py")
    assert is_tracked(gm, "tracked.log") and is_tracked(gm, ".gitignore")
    assert not is_tracked(gm, "new.log") and not is_tracked(gm, "nowhere/else.py")


def test_a_linked_worktree_shares_the_exclude_file_of_the_common_dir(repo: Path, tmp_path: Path) -> None:
    git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    expected = (repo / ".git" / "info" / "exclude").resolve()
    assert exclude_file(discover(repo)).resolve() == expected
    assert exclude_file(discover(tmp_path / "side")).resolve() == expected
