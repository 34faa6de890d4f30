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
from gitmem.team import sharing, sync


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
    track = sharing.tracking_ref("origin")
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


def test_a_quarantine_keeps_its_objects_as_one_pack_with_its_index_and_keep(repo: Path) -> None:
    """One pack-objects writes the pack and its index inside the quarantine; both move next to a .keep of the same
    name, and the quarantine holds nothing afterwards."""
    from gitmem.git import quarantine

    real = discover(repo)
    packs = repo / ".git" / "objects" / "pack"
    before = set(packs.iterdir()) if packs.is_dir() else set()
    with quarantine(real) as q:
        blobs = [q.repo.git_bytes("hash-object", "-w", "--stdin", input=f"record {i}\n".encode()).stdout.decode()
                 .strip() for i in range(3)]
        q.keep()
        new = sorted(p.name for p in set(packs.iterdir()) - before)
        assert len({n.rpartition(".")[0] for n in new}) == 1
        assert {n.rpartition(".")[2] for n in new} >= {"pack", "idx", "keep"}
        assert [p.name for p in q.folder.rglob("*") if p.is_file()] == []
        assert git(repo, "cat-file", "--batch-check=%(objecttype)", input="".join(b + "\n" for b in blobs)
                   ).split() == ["blob"] * 3
        q.keep()   # nothing new written: no second pack
        assert len(set(packs.iterdir()) - before) == len(new)


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


# -- named git functions used by team/ (issue 16): each parses git's own output ---------------------------


def test_config_values_lists_every_value_of_a_key_and_unset_value_removes_exactly_one(gm_repo) -> None:
    from gitmem.git.config import add_config, config_values, set_config, unset_config, unset_config_value

    assert config_values(gm_repo, "gitmem.test") == []
    add_config(gm_repo, "gitmem.test", "+refs/a*:refs/b*")
    add_config(gm_repo, "gitmem.test", "value with spaces")
    assert config_values(gm_repo, "gitmem.test") == ["+refs/a*:refs/b*", "value with spaces"]
    unset_config_value(gm_repo, "gitmem.test", "+refs/a*:refs/b*")  # `*` and `+` taken literally, not as a regex
    assert config_values(gm_repo, "gitmem.test") == ["value with spaces"]
    set_config(gm_repo, "gitmem.other", "true")
    assert unset_config(gm_repo, "gitmem.other") is True
    assert unset_config(gm_repo, "gitmem.other") is False
    assert gm_repo.config_get("gitmem.other") is None


def test_remote_names_and_hooks_dir_follow_the_repository_config(repo: Path, tmp_path: Path) -> None:
    from gitmem.git.config import hooks_dir, remote_names

    assert remote_names(discover(repo)) == []
    for name in ("origin", "backup"):
        git(repo, "remote", "add", name, str(tmp_path / f"{name}.git"))
    assert sorted(remote_names(discover(repo))) == ["backup", "origin"]
    assert hooks_dir(discover(repo)) == (repo / ".git" / "hooks").resolve()
    git(repo, "config", "core.hooksPath", "my hooks")
    assert hooks_dir(discover(repo)) == (repo / "my hooks").resolve()


def test_commit_tips_gives_commit_and_tree_and_skips_refs_at_other_objects(gm_repo) -> None:
    from gitmem.git.objects import tree_ids
    from gitmem.git.refs import commit_tips, set_ref

    head = gm_repo.resolve("HEAD")
    assert head is not None
    blob = git(gm_repo.cwd, "hash-object", "-w", "--stdin", input="x").strip()
    assert set_ref(gm_repo, "refs/gitmem/remotes/a/memory", head, "test") is True
    assert set_ref(gm_repo, "refs/gitmem/remotes/b/memory", blob, "test") is True
    assert set_ref(gm_repo, "refs/gitmem/remotes/c/memory", "f" * 40, "test") is False   # no such object
    tips = commit_tips(gm_repo, "refs/gitmem/remotes/")
    assert tips == {"refs/gitmem/remotes/a/memory": (head, tree_ids(gm_repo, head)[0])}
    assert commit_tips(gm_repo, "refs/gitmem/remotes/b/memory") == {}


