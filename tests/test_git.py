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


# -- app/'s git functions: what they parse out of git's output ------------------------------------------------


def test_changed_paths_lists_a_renames_new_path_and_untracked_files_by_their_exact_names(repo: Path) -> None:
    from gitmem.git.worktree import changed_paths

    (repo / "a b.txt").write_text("a\n")
    git(repo, "add", "a b.txt")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "mv", "a b.txt", "renamed\nname.txt")   # -z: a newline in a name is a name, not two
    (repo / "README.md").write_text("changed\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "new file.txt").write_text("new\n")
    paths = changed_paths(discover(repo))
    assert sorted(paths) == ["README.md", "renamed\nname.txt", "sub/new file.txt"]   # not the rename's source


def test_untracked_files_are_those_git_neither_tracks_nor_ignores_in_the_folder(repo: Path) -> None:
    from gitmem.git.worktree import untracked_files

    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True)
    for name in ("tracked.md", "new one.md", "skip.tmp"):
        (folder / name).write_text(name)
    (repo / "elsewhere.md").write_text("x\n")
    (repo / ".gitignore").write_text("*.tmp\n")
    git(repo, "add", ".gitmem/decisions/tracked.md", ".gitignore")
    git(repo, "commit", "-q", "-m", "tracked")
    assert untracked_files(discover(repo), ".gitmem/decisions") == {".gitmem/decisions/new one.md"}


def test_history_lists_commits_oldest_first_and_changed_files_newest_first(tmp_path: Path) -> None:
    from conftest import make_repo

    from gitmem.git.history import commits_between, recently_changed_files

    root = make_repo(tmp_path / "r", commit=False)
    assert recently_changed_files(discover(root), 5) == []   # before the first commit
    made = []
    for name in ("one.txt", "two words.txt", "three.txt"):
        (root / name).write_text(name)
        git(root, "add", name)
        git(root, "commit", "-q", "-m", name)
        made.append(git(root, "rev-parse", "HEAD").strip())
    repo = discover(root)
    assert recently_changed_files(repo, 2) == ["three.txt", "two words.txt"]
    assert commits_between(repo, made[0], made[2]) == (made[1], made[2])
    assert commits_between(repo, made[0], made[2], limit=1) == (made[2],)
    assert commits_between(repo, "0" * 40, made[2]) == ()   # an unknown commit: git cannot tell


def test_a_clones_upstream_and_its_remotes_head_are_read_from_its_refs(repo: Path, remote: Path, clone) -> None:
    from gitmem.git.refs import symref_targets, upstream_ref

    git(repo, "push", "-q", str(remote), "main")
    mine = discover(clone("mine"))
    assert upstream_ref(mine) == "refs/remotes/origin/main"
    assert symref_targets(mine, "refs/remotes/") == {"refs/remotes/origin/HEAD": "refs/remotes/origin/main",
                                                     "refs/remotes/origin/main": ""}
    assert upstream_ref(discover(repo)) == ""   # a branch without upstream


def test_local_config_entries_keep_multiline_and_valueless_entries_and_removal_is_exact(repo: Path) -> None:
    from gitmem.git.config import local_config_entries, remove_local_config

    git(repo, "config", "--local", "gm.text", "line one\nline two")
    git(repo, "config", "--local", "--add", "gm.multi", "a.*")
    git(repo, "config", "--local", "--add", "gm.multi", "abc")
    with open(repo / ".git" / "config", "a") as fh:
        fh.write("[gm]\n\tflag\n")
    gm = discover(repo)
    entries = [e for e in local_config_entries(gm) if e[0].startswith("gm.")]
    assert entries == [("gm.text", "line one\nline two"), ("gm.multi", "a.*"), ("gm.multi", "abc"), ("gm.flag", "")]
    remove_local_config(gm, "gm.multi", "a.*")   # the value, not a pattern that would also match "abc"
    assert [e for e in local_config_entries(gm) if e[0] == "gm.multi"] == [("gm.multi", "abc")]


def test_the_author_ident_is_the_one_git_records_or_empty_when_git_refuses_one(repo: Path,
                                                                               monkeypatch) -> None:
    from conftest import AUTHOR_EMAIL, AUTHOR_NAME

    from gitmem.git.config import author_ident

    assert author_ident(discover(repo)) == f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>"
    monkeypatch.delenv("GIT_AUTHOR_NAME")
    monkeypatch.delenv("GIT_AUTHOR_EMAIL")
    git(repo, "config", "user.useConfigOnly", "true")
    assert author_ident(discover(repo)) == ""


def test_paths_in_tree_names_the_asked_paths_a_tree_holds(repo: Path, tmp_path: Path) -> None:
    from conftest import make_repo

    from gitmem.git.objects import paths_in_tree

    (repo / ".gitmem").mkdir()
    (repo / ".gitmem" / "config.yaml").write_text("x: 1\n")
    git(repo, "add", ".gitmem")
    git(repo, "commit", "-q", "-m", "gitmem")
    gm = discover(repo)
    assert sorted(paths_in_tree(gm, "HEAD", [".gitmem/config.yaml", "README.md", "missing.txt"])) == [
        ".gitmem/config.yaml", "README.md"]
    assert paths_in_tree(gm, "HEAD", [".gitmem"]) == [".gitmem"]
    assert paths_in_tree(discover(make_repo(tmp_path / "unborn", commit=False)), "HEAD", ["README.md"]) == []


def test_delete_ref_at_leaves_a_ref_that_moved_and_deletes_one_that_did_not(repo: Path) -> None:
    import pytest

    from gitmem.errors import RefUpdateConflict
    from gitmem.git.refs import delete_ref_at, set_ref

    first = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "commit", "-q", "--allow-empty", "-m", "second")
    second = git(repo, "rev-parse", "HEAD").strip()
    gm = discover(repo)
    assert set_ref(gm, "refs/gm/test", second, "test")
    with pytest.raises(RefUpdateConflict):
        delete_ref_at(gm, "refs/gm/test", first)
    assert gm.resolve("refs/gm/test") == second
    delete_ref_at(gm, "refs/gm/test", second)
    assert gm.resolve("refs/gm/test") is None


def test_a_hashed_blob_is_stored_until_unreachable_objects_are_deleted(repo: Path) -> None:
    from gitmem.git.objects import delete_unreachable_objects, hash_blob, tree_of

    gm = discover(repo)
    assert tree_of(gm, "HEAD") == git(repo, "rev-parse", "HEAD^{tree}").strip()
    oid = hash_blob(gm, b"only here\n")
    assert git(repo, "cat-file", "-p", oid) == "only here\n"
    assert delete_unreachable_objects(gm) == ""
    assert subprocess.run(["git", "cat-file", "-e", oid], cwd=repo, capture_output=True).returncode != 0
    assert git(repo, "cat-file", "-t", "HEAD") == "commit\n"   # what a ref reaches stays


def test_a_scratch_repository_commits_as_its_own_identity(tmp_path: Path) -> None:
    from gitmem.git.scratch import commit_paths, create_repository

    root = tmp_path / "scratch"
    root.mkdir()
    repo = create_repository(root, branch="trunk", name="Dana Developer", email="dana@example.com")
    (root / "app.py").write_text("x = 1\n")
    head = commit_paths(repo, ["app.py"], "first")
    assert head == git(root, "rev-parse", "refs/heads/trunk").strip()
    assert git(root, "config", "user.name") == "Dana Developer\n"
    assert git(root, "ls-files") == "app.py\n"
