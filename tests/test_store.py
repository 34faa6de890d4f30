"""The memory ref: layout, compare-and-swap writes, damaged records, notes, concurrency.

Every test runs real git; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import AUTHOR_EMAIL, AUTHOR_NAME, git, make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmem.config import MEMORY_REF
from gitmem.errors import NotFoundError, RecordError, RefUpdateConflict, StaleLockError
from gitmem.git import Repo, discover
from gitmem.store import layout, memory_ref
from gitmem.store.records import Observation, ObservationBatch, SessionSummary

TS = "2026-11-24T08:00:00Z"


def obs(text: str, ts: str = TS, **kw: str) -> Observation:
    return Observation(ts=ts, kind="prompt", text=text, **kw)


def summary(sid: str, title: str = "a session", started_at: str = TS, **kw) -> SessionSummary:
    return SessionSummary(id=sid, title=title, started_at=started_at, **kw)


def write(repo: Repo, sid: str, *texts: str, title: str = "a session", started_at: str = TS, **kw):
    return memory_ref.write_session(repo, sid, started_at, tuple(obs(t) for t in texts),
                               summary(sid, title, started_at), **kw)


def ref_tree(path: Path) -> list[str]:
    return git(path, "ls-tree", "-r", "--name-only", "--full-tree", MEMORY_REF).split()


# -- layout -------------------------------------------------------------------------------


def test_write_then_read_a_session(gm_repo):
    observations = (obs("hello"), Observation(ts=TS, kind="tool", tool="Bash", command="ls", outcome="ok"))
    s = summary("s1", "first")
    result = memory_ref.write_session(gm_repo, "s1", s.started_at, observations, s)
    assert result.paths == ("sessions/2026-11/s1/obs-0001.yaml", "sessions/2026-11/s1/summary.md")
    assert result.attempts == 1
    memory = memory_ref.read_memory(gm_repo)
    assert memory.tip == result.commit == gm_repo.resolve(MEMORY_REF)
    assert memory.errors == ()
    (record,) = memory.sessions
    assert (record.session_id, record.path, record.summary) == ("s1", "sessions/2026-11/s1", s)
    assert record.observations == observations
    assert record.batches == (ObservationBatch("s1", 1, observations),)


def test_files_are_plain_text_at_documented_paths(repo, gm_repo):
    write(gm_repo, "s1", "hello", title="Fix the parser")
    assert ref_tree(repo) == ["sessions/2026-11/s1/obs-0001.yaml", "sessions/2026-11/s1/summary.md"]
    text = git(repo, "show", f"{MEMORY_REF}:sessions/2026-11/s1/summary.md")
    assert text.startswith("---\nid: s1\n") and "\n# Fix the parser\n" in text
    assert "text: hello" in git(repo, "show", f"{MEMORY_REF}:sessions/2026-11/s1/obs-0001.yaml")


def test_resumed_session_appends_in_its_first_folder_and_replaces_the_summary(repo, gm_repo):
    first = summary("s1", "day one", started_at="2026-11-30T23:50:00Z")
    memory_ref.write_session(gm_repo, "s1", first.started_at, (obs("one"),), first)
    # Resumed after midnight on the first of the next month: same folder, next obs file.
    second = summary("s1", "day two", started_at="2026-12-01T00:10:00Z", learned=("more",))
    result = memory_ref.write_session(gm_repo, "s1", second.started_at, (obs("two"), obs("three")), second)
    assert result.paths == ("sessions/2026-11/s1/obs-0002.yaml", "sessions/2026-11/s1/summary.md")
    # A third write with a summary only adds no obs file.
    third = summary("s1", "day three", started_at="2026-12-02T00:00:00Z")
    assert memory_ref.write_session(gm_repo, "s1", third.started_at, (), third).paths == ("sessions/2026-11/s1/summary.md",)
    assert ref_tree(repo) == ["sessions/2026-11/s1/obs-0001.yaml", "sessions/2026-11/s1/obs-0002.yaml",
                              "sessions/2026-11/s1/summary.md"]
    (record,) = memory_ref.read_memory(gm_repo).sessions
    assert record.summary == third
    assert [b.seq for b in record.batches] == [1, 2]
    assert [o.text for o in record.observations] == ["one", "two", "three"]


def test_an_empty_write_makes_no_commit(gm_repo):
    assert memory_ref.write_session(gm_repo, "s1", TS).paths == ()
    assert gm_repo.resolve(MEMORY_REF) is None
    tip = write(gm_repo, "s1", "x").commit
    result = memory_ref.write_session(gm_repo, "s1", TS)
    assert (result.paths, result.commit, gm_repo.resolve(MEMORY_REF)) == ((), tip, tip)


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "..", "x" * 200, "a..b", ".hidden", "-rf", "abc\n", "a b",
                                 "a\\b", "s\x00", "é"])
def test_invalid_session_ids_are_refused(gm_repo, bad):
    with pytest.raises(RecordError, match="invalid session id"):
        memory_ref.write_session(gm_repo, bad, TS, (obs("x"),))
    with pytest.raises(RecordError, match="invalid session id"):
        layout.validate_session_id(bad)
    assert gm_repo.resolve(MEMORY_REF) is None


def test_longest_valid_session_id_is_accepted(gm_repo):
    sid = "a" * 128
    assert layout.validate_session_id(sid) == sid
    assert write(gm_repo, sid, "x").paths[0] == f"sessions/2026-11/{sid}/obs-0001.yaml"


def test_bad_timestamp_and_mismatched_summary_are_refused(gm_repo):
    with pytest.raises(RecordError, match="yyyy-mm"):
        memory_ref.write_session(gm_repo, "s1", "yesterday", (obs("x"),))
    with pytest.raises(RecordError, match="does not match"):
        memory_ref.write_session(gm_repo, "s1", TS, (), summary("s2"))
    assert gm_repo.resolve(MEMORY_REF) is None


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3))
def test_odd_text_survives_the_trip_through_git(gm_repo, text, items):
    s = summary("s1", title=text, request=text + "\n---\n", learned=tuple(items))
    o = Observation(ts=TS, kind="tool", text=text, files=tuple(items), command="\r\n".join(items))
    memory_ref.write_session(gm_repo, "s1", TS, (o,), s)
    record = memory_ref.find_session(gm_repo, "s1")
    assert record.summary == s
    assert record.observations[-1] == o


# -- compare-and-swap, identity, history ----------------------------------------------------------------


def test_write_files_is_a_compare_and_swap(gm_repo):
    first = memory_ref.write_files(gm_repo, {"sessions/2026-11/a/summary.md": b"x"}, "one")
    second = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"y"}, "two", parent=first)
    with pytest.raises(RefUpdateConflict):  # stale parent
        memory_ref.write_files(gm_repo, {"sessions/2026-11/c/summary.md": b"z"}, "three", parent=first)
    with pytest.raises(RefUpdateConflict):  # "create" when the ref exists
        memory_ref.write_files(gm_repo, {"sessions/2026-11/c/summary.md": b"z"}, "three", parent=None)
    assert gm_repo.resolve(MEMORY_REF) == second
    assert gm_repo.is_ancestor(first, second)


def test_write_result_names_the_commit_it_wrote(repo, gm_repo):
    for i in range(3):
        result = write(gm_repo, f"s{i}", "x", title=f"title {i}")
        assert result.commit == gm_repo.resolve(MEMORY_REF)
        assert git(repo, "log", "-1", "--format=%s", result.commit).strip() == f"gitmem: session s{i}: title {i}"


def test_commits_carry_the_identity_from_the_environment(repo, gm_repo, monkeypatch):
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Zoë Ünïcode")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "zoe@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Build Bot")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "bot@example.com")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "1700000000 +0100")
    write(gm_repo, "s1", "x")
    fmt = "%an|%ae|%cn|%ce|%at|%ai"
    line = git(repo, "log", "-1", f"--format={fmt}", MEMORY_REF).strip()
    assert line == "Zoë Ünïcode|zoe@example.com|Build Bot|bot@example.com|1700000000|2023-11-14 23:13:20 +0100"


def test_commits_carry_the_identity_from_git_config(repo, gm_repo, monkeypatch):
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name)
    git(repo, "config", "user.name", "Grace Hopper")
    git(repo, "config", "user.email", "grace@example.com")
    write(gm_repo, "s1", "x")
    assert git(repo, "log", "-1", "--format=%an <%ae>|%cn <%ce>", MEMORY_REF).strip() == \
        "Grace Hopper <grace@example.com>|Grace Hopper <grace@example.com>"


def test_commit_message_names_the_session_and_title(repo, gm_repo):
    sid = "0f3c9a2e-1b7d-4c1e-9a55-2f1e0b7c6d11"
    write(gm_repo, sid, "x", title="Fix the\nflaky  test\n")
    subject, _, body = git(repo, "log", "-1", "--format=%B", MEMORY_REF).partition("\n")
    assert subject == "gitmem: session 0f3c9a2e: Fix the flaky test"
    assert f"Session: {sid}" in body
    memory_ref.write_session(gm_repo, "s2", TS, (obs("a"), obs("b")))
    assert git(repo, "log", "-1", "--format=%s", MEMORY_REF).strip() == "gitmem: session s2: 2 observations"


def test_history_is_a_linear_chain(repo, gm_repo):
    write(gm_repo, "s1", "a")
    write(gm_repo, "s2", "b")
    write(gm_repo, "s1", "c")
    memory_ref.write_session(gm_repo, "s3", TS, (), summary("s3"), commit_notes={git(repo, "rev-parse", "HEAD").strip(): "n"})
    lines = git(repo, "rev-list", "--parents", MEMORY_REF).splitlines()
    assert len(lines) == 4
    assert [len(line.split()) for line in lines] == [2, 2, 2, 1]
    for child, parent in zip(lines, lines[1:]):
        assert child.split()[1] == parent.split()[0]


# -- the user's index, work tree, HEAD and branches are never touched ---------------------------------


def user_state(path: Path) -> dict[str, object]:
    """Everything of the user's checkout that a memory write must leave alone."""
    git_dir = Path(git(path, "rev-parse", "--path-format=absolute", "--git-dir").strip())
    index = Path(git(path, "rev-parse", "--path-format=absolute", "--git-path", "index").strip())
    state: dict[str, object] = {
        "index": (index.read_bytes(), index.stat().st_mtime_ns) if index.exists() else None,
        "index.lock": index.with_name("index.lock").exists(),
    }
    for name in ("HEAD", "MERGE_HEAD", "MERGE_MSG", "ORIG_HEAD", "REBASE_HEAD", "AUTO_MERGE", "CHERRY_PICK_HEAD"):
        f = git_dir / name
        state[name] = f.read_bytes() if f.exists() else None
    for folder in ("rebase-merge", "rebase-apply"):
        root = git_dir / folder
        state[folder] = {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*")) if f.is_file()} \
            if root.exists() else None
    state["work tree"] = {str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*"))
                          if f.is_file() and ".git" not in f.relative_to(path).parts}
    # --no-optional-locks: status must not refresh (rewrite) the index we are comparing.
    state["status"] = git(path, "--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all")
    state["HEAD symbolic"] = git(path, "symbolic-ref", "-q", "HEAD", check=False)
    state["HEAD resolved"] = git(path, "rev-parse", "-q", "--verify", "HEAD", check=False)
    state["branches"] = git(path, "for-each-ref", "refs/heads")
    return state


def assert_write_leaves_user_state_alone(write_from: Path, *watch: Path) -> None:
    paths = watch or (write_from,)
    before = [user_state(p) for p in paths]
    gm = discover(write_from)
    write(gm, "s1", "one")
    write(gm, "s1", "two")  # a second write also reads the ref back
    memory_ref.write_session(gm, "s2", TS, (obs("x"),), commit_notes={} if gm.resolve("HEAD") is None else
                        {gm.resolve("HEAD"): "note"})
    after = [user_state(p) for p in paths]
    for b, a in zip(before, after):
        for key in b:
            assert a[key] == b[key], f"{key} changed"
    memory = memory_ref.read_memory(gm)
    assert [s.session_id for s in memory.sessions] == ["s1", "s2"]
    assert len(memory.sessions[0].batches) == 2


def make_conflicting_branches(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    (repo / "README.md").write_text("other\n")
    git(repo, "commit", "-q", "-am", "other")
    git(repo, "checkout", "-q", "main")
    (repo / "README.md").write_text("main\n")
    git(repo, "commit", "-q", "-am", "main")


def test_write_during_a_merge_conflict(repo):
    make_conflicting_branches(repo)
    assert git(repo, "merge", "other", check=False, env={"GIT_MERGE_AUTOEDIT": "no"}) is not None
    (repo / "untracked.txt").write_text("mine\n")
    assert (repo / ".git" / "MERGE_HEAD").exists()
    assert git(repo, "diff", "--name-only", "--diff-filter=U").split() == ["README.md"]
    assert_write_leaves_user_state_alone(repo)
    assert git(repo, "diff", "--name-only", "--diff-filter=U").split() == ["README.md"]


def test_write_during_a_rebase_stopped_on_a_conflict(repo):
    make_conflicting_branches(repo)
    git(repo, "checkout", "-q", "other")
    git(repo, "rebase", "main", check=False)
    assert (repo / ".git" / "rebase-merge").is_dir()
    (repo / "half-resolved.txt").write_text("wip\n")
    git(repo, "add", "half-resolved.txt")
    assert_write_leaves_user_state_alone(repo)
    assert (repo / ".git" / "rebase-merge").is_dir()


def test_write_on_a_detached_head(repo):
    git(repo, "checkout", "-q", "--detach", "HEAD")
    (repo / "README.md").write_text("modified, unstaged\n")
    assert git(repo, "symbolic-ref", "-q", "HEAD", check=False) == ""
    assert_write_leaves_user_state_alone(repo)


def test_write_in_a_repository_without_commits(tmp_path):
    path = make_repo(tmp_path / "fresh", commit=False)
    (path / "staged.txt").write_text("staged\n")
    git(path, "add", "staged.txt")
    assert git(path, "rev-parse", "-q", "--verify", "HEAD", check=False) == ""
    assert_write_leaves_user_state_alone(path)
    assert git(path, "for-each-ref", "refs/heads") == ""


def test_write_from_a_linked_worktree_is_read_from_the_main_checkout(repo, tmp_path):
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(wt))
    (wt / "README.md").write_text("worktree edit\n")
    (repo / "README.md").write_text("main edit\n")
    assert_write_leaves_user_state_alone(wt, wt, repo)
    main = discover(repo)
    assert main.common_dir == discover(wt).common_dir
    assert [s.session_id for s in memory_ref.read_memory(main).sessions] == ["s1", "s2"]
    assert memory_ref.find_session(main, "s1").observations[-1].text == "two"
    # The ref lives in the common dir: one ref, no per-worktree copy.
    assert git(repo, "for-each-ref", "--format=%(refname)", "refs/notes") == f"{MEMORY_REF}\n"
    assert git(wt, "rev-parse", MEMORY_REF) == git(repo, "rev-parse", MEMORY_REF)


def test_index_and_worktree_variables_from_a_git_hook_are_ignored(repo, gm_repo, monkeypatch, tmp_path):
    # A hook runner (pre-commit, rebase --exec) may export these; gitmem's plumbing must not follow them.
    before = user_state(repo)
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "other-index"))
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "elsewhere"))
    write(gm_repo, "s1", "x")
    monkeypatch.delenv("GIT_INDEX_FILE")
    monkeypatch.delenv("GIT_WORK_TREE")
    assert user_state(repo) == before
    assert not (tmp_path / "other-index").exists() and not (tmp_path / "elsewhere").exists()
    assert [s.session_id for s in memory_ref.read_memory(gm_repo).sessions] == ["s1"]