def test_expire_reflogs_drops_the_entries_of_the_refs_named(gm_repo) -> None:
    from gitmem.git.refs import expire_reflogs, set_ref

    head = gm_repo.resolve("HEAD")
    assert head is not None
    git(gm_repo.cwd, "config", "core.logAllRefUpdates", "always")
    for ref in ("refs/gitmem/one", "refs/gitmem/two"):
        set_ref(gm_repo, ref, head, "test")
    log = gm_repo.common_dir / "logs" / "refs" / "gitmem"
    assert (log / "one").read_text() and (log / "two").read_text()
    expire_reflogs(gm_repo, ["refs/gitmem/one"])
    assert not (log / "one").exists() or (log / "one").read_text() == ""
    assert (log / "two").read_text()


def test_blob_ids_and_object_infos_answer_per_name_in_order(gm_repo) -> None:
    from gitmem.git.objects import blob_ids, object_infos, tree_ids

    head = gm_repo.resolve("HEAD")
    assert head is not None
    tree = tree_ids(gm_repo, head)[0]
    readme = git(gm_repo.cwd, "rev-parse", "HEAD:README.md").strip()
    assert blob_ids(gm_repo, [f"{tree}:README.md", f"{tree}:missing.txt", tree, f"{tree}:README.md"]) == \
        [readme, None, None, readme]
    assert blob_ids(gm_repo, []) == []
    tree_size = int(git(gm_repo.cwd, "cat-file", "-s", tree))
    assert object_infos(gm_repo, [readme, f"{tree}:nothing", tree]) == \
        [(readme, "blob", len(b"hello\n")), None, (tree, "tree", tree_size)]


def test_make_tree_write_tree_and_folder_paths_handle_awkward_names(gm_repo) -> None:
    from gitmem.git.objects import folder_paths, make_tree, write_tree

    blob = git(gm_repo.cwd, "hash-object", "-w", "--stdin", input="x\n").strip()
    names = ["sessions/2026-01/a b/summary.md", "sessions/2026-01/tab\there/obs-0001.yaml",
             "sessions/2026-02/new\nline/summary.md", "forgotten/x.yaml"]
    tree = write_tree(gm_repo, {n: ("100644", blob) for n in names})
    assert sorted(e.path for e in gm_repo.ls_tree(tree, recursive=True)) == sorted(names)
    assert sorted(folder_paths(gm_repo, tree, "sessions/")) == [
        "sessions", "sessions/2026-01", "sessions/2026-01/a b", "sessions/2026-01/tab\there", "sessions/2026-02",
        "sessions/2026-02/new\nline"]
    inner = make_tree(gm_repo, [("100644", "blob", blob, "a b"), ("100644", "blob", blob, "tab\tname")])
    outer = make_tree(gm_repo, [("040000", "tree", inner, "dir")])
    assert [(e.type, e.path) for e in gm_repo.ls_tree(outer, recursive=True)] == [
        ("blob", "dir/a b"), ("blob", "dir/tab\tname")]


def test_commit_tree_falls_back_to_a_placeholder_identity_and_try_commit_tree_says_none(gm_repo, monkeypatch) -> None:
    from gitmem.git.objects import commit_tree, tree_ids, try_commit_tree

    head = gm_repo.resolve("HEAD")
    assert head is not None
    tree = tree_ids(gm_repo, head)[0]
    made = try_commit_tree(gm_repo, tree, [head], "with identity\n")
    assert made is not None and tree_ids(gm_repo, made) == [tree]
    assert git(gm_repo.cwd, "log", "-1", "--format=%P %ae", made).split() == [head, "author@example.com"]
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name)
    git(gm_repo.cwd, "config", "user.useConfigOnly", "true")
    assert try_commit_tree(gm_repo, tree, [], "no identity\n") is None
    placeholder = commit_tree(gm_repo, tree, [], "no identity\n")
    assert git(gm_repo.cwd, "log", "-1", "--format=%ae", placeholder).strip() == "unknown@gitmem.invalid"


