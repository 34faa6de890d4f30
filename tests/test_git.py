"""gitmem's git runner against real repositories: what it must never do to the user's files and locks."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from conftest import git

from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover, fetch, missing_objects
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


# -- the named functions store/ reads the memory ref with (git/objects.py, git/history.py, git/refs.py) ----------


def test_object_types_answer_in_order_and_none_for_what_is_missing(gm_repo, repo: Path) -> None:
    from gitmem.git.objects import object_types

    tip = memory_ref.write_files(gm_repo, {"sessions/2026-11/a b/summary.md": b"x\n"}, "m")
    head = git(repo, "rev-parse", "HEAD").strip()
    names = [f"{tip}:sessions/2026-11/a b", "0" * 40, head, f"{tip}:sessions/2026-11/nope",
             f"{tip}:sessions/2026-11/a b/summary.md"]
    assert object_types(gm_repo, names) == ["tree", None, "commit", None, "blob"]
    assert object_types(gm_repo, []) == []
    # a name with a line break (a forged record's commit id) is not asked about, and shifts no other answer
    assert object_types(gm_repo, [f"{head}\n{head}", head, "", f"{tip}\r"]) == [None, "commit", None, None]


def test_tree_listings_split_on_nul_so_odd_names_come_back_whole(gm_repo) -> None:
    from gitmem.git.objects import blob_paths, subtree_paths, tree_entries

    odd = 'sessions/2026-11/q"uo\\te/summary.md'
    tip = memory_ref.write_files(gm_repo, {odd: b"q\n", "sessions/2026-12/b/obs-0001.yaml": b"o\n",
                                           "forgotten/x.yaml": b"f\n"}, "m")
    assert subtree_paths(gm_repo, tip, "sessions/") == ["sessions", "sessions/2026-11", 'sessions/2026-11/q"uo\\te',
                                                         "sessions/2026-12", "sessions/2026-12/b"]
    assert blob_paths(gm_repo, tip, "sessions/") == [odd, "sessions/2026-12/b/obs-0001.yaml"]
    entries = tree_entries(gm_repo, tip, ['sessions/2026-11/q"uo\\te/', "sessions/2026-12/none/"])
    assert [(e.type, e.path) for e in entries] == [("blob", odd)]
    assert len(entries[0].oid) == 40 and entries[0].mode == "100644"


def test_history_counts_and_per_commit_paths_of_the_memory_ref(gm_repo, repo: Path) -> None:
    from gitmem.config import MEMORY_REF
    from gitmem.git.history import commit_count, disk_usage, newest_commits, paths_changed_per_commit
    from gitmem.git.objects import note_count

    first = memory_ref.write_files(gm_repo, {"sessions/2026-11/a/summary.md": b"a\n"}, "one")
    second = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"b\n", "other/x": b"x\n"}, "two",
                                    parent=first)
    third = memory_ref.write_files(gm_repo, {"other/y": b"y\n"}, "three", parent=second)
    assert newest_commits(gm_repo, third, 2) == [third, second]
    assert newest_commits(gm_repo, "refs/does/not/exist", 5) == []
    assert commit_count(gm_repo, MEMORY_REF) == 3
    assert disk_usage(gm_repo, MEMORY_REF) > 0
    assert paths_changed_per_commit(gm_repo, third, "sessions/", 10) == [["sessions/2026-11/b/summary.md"],
                                                                          ["sessions/2026-11/a/summary.md"]]
    assert paths_changed_per_commit(gm_repo, third, "sessions/", 1) == [["sessions/2026-11/b/summary.md"]]
    assert note_count(gm_repo, MEMORY_REF) == 0
    git(repo, "notes", "--ref=gitmem", "add", "-m", "n", "HEAD")
    assert note_count(gm_repo, MEMORY_REF) == 1 and note_count(gm_repo, "refs/notes/none") == 0


def test_refs_matching_takes_prefixes_and_globs(gm_repo, repo: Path) -> None:
    from gitmem.git.refs import refs_matching

    head = git(repo, "rev-parse", "HEAD").strip()
    for ref in ("refs/heads/topic", "refs/remotes/origin/topic", "refs/remotes/up/topic", "refs/remotes/up/other"):
        git(repo, "update-ref", ref, head)
    assert refs_matching(gm_repo, ["refs/heads/topic", "refs/remotes/*/topic"]) == {
        "refs/heads/topic": head, "refs/remotes/origin/topic": head, "refs/remotes/up/topic": head}
    assert refs_matching(gm_repo, []) == {}