# -- damaged records never break a listing --------------------------------------------------------------

GOOD = summary("bad", "fine", tokens_in=3).to_text()


def _with_line(text: str, key: str, new: str) -> tuple[str, int]:
    lines = text.split("\n")
    (i,) = [n for n, line in enumerate(lines) if line.startswith(key + ":")]
    lines[i] = new
    return "\n".join(lines), i + 1


def _damaged_cases() -> list[tuple[str, str, bytes, int, str]]:
    cases = []
    text, line = _with_line(GOOD, "author", "author: a: b")
    cases.append(("broken yaml", "summary.md", text.encode(), line, "invalid YAML"))
    text, line = _with_line(GOOD, "branch", "brnach: main")
    cases.append(("unknown field", "summary.md", text.encode(), line, "unknown field `brnach`"))
    text, line = _with_line(GOOD, "tokens_in", "tokens_in: many")
    cases.append(("wrong type", "summary.md", text.encode(), line, "tokens_in must be a whole number, not str"))
    cases.append(("no front matter", "summary.md", b"# notes\n\nwritten by hand\n", 1, "front matter"))
    text, line = _with_line(GOOD, "title", "title: caf\xe9")
    raw = text.encode().replace("caf\xc3\xa9".encode("latin-1"), b"caf\xe9")
    cases.append(("not utf-8", "summary.md", raw, line, "not UTF-8"))
    text, line = _with_line(GOOD, "schema", "schema: 99")
    cases.append(("newer schema", "summary.md", text.encode(), line, "schema 99 is newer"))
    batch = ObservationBatch("bad", 1, (obs("a"), obs("b"))).to_text()
    text, line = _with_line(batch, "seq", "seq: 1: 2")
    cases.append(("broken obs yaml", "obs-0001.yaml", text.encode(), line, "invalid YAML"))
    lines = batch.split("\n")
    i = len(lines) - 3  # inside the second observation
    lines.insert(i, "  oops: 1")
    cases.append(("unknown obs field", "obs-0001.yaml", "\n".join(lines).encode(), i + 1,
                  "unknown field `observations[1].oops`"))
    text, line = _with_line(batch, "schema", "schema: 2")
    cases.append(("newer obs schema", "obs-0001.yaml", text.encode(), line, "schema 2 is newer"))
    return cases