def test_diff_and_merge_tree_returns_the_folder_diff_and_a_merge_failure_as_a_value(gm_repo) -> None:
    from gitmem.git.objects import commit_tree, diff_and_merge_tree, diff_tree_with_folders, write_tree

    blob = git(gm_repo.cwd, "hash-object", "-w", "--stdin", input="x\n").strip()
    ours_tree = write_tree(gm_repo, {"sessions/2026-01/a/summary.md": ("100644", blob)})
    theirs_tree = write_tree(gm_repo, {"sessions/2026-01/a/summary.md": ("100644", blob),
                                       "sessions/2026-01/b/summary.md": ("100644", blob)})
    ours = commit_tree(gm_repo, ours_tree, [], "ours\n")
    theirs = commit_tree(gm_repo, theirs_tree, [ours], "theirs\n")
    diff = diff_tree_with_folders(gm_repo, ours_tree, theirs_tree)
    assert [(e.path, e.new_mode) for e in diff] == [("sessions", "040000"), ("sessions/2026-01", "040000"),
                                                    ("sessions/2026-01/b", "040000"),
                                                    ("sessions/2026-01/b/summary.md", "100644")]
    side_diff, merged = diff_and_merge_tree(gm_repo, ours_tree, theirs_tree, ours, theirs)
    assert side_diff == diff
    assert not isinstance(merged, Exception) and merged.tree == theirs_tree
    # A fetched tree can hold a name with `/`, which git's merge aborts on (what merge_guard checks first).
    raw = b"100644 a/b\0" + bytes.fromhex(blob)
    bad_tree = subprocess.run(["git", "hash-object", "-t", "tree", "-w", "--stdin", "--literally"], cwd=gm_repo.cwd,
                              input=raw, capture_output=True, check=True).stdout.decode().strip()
    bad = commit_tree(gm_repo, bad_tree, [], "bad\n")
    bad_diff, failed = diff_and_merge_tree(gm_repo, ours_tree, bad_tree, ours, bad)
    assert isinstance(failed, GitError)
    assert [e.path for e in bad_diff if e.new_oid] == ["a/b"]


def test_the_stream_builder_quotes_paths_so_fast_import_writes_them_as_given(gm_repo) -> None:
    from gitmem.store.stream import commit_stream, quote_path

    assert quote_path("sessions/2026-01/plain/summary.md") == "sessions/2026-01/plain/summary.md"
    assert quote_path('a "b"') == '"a \\"b\\""'
    names = ["a b", 'q"uote', "back\\slash", "tab\there", "new\nline", '"leading']
    stream = commit_stream("refs/gitmem/test", [], "A <a@x> 1 +0000", "A <a@x> 1 +0000", "m\n",
                           [(n, "100644", n.encode()) for n in names])
    commit = gm_repo.fast_import(stream, "refs/gitmem/test").decode().strip()
    entries = gm_repo.ls_tree(commit, recursive=True)
    assert sorted(e.path for e in entries) == sorted(names)
    assert gm_repo.read_blobs([e.oid for e in entries if e.path == "tab\there"]) == {
        next(e.oid for e in entries if e.path == "tab\there"): b"tab\there"}
    second = commit_stream("refs/gitmem/test", [commit], "A <a@x> 2 +0000", "A <a@x> 2 +0000", "m2\n",
                           [("a b", "100644", None), ("new\nline", "100755", entries[0].oid)])
    after = gm_repo.fast_import(second, "refs/gitmem/test").decode().strip()
    modes = {e.path: e.mode for e in gm_repo.ls_tree(after, recursive=True)}
    assert "a b" not in modes and modes["new\nline"] == "100755"


# -- app/'s git functions: what they parse out of git's output ------------------------------------------------


def test_uncommitted_paths_lists_a_renames_new_path_and_untracked_files_by_their_exact_names(repo: Path) -> None:
    from gitmem.git.worktree import uncommitted_paths

    (repo / "a b.txt").write_text("a\n")
    git(repo, "add", "a b.txt")
    git(repo, "commit", "-q", "-m", "a")
    git(repo, "mv", "a b.txt", "renamed\nname.txt")   # -z: a newline in a name is a name, not two
    (repo / "README.md").write_text("changed\n")
    (repo / "sub").mkdir()
    (repo / "sub" / "new file.txt").write_text("new\n")
    paths = uncommitted_paths(discover(repo))
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
    from gitmem.git.objects import blob_paths, folder_paths, tree_entries

    odd = 'sessions/2026-11/q"uo\\te/summary.md'
    tip = memory_ref.write_files(gm_repo, {odd: b"q\n", "sessions/2026-12/b/obs-0001.yaml": b"o\n",
                                           "forgotten/x.yaml": b"f\n"}, "m")
    assert folder_paths(gm_repo, tip, "sessions/") == ["sessions", "sessions/2026-11", 'sessions/2026-11/q"uo\\te',
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