@pytest.mark.parametrize("name,file,content,line,message", _damaged_cases(), ids=[c[0] for c in _damaged_cases()])
def test_damaged_record_is_an_error_and_the_rest_still_loads(repo, gm_repo, name, file, content, line, message):
    write(gm_repo, "good-1", "one", title="first good")
    write(gm_repo, "bad", "kept")
    path = f"sessions/2026-11/bad/{file}"
    memory_ref.write_files(gm_repo, {path: content}, f"hand edit: {name}", parent=gm_repo.resolve(MEMORY_REF))
    write(gm_repo, "good-2", "two", title="second good")
    assert gm_repo.git_bytes("cat-file", "blob", f"{MEMORY_REF}:{path}").stdout == content  # the damage really is in the ref

    memory = memory_ref.read_memory(gm_repo)
    (err,) = memory.errors
    assert err.path == path
    assert err.line == line, str(err)
    assert message in err.message
    assert str(err).startswith(f"{path}:{line}: ")
    by_id = {s.session_id: s for s in memory.sessions}
    assert sorted(by_id) == ["bad", "good-1", "good-2"]
    assert by_id["good-1"].summary.title == "first good"
    assert by_id["good-2"].observations[0].text == "two"
    if file == "summary.md":
        assert by_id["bad"].summary is None
        assert [o.text for o in by_id["bad"].observations] == ["kept"]
    else:
        assert by_id["bad"].summary.title == "a session"
    assert memory_ref.find_session(gm_repo, "good-1").summary.title == "first good"
    with pytest.raises(RecordError) as info:
        memory_ref.find_session(gm_repo, "bad")
    assert info.value.path == path and info.value.line == line
    assert memory_ref.store_stats(gm_repo).sessions == 3  # counted from the tree, damaged or not
    summary_errors = [str(e) for e in memory_ref.read_memory(gm_repo, summaries_only=True).errors]
    assert summary_errors == ([str(err)] if file == "summary.md" else [])


def test_stray_files_in_the_ref_are_ignored(repo, gm_repo):
    write(gm_repo, "s1", "x")
    memory_ref.write_files(gm_repo, {"README": b"hi", "sessions/2026-11/s1/notes.txt": b"mine",
                                "sessions/2026-11/s1/deep/summary.md": b"not a record",
                                "sessions/stray.md": b"x"}, "stray", parent=gm_repo.resolve(MEMORY_REF))
    memory = memory_ref.read_memory(gm_repo)
    assert memory.errors == ()
    assert [s.session_id for s in memory.sessions] == ["s1"]


# -- ordinary git notes share the ref ---------------------------------------------------------------------


def test_git_notes_and_gitmem_sessions_coexist(repo, gm_repo):
    write(gm_repo, "s1", "one")
    write(gm_repo, "s2", "two")
    git(repo, "notes", "--ref=gitmem", "add", "-m", "why we did this", "HEAD")
    assert "why we did this" in git(repo, "log", "--notes=gitmem", "-1")
    assert [s.session_id for s in memory_ref.read_memory(gm_repo).sessions] == ["s1", "s2"]

    write(gm_repo, "s3", "three")
    write(gm_repo, "s1", "four")
    assert git(repo, "notes", "--ref=gitmem", "show", "HEAD") == "why we did this\n"
    assert "why we did this" in git(repo, "log", "--notes=gitmem", "-1")
    memory = memory_ref.read_memory(gm_repo)
    assert memory.errors == ()
    assert [s.session_id for s in memory.sessions] == ["s1", "s2", "s3"]
    assert [o.text for o in memory.sessions[0].observations] == ["one", "four"]
    assert memory_ref.commit_notes(gm_repo) == 1
    # And git notes can still edit the ref gitmem has moved.
    git(repo, "notes", "--ref=gitmem", "append", "-m", "and more", "HEAD")
    assert git(repo, "notes", "--ref=gitmem", "show", "HEAD") == "why we did this\n\nand more\n"
    assert len(memory_ref.read_memory(gm_repo).sessions) == 3


def test_write_session_adds_commit_notes(repo, gm_repo):
    first = git(repo, "rev-parse", "HEAD").strip()
    (repo / "b.txt").write_text("b\n")
    git(repo, "add", "b.txt")
    git(repo, "commit", "-q", "-m", "second")
    second = git(repo, "rev-parse", "HEAD").strip()
    memory_ref.write_session(gm_repo, "s1", TS, (obs("x"),), commit_notes={first: "gitmem: session s1 made this\n"})
    memory_ref.write_session(gm_repo, "s2", TS, (), summary("s2"), commit_notes={second: "from s2\n"})
    assert git(repo, "notes", "--ref=gitmem", "show", first) == "gitmem: session s1 made this\n"
    assert git(repo, "notes", "--ref=gitmem", "show", second) == "from s2\n"
    assert "from s2" in git(repo, "log", "--notes=gitmem", "-1", second)
    assert memory_ref.commit_notes(gm_repo) == 2
    assert [s.session_id for s in memory_ref.read_memory(gm_repo).sessions] == ["s1", "s2"]


# -- concurrent writers ---------------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import json, sys
    from gitmem.store import memory_ref
    from gitmem.git import discover
    from gitmem.store.records import Observation, SessionSummary

    repo, worker, count = discover(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    results = []
    for i in range(count):
        sid = f"{worker}-{i:03d}"
        ts = "2026-11-24T08:00:00Z"
        s = SessionSummary(id=sid, title=f"session {sid}", started_at=ts)
        r = memory_ref.write_session(repo, sid, ts, (Observation(ts=ts, kind="prompt", text=sid),), s)
        results.append({"sid": sid, "commit": r.commit, "paths": list(r.paths), "attempts": r.attempts})
    print(json.dumps(results), flush=True)
""")


def test_concurrent_writers_from_separate_processes_lose_nothing(repo, gm_repo):
    workers, per_worker, deadline = 4, 25, time.monotonic() + 150
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(repo), f"w{n}", str(per_worker)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(workers)]
    outputs = []
    try:
        for p in procs:
            ready, _, _ = select.select([p.stdout], [], [], max(deadline - time.monotonic(), 0))
            assert ready and p.stdout.readline() == "ready\n", p.stderr.read() if p.poll() is not None else ""
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            out, err = p.communicate(timeout=max(deadline - time.monotonic(), 1))
            assert p.returncode == 0, err
            outputs.extend(json.loads(out))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)

    expected = sorted(f"w{n}-{i:03d}" for n in range(workers) for i in range(per_worker))
    assert sorted(r["sid"] for r in outputs) == expected
    memory = memory_ref.read_memory(gm_repo)
    assert memory.errors == ()
    assert [s.session_id for s in memory.sessions] == expected  # each exactly once
    for s in memory.sessions:
        assert s.summary.title == f"session {s.session_id}"
        assert [o.text for o in s.observations] == [s.session_id]
        assert [b.seq for b in s.batches] == [1]
    # One commit per write, in one linear chain, and each result names its own commit.
    parents = git(repo, "rev-list", "--parents", MEMORY_REF).splitlines()
    assert len(parents) == workers * per_worker
    assert sum(len(line.split()) == 1 for line in parents) == 1
    assert max(len(line.split()) for line in parents) == 2
    commits = [r["commit"] for r in outputs]
    assert len(set(commits)) == len(commits)
    for r in outputs:
        assert f"Session: {r['sid']}" in git(repo, "log", "-1", "--format=%B", r["commit"])
    assert sum(r["attempts"] for r in outputs) >= len(outputs)


# -- batched reads ----------------------------------------------------------------------------------------------


@pytest.fixture
def many_sessions(gm_repo: Repo) -> dict[str, SessionSummary]:
    """200 sessions over three months, written in one commit to keep the test fast."""
    files: dict[str, bytes] = {}
    summaries = {}
    for i in range(200):
        sid = f"sess-{i:04d}"
        month = ("2026-09", "2026-10", "2026-11")[i % 3]
        s = summary(sid, f"title {i}", started_at=f"{month}-01T00:00:00Z", tokens_in=i)
        summaries[sid] = s
        files[f"sessions/{month}/{sid}/summary.md"] = s.to_text().encode()
        batch = ObservationBatch(sid, 1, tuple(obs(f"{sid} #{k}", ts=f"{month}-01T00:00:0{k}Z") for k in range(3)))
        files[f"sessions/{month}/{sid}/obs-0001.yaml"] = batch.to_text().encode()
    memory_ref.write_files(gm_repo, files, "200 sessions")
    return summaries


class GitCalls:
    """Counts git processes while delegating to the real subprocess.run (a spy, not a mock)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.argvs: list[list[str]] = []
        real = subprocess.run

        def spy(argv, *args, **kwargs):
            self.argvs.append(list(argv))
            return real(argv, *args, **kwargs)

        monkeypatch.setattr("gitmem.git.repo.subprocess.run", spy)


def test_read_memory_of_200_sessions_uses_a_constant_number_of_git_processes(gm_repo, many_sessions, monkeypatch):
    calls = GitCalls(monkeypatch)
    memory = memory_ref.read_memory(gm_repo)
    assert len(calls.argvs) <= 4, calls.argvs
    assert [a[1] for a in calls.argvs].count("cat-file") == 1
    assert memory.errors == ()
    assert {s.session_id: s.summary for s in memory.sessions} == many_sessions
    for s in memory.sessions:
        assert [o.text for o in s.observations] == [f"{s.session_id} #{k}" for k in range(3)]
    calls.argvs.clear()
    summaries = memory_ref.read_memory(gm_repo, summaries_only=True)
    assert len(calls.argvs) <= 4
    assert {s.session_id: s.summary for s in summaries.sessions} == many_sessions
    assert all(s.batches == () for s in summaries.sessions)
    calls.argvs.clear()
    assert memory_ref.find_session(gm_repo, "sess-0150").summary == many_sessions["sess-0150"]
    assert len(calls.argvs) <= 5


def test_store_stats_counts_what_is_there(gm_repo, many_sessions):
    stats = memory_ref.store_stats(gm_repo)  # from tree listings only; observations come from the search index
    assert (stats.sessions, stats.observation_files, stats.commits) == (200, 200, 1)
    assert stats.ref_bytes > 0 and stats.tip == gm_repo.resolve(MEMORY_REF)
    from gitmem.index import search

    assert search.record_counts(gm_repo)["observation"] == 600


def test_writing_to_a_large_ref_finds_the_existing_session_folder(repo, gm_repo, many_sessions):
    result = write(gm_repo, "sess-0001", "again", started_at="2026-12-05T00:00:00Z")
    assert result.paths[0] == "sessions/2026-10/sess-0001/obs-0002.yaml"
    assert len(ref_tree(repo)) == 401


# -- find_session ---------------------------------------------------------------------------------------------


def test_find_session_on_an_empty_ref(gm_repo):
    with pytest.raises(NotFoundError, match="empty"):
        memory_ref.find_session(gm_repo, "abc")


def test_find_session_by_id_and_prefix(gm_repo):
    for sid in ("abc123", "abd456", "zzz", "abc1234"):
        write(gm_repo, sid, f"text of {sid}", title=f"title {sid}")
    write(gm_repo, "nov-1", "x", started_at="2026-11-02T00:00:00Z")
    write(gm_repo, "dec-1", "x", started_at="2026-12-02T00:00:00Z")
    assert memory_ref.find_session(gm_repo, "zzz").summary.title == "title zzz"
    assert memory_ref.find_session(gm_repo, "abd").observations[0].text == "text of abd456"
    assert memory_ref.find_session(gm_repo, "abc1234").session_id == "abc1234"
    # A full id wins even when it is a prefix of another id.
    assert memory_ref.find_session(gm_repo, "abc123").session_id == "abc123"
    assert memory_ref.find_session(gm_repo, "dec").path == "sessions/2026-12/dec-1"

    with pytest.raises(NotFoundError) as info:
        memory_ref.find_session(gm_repo, "ab")
    assert "3 sessions" in info.value.message
    for sid in ("abc123", "abc1234", "abd456"):
        assert sid in info.value.message
    assert "more characters" in info.value.hint

    for missing in ("nope", "abc1235", "", "sessions/2026-11/zzz", "2026-11", "*"):
        with pytest.raises(NotFoundError, match="no session matches"):
            memory_ref.find_session(gm_repo, missing)


def test_write_result_is_our_commit_even_when_another_writer_lands_right_after(repo, gm_repo):
    # A reference-transaction hook plays "another writer": as soon as fast-import has moved the ref,
    # it moves it again. The result must still name gitmem's commit, not the newer tip.
    marker = repo / ".git" / "move-after-write"
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        [ "$1" = committed ] && [ -z "$IN_TEST_HOOK" ] && [ -f '{marker}' ] || {{ cat >/dev/null; exit 0; }}
        while read old new ref; do
            if [ "$ref" = {MEMORY_REF} ]; then
                rm -f '{marker}'
                export IN_TEST_HOOK=1
                c=$(git commit-tree -p "$new" -m "another writer" "$new^{{tree}}")
                git update-ref {MEMORY_REF} "$c" "$new"
            fi
        done
        """))
    hook.chmod(0o755)
    marker.write_text("")
    result = write(gm_repo, "s1", "x", title="mine")
    assert not marker.exists()  # the hook did run
    tip = gm_repo.resolve(MEMORY_REF)
    assert tip != result.commit
    assert git(repo, "log", "-1", "--format=%s", tip).strip() == "another writer"
    assert git(repo, "log", "-1", "--format=%s", result.commit).strip() == "gitmem: session s1: mine"
    assert git(repo, "rev-parse", f"{tip}^").strip() == result.commit


# -- git gc running beside the writers ---------------------------------------------------------------


def test_writes_survive_git_gc_prune_now_running_beside_them(repo, gm_repo):
    """Issue 15 item 11: fast-import wrote small commits as loose objects, unreachable until its ref update, and a
    concurrent `git gc --prune=now` deleted them (a commit or tree missing under the ref; every flush failed after)."""
    import threading

    stop = threading.Event()
    gcs = [0]

    def gc_loop() -> None:
        while not stop.is_set() and gcs[0] < 400:
            subprocess.run(["git", "gc", "-q", "--prune=now"], cwd=repo, capture_output=True, timeout=120)
            gcs[0] += 1

    thread = threading.Thread(target=gc_loop)
    thread.start()
    try:
        for n in range(20):
            write(gm_repo, f"gc-{n:02d}", f"prompt {n}", title=f"session {n}")
    finally:
        stop.set()
        thread.join(timeout=180)
    assert gcs[0] > 0
    proc = subprocess.run(["git", "rev-list", "--objects", MEMORY_REF], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr  # nothing under the ref is missing
    memory = memory_ref.read_memory(gm_repo)
    assert sorted(r.session_id for r in memory.sessions) == [f"gc-{n:02d}" for n in range(20)]
    assert not memory.errors


def test_a_stale_ref_lock_is_named_as_such_not_as_a_moving_ref(repo, gm_repo):
    write(gm_repo, "lock-1", "first")
    lock = gm_repo.common_dir / "refs" / "notes" / "gitmem.lock"
    lock.write_text("")
    with pytest.raises(StaleLockError) as info:
        memory_ref.write_session(gm_repo, "lock-2", TS, [obs("second")], summary("lock-2"), max_attempts=3)
    assert str(lock) in str(info.value) and "rm " in info.value.hint
    assert lock.exists()  # a fresh lock may belong to a running git: never removed on a guess
    old = time.time() - memory_ref.STALE_LOCK_SECONDS - 5
    os.utime(lock, (old, old))  # left by a process killed ten minutes ago
    result = memory_ref.write_session(gm_repo, "lock-2", TS, [obs("second")], summary("lock-2"), max_attempts=3)
    assert result.commit and not lock.exists()
    assert memory_ref.find_session(gm_repo, "lock-2").observations[0].text == "second"


def test_a_merge_blocked_by_a_stale_ref_lock_names_the_lock(repo, gm_repo):
    from gitmem.team import merge

    write(gm_repo, "m-1", "mine")
    theirs = memory_ref.write_session(gm_repo, "t-1", TS, [obs("theirs")], summary("t-1"), ref="refs/gitmem/remotes/o/memory")
    git(repo, "update-ref", "refs/gitmem/remotes/o/memory", theirs.commit)
    write(gm_repo, "m-2", "mine again")  # the two sides diverge: a merge commit is needed
    (gm_repo.common_dir / "refs" / "notes" / "gitmem.lock").write_text("")
    with pytest.raises(StaleLockError):
        merge.merge_memory(gm_repo, theirs.commit, label="o", max_attempts=2)
