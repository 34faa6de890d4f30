"""Team memory over git: refspecs, the pre-push hook, the tree-union merge, push retries.

Real bare remotes, real clones, real ``git push``/``git pull`` and real
background processes; git is never mocked. Every background sync a test
starts is waited for (bounded loop over /proc) and checked gone afterwards.
"""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from conftest import AUTHOR_EMAIL, AUTHOR_NAME, git, live_processes, make_repo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmem.app.project import init_repository
from gitmem.config import MEMORY_REF
from gitmem.errors import GitmemError, RefUpdateConflict
from gitmem.git import Repo, discover
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary
from gitmem.team import after_push, merge, resolve, sync
from gitmem.team.setup import CHAINED_HOOK, HOOK_MARKER, default_remote, hook_line, remove_sync_setup, setup_sync

TS = "2026-11-24T08:00:00Z"
BACKGROUND_WAIT_SECONDS = 120


# -- helpers -------------------------------------------------------------------------------------------


def write(path: Path, sid: str, *texts: str, ended_at: str = "2026-11-24T09:00:00Z", title: str = "a session",
          commit_notes: dict[str, str] | None = None) -> memory_ref.WriteResult:
    s = SessionSummary(id=sid, title=title, started_at=TS, ended_at=ended_at, observation_count=len(texts))
    obs = tuple(Observation(ts=TS, kind="prompt", text=t) for t in texts) or (Observation(ts=TS, kind="prompt",
                                                                                            text=sid),)
    return memory_ref.write_session(discover(path), sid, TS, obs, s, commit_notes=commit_notes)


def seed(remote: Path, tmp_path: Path) -> None:
    """Give the bare remote a `main` branch, as a team's server has."""
    path = make_repo(tmp_path / "seed")
    git(path, "remote", "add", "origin", str(remote))
    git(path, "push", "-q", "origin", "main")


def setup(path: Path) -> Repo:
    gm = discover(path)
    setup_sync(gm)
    return gm


def tree_of(path: Path, ref: str = MEMORY_REF) -> str:
    return git(path, "rev-parse", f"{ref}^{{tree}}").strip()


def sessions_in(path: Path, ref: str = MEMORY_REF) -> list[str]:
    """Session ids in ``ref``, one per folder (duplicates would show twice)."""
    out = git(path, "ls-tree", "-r", "-d", "--name-only", "--full-tree", ref, "sessions/", check=False)
    return sorted(p.rsplit("/", 1)[-1] for p in out.split() if p.count("/") == 2)


def has_ref(path: Path, ref: str) -> bool:
    return git(path, "rev-parse", "--verify", "-q", ref, check=False).strip() != ""


def background_syncs(root: Path) -> list[int]:
    """Live ``gitmem.workers after-push`` processes (or the old command line) under ``root``."""
    return live_processes(root, b"gitmem.workers\0after-push", b"gitmem.sync\0--after-push")


def wait_for_background(root: Path, timeout: float = BACKGROUND_WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while background_syncs(root):
        if time.monotonic() > deadline:
            pytest.fail(f"background syncs still running after {timeout:.0f} s: {background_syncs(root)}")
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path: Path):
    """Every background sync a test started is gone when it ends; stray ones are stopped by pid."""
    yield
    deadline = time.monotonic() + BACKGROUND_WAIT_SECONDS
    while background_syncs(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = background_syncs(tmp_path)
    for pid in left:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert not left, f"background syncs left running: {left}"


def make_hook(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def team(tmp_path: Path, remote: Path, clone):
    """A seeded remote and a factory of set-up clones."""
    seed(remote, tmp_path)

    def _member(name: str) -> Path:
        path = clone(name)
        setup(path)
        return path

    return _member


# -- set-up: refspecs, config, hook ----------------------------------------------------------------------------


def test_setup_adds_a_memory_refspec_per_remote_and_never_a_push_refspec(repo: Path, tmp_path: Path):
    for name in ("origin", "backup"):
        git(tmp_path, "init", "-q", "--bare", str(tmp_path / f"{name}.git"))
        git(repo, "remote", "add", name, str(tmp_path / f"{name}.git"))

    result = setup_sync(discover(repo))

    assert result.remotes == ("backup", "origin")
    for name in ("origin", "backup"):
        specs = git(repo, "config", "--get-all", f"remote.{name}.fetch").split()
        assert specs == [f"+refs/heads/*:refs/remotes/{name}/*",
                         f"+refs/notes/gitmem*:refs/gitmem/remotes/{name}/memory*"]
        assert git(repo, "config", "--get-all", f"remote.{name}.push", check=False) == ""
    assert git(repo, "config", "--get-all", "notes.rewriteRef").split() == [MEMORY_REF]
    assert git(repo, "config", "notes.rewrite.amend").strip() == "true"
    assert git(repo, "config", "notes.rewrite.rebase").strip() == "true"
    hook = repo / ".git" / "hooks" / "pre-push"
    assert result.hook_state == "installed" and result.hook_path == hook
    assert os.access(hook, os.X_OK) and HOOK_MARKER in hook.read_text()
    assert sys.executable in hook.read_text()


def test_setup_is_idempotent_and_keeps_other_rewrite_refs(repo: Path, remote: Path):
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "config", "--add", "notes.rewriteRef", "refs/notes/commits")
    first = setup_sync(discover(repo))
    config_before = (repo / ".git" / "config").read_text()
    hook_before = (repo / ".git" / "hooks" / "pre-push").read_text()

    second = setup_sync(discover(repo))

    assert first.created and second.created == ()
    assert second.hook_state == "unchanged"
    assert (repo / ".git" / "config").read_text() == config_before
    assert (repo / ".git" / "hooks" / "pre-push").read_text() == hook_before
    assert git(repo, "config", "--get-all", "notes.rewriteRef").split() == ["refs/notes/commits", MEMORY_REF]


def test_setup_respects_a_rewrite_setting_the_user_turned_off(repo: Path):
    git(repo, "config", "notes.rewrite.rebase", "false")
    result = setup_sync(discover(repo))
    assert git(repo, "config", "notes.rewrite.rebase").strip() == "false"
    assert any("notes.rewrite.rebase" in n for n in result.notes)


def test_init_repository_sets_up_sync(repo: Path, remote: Path):
    git(repo, "remote", "add", "origin", str(remote))
    result = init_repository(discover(repo))
    assert any("pre-push hook" in c for c in result.created)
    assert any("refs/gitmem/remotes/origin/memory" in c for c in result.created)
    assert (repo / ".git" / "hooks" / "pre-push").exists()


def test_hooks_path_set_means_nothing_written_and_an_exact_line_returned(repo: Path):
    custom = repo / "githooks"
    custom.mkdir()
    git(repo, "config", "core.hooksPath", "githooks")

    result = setup_sync(discover(repo))

    assert result.hook_state == "manual" and result.hook_path is None
    assert list(custom.iterdir()) == []
    assert not (repo / ".git" / "hooks" / "pre-push").exists()
    assert hook_line(sys.executable) in result.instruction
    assert f"{custom / 'pre-push'} (an executable" in result.instruction
    # the config part still happened: memory can still be shared with `gitmem sync`
    assert git(repo, "config", "notes.rewriteRef").strip() == MEMORY_REF


def test_husky_gets_the_line_for_its_own_pre_push_file(repo: Path):
    (repo / ".husky" / "_").mkdir(parents=True)
    git(repo, "config", "core.hooksPath", ".husky/_")

    result = setup_sync(discover(repo))

    assert result.hook_state == "manual"
    assert result.instruction.startswith("husky owns the git hooks")
    assert f"{repo / '.husky' / 'pre-push'} (an executable" in result.instruction
    assert list((repo / ".husky").rglob("*")) == [repo / ".husky" / "_"]


def test_the_instruction_line_works_when_pasted_into_a_hook(team, remote: Path, tmp_path: Path):
    a = team("a")
    (a / ".git" / "hooks" / "pre-push").unlink()
    (a / "githooks").mkdir()
    git(a, "config", "core.hooksPath", "githooks")
    line = setup_sync(discover(a)).instruction.split("\n")[1].strip()
    make_hook(a / "githooks" / "pre-push", line + "\nexit 0\n")
    write(a, "s1")

    git(a, "push", "-q", "origin", "main")
    wait_for_background(tmp_path)

    assert sessions_in(remote) == ["s1"]


def test_a_hook_managers_pre_push_is_left_alone(repo: Path):
    hook = make_hook(repo / ".git" / "hooks" / "pre-push",
                     "# File generated by pre-commit: https://pre-commit.com\nexec pre-commit hook-impl\n")
    before = hook.read_text()

    result = setup_sync(discover(repo))

    assert result.hook_state == "manual"
    assert "pre-commit manages" in result.instruction and hook_line(sys.executable) in result.instruction
    assert hook.read_text() == before
    assert not (hook.parent / CHAINED_HOOK).exists()


def test_an_existing_hook_is_chained_and_restored_on_removal(repo: Path):
    hooks = repo / ".git" / "hooks"
    original = make_hook(hooks / "pre-push", "exit 0\n").read_text()

    result = setup_sync(discover(repo))

    assert result.hook_state == "chained"
    assert (hooks / CHAINED_HOOK).read_text() == original
    assert HOOK_MARKER in (hooks / "pre-push").read_text()
    removed = remove_sync_setup(discover(repo))
    assert (hooks / "pre-push").read_text() == original
    assert not (hooks / CHAINED_HOOK).exists()
    assert any("restored" in r for r in removed)


# -- plain git still works -------------------------------------------------------------------------------------


def test_plain_git_push_still_pushes_the_branch(team, remote: Path, tmp_path: Path):
    a = team("a")
    (a / "f.txt").write_text("change\n")
    git(a, "add", "f.txt")
    git(a, "commit", "-q", "-m", "change")

    push = subprocess.run(["git", "push"], cwd=a, capture_output=True, text=True, timeout=60)

    assert push.returncode == 0, push.stderr
    assert git(remote, "rev-parse", "main").strip() == git(a, "rev-parse", "HEAD").strip()
    wait_for_background(tmp_path)


def test_plain_fetch_and_pull_work_before_and_after_the_remote_has_memory(team, remote: Path, tmp_path: Path):
    a, b = team("a"), team("b")
    # no memory on the remote yet: the refspec is a pattern, so this is not an error
    assert subprocess.run(["git", "fetch"], cwd=b, capture_output=True, timeout=60).returncode == 0
    assert subprocess.run(["git", "pull", "-q"], cwd=b, capture_output=True, timeout=60).returncode == 0
    write(a, "from-a")
    assert sync.sync(discover(a)).ok
    write(b, "local-b")
    local_before = git(b, "rev-parse", MEMORY_REF).strip()

    pull = subprocess.run(["git", "pull"], cwd=b, capture_output=True, text=True, timeout=60)

    assert pull.returncode == 0, pull.stderr
    # the remote's memory is in the tracking ref; the local memory ref was not touched
    assert git(b, "rev-parse", "refs/gitmem/remotes/origin/memory").strip() == git(remote, "rev-parse",
                                                                                  MEMORY_REF).strip()
    assert git(b, "rev-parse", MEMORY_REF).strip() == local_before
    [result] = merge.merge_fetched(discover(b))
    assert result.kind == "merge" and result.sessions_in == 1
    assert sessions_in(b) == ["from-a", "local-b"]


# -- merging and converging ---------------------------------------------------------------------------------


def test_sync_merges_records_from_two_clones_and_reports_counts(team, remote: Path):
    a, b = team("a"), team("b")
    write(a, "a1")
    write(a, "a2")
    write(b, "b1")

    ra = sync.sync(discover(a))
    rb = sync.sync(discover(b))
    ra2 = sync.sync(discover(a))

    assert (ra.pushed, ra.fetched, ra.ok) == (2, 0, True)
    assert (rb.fetched, rb.pushed, rb.merged) == (2, 1, True)
    assert (ra2.fetched, ra2.pushed, ra2.fast_forward, ra2.merged) == (1, 0, True, False)
    assert sessions_in(a) == sessions_in(b) == sessions_in(remote) == ["a1", "a2", "b1"]
    assert tree_of(a) == tree_of(b) == tree_of(remote)
    merge = git(b, "rev-list", "--parents", "-n1", MEMORY_REF).split()
    assert len(merge) == 3, "a merge commit has both parents"
    assert git(b, "log", "-1", "--format=%an <%ae>|%cn", MEMORY_REF).strip() == (
        f"{AUTHOR_NAME} <{AUTHOR_EMAIL}>|{AUTHOR_NAME}")


@pytest.mark.parametrize("order", list(itertools.permutations(range(2))) + list(itertools.permutations(range(3))),
                         ids=lambda o: "".join("abc"[i] for i in o))
def test_clones_converge_to_one_tree_in_every_order(team, remote: Path, order):
    clones = [team(name) for name in "abc"[:len(order)]]
    expected = []
    for i, path in enumerate(clones):
        for n in range(2):
            write(path, f"s{i}{n}", ended_at=f"2026-11-24T1{n}:00:00Z")
            expected.append(f"s{i}{n}")
        write(path, "shared", f"from clone {i}", ended_at=f"2026-11-24T0{i}:30:00Z")  # one conflict per pair

    for i in [*order, *order]:
        assert sync.sync(discover(clones[i])).ok

    trees = {tree_of(c) for c in clones} | {tree_of(remote)}
    assert len(trees) == 1
    assert sessions_in(remote) == sorted(expected + ["shared"])
    # the summary with the latest ended_at won everywhere: the last clone's
    summary = git(remote, "show", f"{MEMORY_REF}:sessions/2026-11/shared/summary.md")
    assert f"ended_at: '2026-11-24T0{len(clones) - 1}:30:00Z'" in summary or \
        f"ended_at: 2026-11-24T0{len(clones) - 1}:30:00Z" in summary


@pytest.mark.parametrize("engine", merge.ENGINES)
def test_same_path_conflict_is_resolved_by_rule_reported_and_the_loser_stays_reachable(
        team, remote: Path, monkeypatch: pytest.MonkeyPatch, engine: str):
    monkeypatch.setenv("GITMEM_MERGE_ENGINE", engine)
    a, b = team("a"), team("b")
    write(a, "same", "one", ended_at="2026-11-24T10:00:00Z")             # later summary, fewer observations
    write(b, "same", "one", "two", ended_at="2026-11-24T09:00:00Z")      # earlier summary, more observations
    a_summary = git(a, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/summary.md").strip()
    b_summary = git(b, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/summary.md").strip()
    b_obs = git(b, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/obs-0001.yaml").strip()
    a_obs = git(a, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/obs-0001.yaml").strip()

    assert sync.sync(discover(a)).ok
    rb = sync.sync(discover(b))
    assert sync.sync(discover(a)).ok

    by_kind = {c.kind: c for c in rb.conflicts}
    assert set(by_kind) == {"summary", "observations"}
    assert (by_kind["summary"].kept, by_kind["summary"].lost) == (a_summary, b_summary)
    assert (by_kind["observations"].kept, by_kind["observations"].lost) == (b_obs, a_obs)
    assert tree_of(a) == tree_of(b) == tree_of(remote)
    assert git(remote, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/summary.md").strip() == a_summary
    assert git(remote, "rev-parse", f"{MEMORY_REF}:sessions/2026-11/same/obs-0001.yaml").strip() == b_obs
    reachable = set(git(remote, "rev-list", "--objects", MEMORY_REF).split())
    assert {a_summary, b_summary, a_obs, b_obs} <= reachable
    assert "same/summary.md" in git(remote, "log", "-1", "--format=%B", MEMORY_REF)


@pytest.mark.parametrize("engine", merge.ENGINES)
def test_notes_on_commits_from_both_sides_are_kept(team, remote: Path, monkeypatch: pytest.MonkeyPatch,
                                                   engine: str):
    monkeypatch.setenv("GITMEM_MERGE_ENGINE", engine)
    a, b = team("a"), team("b")
    head = git(a, "rev-parse", "HEAD").strip()
    (b / "g.txt").write_text("b\n")
    git(b, "add", "g.txt")
    git(b, "commit", "-q", "-m", "b's commit")
    b_commit = git(b, "rev-parse", "HEAD").strip()
    write(a, "sa", commit_notes={head: "gitmem session sa: refunds\n\nDetails: gitmem show sa\n"})
    write(b, "sb", commit_notes={head: "gitmem session sb: auth\n\nDetails: gitmem show sb\n",
                                  b_commit: "gitmem session sb: auth\n"})

    assert sync.sync(discover(a)).ok
    rb = sync.sync(discover(b))
    assert sync.sync(discover(a)).ok

    assert tree_of(a) == tree_of(b) == tree_of(remote)
    note = git(b, "notes", "--ref=gitmem", "show", head)
    assert note == ("gitmem session sa: refunds\n\nDetails: gitmem show sa\n\n"
                    "gitmem session sb: auth\n\nDetails: gitmem show sb\n")
    assert git(a, "cat-file", "-p", f"{MEMORY_REF}:{b_commit}") == "gitmem session sb: auth\n"
    assert [c.kind for c in rb.conflicts] == ["note"]
    assert sessions_in(remote) == ["sa", "sb"]


def test_combine_notes_keeps_foreign_text_and_is_symmetric():
    assert resolve.combine_notes(b"looks ok\n", b"ok\n") == resolve.combine_notes(b"ok\n", b"looks ok\n")
    assert resolve.combine_notes(b"looks ok\n", b"ok\n") == b"looks ok\n\nok\n"
    assert resolve.combine_notes(b"a\n\nb\n", b"b\n") == b"a\n\nb\n"   # a paragraph already there


units = st.lists(st.sampled_from([f"gitmem session s{i}: title {i}\n\nDetails: gitmem show s{i}" for i in range(5)]),
                 min_size=1, max_size=3)


@settings(max_examples=60, deadline=None)
@given(units, units, units)
def test_combining_gitmem_notes_is_order_free(x, y, z):
    a, b, c = ("\n\n".join(u).encode() + b"\n" for u in (x, y, z))
    combine = resolve.combine_notes
    assert combine(a, b) == combine(b, a)
    assert combine(combine(a, b), c) == combine(a, combine(b, c)) == combine(combine(c, a), b)
    assert combine(combine(a, b), a) == combine(a, b)


def test_a_note_stored_at_two_fanouts_is_combined_into_one_path(gm_repo: Repo, repo: Path):
    commit = git(repo, "rev-parse", "HEAD").strip()
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/x/summary.md": b"x\n"}, "base")
    ours = memory_ref.write_files(gm_repo, {commit: b"gitmem session o: ours\n"}, "flat note", parent=base)
    theirs = memory_ref.write_files(gm_repo, {f"{commit[:2]}/{commit[2:]}": b"gitmem session t: theirs\n"},
                               "fanned-out note", ref="refs/theirs", parent=base)
    git(repo, "update-ref", "refs/ours", ours)

    one = merge.merge_commits(gm_repo, ours, theirs, engine="union")
    two = merge.merge_commits(gm_repo, theirs, ours, ref="refs/theirs", engine="union")

    assert tree_of(repo) == tree_of(repo, "refs/theirs")
    names = git(repo, "ls-tree", "-r", "--name-only", MEMORY_REF).split()
    assert names == [f"{commit[:2]}/{commit[2:]}", "sessions/2026-11/x/summary.md"]
    assert git(repo, "notes", "--ref=gitmem", "show", commit) == (
        "gitmem session o: ours\n\ngitmem session t: theirs\n")
    assert one.conflicts and two.conflicts


@pytest.mark.parametrize("engine", merge.ENGINES)
@pytest.mark.parametrize("conflicting", [False, True], ids=["clean", "conflict"])
def test_a_merge_refuses_to_move_a_ref_that_moved_meanwhile(gm_repo: Repo, repo: Path, engine: str,
                                                            conflicting: bool):
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"base\n"}, "base")
    path = "sessions/2026-11/b/summary.md" if conflicting else "sessions/2026-11/t/summary.md"
    theirs = memory_ref.write_files(gm_repo, {path: b"theirs\n"}, "t", ref="refs/theirs", parent=base)
    stale = memory_ref.write_files(gm_repo, {"sessions/2026-11/o/summary.md": b"o\n", **({path: b"ours\n"} if conflicting
                                                                               else {})}, "o", parent=base)
    newer = memory_ref.write_files(gm_repo, {"sessions/2026-11/n/summary.md": b"n\n"}, "n", parent=stale)

    with pytest.raises(RefUpdateConflict):
        merge.merge_commits(gm_repo, stale, theirs, engine=engine)

    assert gm_repo.resolve(MEMORY_REF) == newer
    result = merge.merge_memory(gm_repo, theirs, engine=engine)
    assert result.kind == "merge" and result.attempts == 1
    assert git(repo, "rev-list", "--parents", "-n1", MEMORY_REF).split()[1:] == [newer, theirs]


def test_merge_memory_creates_and_fast_forwards(gm_repo: Repo, repo: Path):
    one = memory_ref.write_files(gm_repo, {"sessions/2026-11/a/summary.md": b"a\n"}, "a", ref="refs/theirs")
    assert merge.merge_memory(gm_repo, one).kind == "created"
    two = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"b\n"}, "b", ref="refs/theirs",
                            parent=one)
    result = merge.merge_memory(gm_repo, two)
    assert (result.kind, result.commit, result.sessions_in) == ("fast-forward", two, 1)
    assert merge.merge_memory(gm_repo, one).kind == "up-to-date"
    assert gm_repo.resolve(MEMORY_REF) == two


# -- property: random interleavings on three clones ------------------------------------------------------


OPS = st.lists(st.tuples(st.sampled_from(["session", "push", "pull", "sync"]), st.integers(0, 2)),
               min_size=1, max_size=10)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=OPS)
def test_random_interleavings_end_with_every_record_everywhere_exactly_once(ops):
    with tempfile.TemporaryDirectory(prefix="gitmem-prop-") as tmp:
        root = Path(tmp)
        remote = root / "remote.git"
        git(root, "init", "-q", "--bare", "-b", "main", str(remote))
        seed(remote, root)
        clones = []
        for i in range(3):
            git(root, "clone", "-q", str(remote), str(root / f"c{i}"))
            clones.append(root / f"c{i}")
            setup(clones[i])
        written: dict[str, str] = {}
        for n, (op, i) in enumerate(ops):
            gm = discover(clones[i])
            if op == "session":
                sid = f"s{n}-c{i}"
                write(clones[i], sid, f"observation of {sid}")
                written[sid] = f"observation of {sid}"
            elif op == "push":
                if gm.resolve(MEMORY_REF):
                    sync.push_memory(gm, "origin")  # one attempt; a rejection is fine
            elif op == "pull":
                git(clones[i], "pull", "-q")
                merge.merge_fetched(gm)
            else:
                assert sync.sync(gm).ok
        for _round in range(2):
            for path in clones:
                assert sync.sync(discover(path)).ok
        for path in [*clones, remote]:
            assert sessions_in(path) == sorted(written)
        assert len({tree_of(p) for p in [*clones, remote]} if written else {0}) == 1
        for path in clones:
            memory = memory_ref.read_memory(discover(path))
            assert memory.errors == ()
            texts = [o.text for s in memory.sessions for o in s.observations]
            assert sorted(texts) == sorted(written.values())


# -- the remote and the network --------------------------------------------------------------------------------


def test_a_remote_that_refuses_the_memory_ref_keeps_the_branch_push_and_reports(team, remote: Path,
                                                                                tmp_path: Path):
    make_hook(remote / "hooks" / "update", """\
        if [ "$1" = refs/notes/gitmem ]; then echo "memory is not welcome here" >&2; exit 1; fi
        exit 0
    """)
    a = team("a")
    write(a, "s1")
    (a / "f.txt").write_text("x\n")
    git(a, "add", "f.txt")
    git(a, "commit", "-q", "-m", "work")

    push = subprocess.run(["git", "push", "origin", "main"], cwd=a, capture_output=True, text=True, timeout=60)
    wait_for_background(tmp_path)

    assert push.returncode == 0, push.stderr
    assert git(remote, "rev-parse", "main").strip() == git(a, "rev-parse", "HEAD").strip()
    assert not has_ref(remote, MEMORY_REF)
    report = after_push.last_sync(discover(a).common_dir)
    assert report is not None and "rejected" in report["error"] and "memory is not welcome here" in report["error"]
    assert sessions_in(a) == ["s1"]  # nothing lost locally
    result = sync.sync(discover(a))
    assert not result.ok and "hook declined" in result.error and result.retries == 0
    assert (discover(a).common_dir / "gitmem" / after_push.SYNC_LOG_FILE).read_text().count("rejected") >= 1


def test_a_lost_push_race_is_fetched_merged_and_retried(team, remote: Path):
    a, b = team("a"), team("b")
    write(b, "racer")
    git(b, "push", "-q", "--no-verify", "origin", f"{MEMORY_REF}:refs/heads/racer")
    make_hook(remote / "hooks" / "update", """\
        # the first memory push loses a race: another push lands just before it
        if [ "$1" = refs/notes/gitmem ] && [ ! -e raced ]; then
            touch raced
            git update-ref refs/notes/gitmem "$(git rev-parse refs/heads/racer)"
        fi
        exit 0
    """)
    write(a, "mine")

    result = sync.sync(discover(a))

    assert result.ok and result.retries == 1 and result.fetched == 1
    assert sessions_in(remote) == ["mine", "racer"]
    assert git(remote, "rev-parse", MEMORY_REF).strip() == git(a, "rev-parse", MEMORY_REF).strip()


def test_a_push_that_keeps_losing_gives_up_with_a_clear_message_and_loses_nothing(team, remote: Path):
    a, b = team("a"), team("b")
    write(b, "first")
    assert sync.sync(discover(b)).ok
    make_hook(remote / "hooks" / "update", """\
        # every memory push loses a race to a new commit on the remote
        if [ "$1" = refs/notes/gitmem ]; then
            git update-ref refs/notes/gitmem \\
                "$(git commit-tree -p refs/notes/gitmem -m race refs/notes/gitmem^{tree})"
        fi
        exit 0
    """)
    write(a, "mine")

    result = sync.sync(discover(a), max_attempts=3)

    assert not result.ok and result.retries == 2
    assert "rejected 3 time(s)" in result.error and "nothing is lost" in result.error
    assert sessions_in(a) == ["first", "mine"]
    assert "mine" not in sessions_in(remote)


def test_a_shallow_clone_syncs(team, remote: Path, tmp_path: Path):
    a = team("a")
    (a / "more.txt").write_text("1\n")
    git(a, "add", "more.txt")
    git(a, "commit", "-q", "-m", "second")
    git(a, "push", "-q", "--no-verify", "origin", "main")
    write(a, "from-a")
    assert sync.sync(discover(a)).ok
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{remote}", str(shallow))
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"
    setup(shallow)
    write(shallow, "from-shallow")

    result = sync.sync(discover(shallow))

    assert result.ok and result.fetched == 1 and result.pushed == 1
    assert sessions_in(remote) == sessions_in(shallow) == ["from-a", "from-shallow"]
    assert git(shallow, "rev-parse", "--is-shallow-repository").strip() == "true"


def test_a_clone_with_no_memory_anywhere_yet(team, remote: Path):
    a = team("a")
    nothing = sync.sync(discover(a))
    assert nothing.ok and (nothing.fetched, nothing.pushed, nothing.local_tip, nothing.remote_tip) == (0, 0, None,
                                                                                                      None)
    assert not has_ref(remote, MEMORY_REF)
    write(a, "first")
    first = sync.sync(discover(a))
    assert first.ok and first.pushed == 1 and sessions_in(remote) == ["first"]
    fresh = team("fresh")  # cloned after the memory existed: no local memory ref yet
    assert not has_ref(fresh, MEMORY_REF)
    got = sync.sync(discover(fresh))
    assert got.ok and got.fetched == 1 and got.fast_forward and sessions_in(fresh) == ["first"]


def test_sync_to_a_url_is_refused_with_a_hint_and_publishes_nothing(team, remote: Path):
    """Issue 15 item 8: memory goes only to remotes enabled for it, never to a bare URL."""
    a = team("a")
    write(a, "s1")
    with pytest.raises(GitmemError, match="is a URL, not a configured remote") as info:
        sync.sync(discover(a), f"file://{remote}")
    assert "gitmem remote add" in info.value.hint
    assert not has_ref(remote, MEMORY_REF)


def test_default_remote_is_the_branch_remote_then_origin(repo: Path, tmp_path: Path):
    gm = discover(repo)
    with pytest.raises(Exception, match="no remote"):
        default_remote(gm)
    for name in ("upstream", "origin"):
        git(tmp_path, "init", "-q", "--bare", str(tmp_path / f"{name}.git"))
        git(repo, "remote", "add", name, str(tmp_path / f"{name}.git"))
    assert default_remote(gm) == "origin"
    git(repo, "config", "branch.main.remote", "upstream")
    assert default_remote(gm) == "upstream"


# -- the pre-push hook ---------------------------------------------------------------------------------------


def test_the_hook_chains_the_existing_hook_and_pushes_memory_after_the_user_push(
        tmp_path: Path, remote: Path, clone):
    seed(remote, tmp_path)
    make_hook(remote / "hooks" / "update", 'echo "$1" >> updates.log\nexit 0\n')
    a = clone("a")
    log = tmp_path / "user-hook.log"
    make_hook(a / ".git" / "hooks" / "pre-push", f"""\
        echo "args: $1 $2" >> "{log}"
        while read local_ref local_sha remote_ref remote_sha; do echo "ref: $local_ref $remote_ref" >> "{log}"; done
        exit 0
    """)
    assert setup(a) and (a / ".git" / "hooks" / CHAINED_HOOK).exists()
    write(a, "s1")
    (a / "f.txt").write_text("x\n")
    git(a, "add", "f.txt")
    git(a, "commit", "-q", "-m", "work")

    push = subprocess.run(["git", "push", "origin", "main"], cwd=a, capture_output=True, text=True, timeout=60)
    wait_for_background(tmp_path)

    assert push.returncode == 0, push.stderr
    assert log.read_text().splitlines() == [f"args: origin {remote}", "ref: refs/heads/main refs/heads/main"]
    assert (remote / "updates.log").read_text().splitlines() == ["refs/heads/main", "refs/notes/gitmem"]
    assert sessions_in(remote) == ["s1"]
    report = after_push.last_sync(discover(a).common_dir)
    assert report["error"] == "" and report["pushed"] == 1 and report["trigger"] == "pre-push"


def test_a_failing_chained_hook_still_blocks_the_push_and_no_sync_starts(tmp_path: Path, remote: Path, clone):
    seed(remote, tmp_path)
    a = clone("a")
    make_hook(a / ".git" / "hooks" / "pre-push", 'echo "tests failed, not pushing" >&2\nexit 3\n')
    setup(a)
    write(a, "s1")
    (a / "f.txt").write_text("x\n")
    git(a, "add", "f.txt")
    git(a, "commit", "-q", "-m", "work")

    push = subprocess.run(["git", "push", "origin", "main"], cwd=a, capture_output=True, text=True, timeout=60)

    assert push.returncode != 0
    assert "tests failed, not pushing" in push.stderr
    assert background_syncs(tmp_path) == []
    assert git(remote, "rev-parse", "main").strip() != git(a, "rev-parse", "HEAD").strip()
    assert not has_ref(remote, MEMORY_REF)
    assert after_push.last_sync(discover(a).common_dir) is None


def test_the_hook_does_nothing_inside_gitmems_own_push(team, remote: Path, tmp_path: Path):
    a = team("a")
    write(a, "s1")
    (a / "f.txt").write_text("x\n")
    git(a, "add", "f.txt")
    git(a, "commit", "-q", "-m", "work")

    git(a, "push", "-q", "origin", "main", env={sync.SYNC_ENV: "1"})

    assert background_syncs(tmp_path) == []
    assert not has_ref(remote, MEMORY_REF)
    assert after_push.last_sync(discover(a).common_dir) is None


def test_ten_clones_pushing_at_the_same_moment_all_land_their_memory(team, remote: Path, tmp_path: Path):
    clones = [team(f"c{i}") for i in range(10)]
    for i, path in enumerate(clones):
        write(path, f"session-{i}")
        (path / f"f{i}.txt").write_text(f"{i}\n")
        git(path, "add", f"f{i}.txt")
        git(path, "commit", "-q", "-m", f"work {i}")

    pushes = [subprocess.Popen(["git", "push", "-q", "origin", f"HEAD:refs/heads/c{i}"], cwd=path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
              for i, path in enumerate(clones)]
    for proc in pushes:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    wait_for_background(tmp_path)

    assert sessions_in(remote) == sorted(f"session-{i}" for i in range(10))
    retries = []
    for path in clones:
        report = after_push.last_sync(discover(path).common_dir)
        assert report is not None and report["error"] == "", report
        retries.append(report["retries"])
    assert max(retries) <= sync.MAX_PUSH_ATTEMPTS - 1


@pytest.mark.parametrize("job", [["gitmem.workers", "after-push"],
                                 ["gitmem.sync", "--after-push"]])  # the line an older gitmem wrote still works
def test_after_push_waits_for_the_push_process_to_end(team, remote: Path, tmp_path: Path, job: list[str]):
    a = team("a")
    write(a, "s1")
    sleeper = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    bg = subprocess.Popen([sys.executable, "-I", "-m", *job, "origin", "--wait-pid", str(sleeper.pid)], cwd=a)
    try:
        # while the "push" runs, the background job waits and has pushed nothing
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert bg.poll() is None and not has_ref(remote, MEMORY_REF)
            time.sleep(0.05)
    finally:
        sleeper.communicate(b"", timeout=10)
    assert bg.wait(timeout=120) == 0
    assert sessions_in(remote) == ["s1"]


# -- notes follow rewrites -------------------------------------------------------------------------------------


def test_a_note_follows_amend_and_sessions_survive_it(repo: Path):
    init_repository(discover(repo))
    write(repo, "s1")
    git(repo, "notes", "--ref=gitmem", "add", "-m", "why this commit was made", "HEAD")
    old = git(repo, "rev-parse", "HEAD").strip()

    git(repo, "commit", "-q", "--amend", "-m", "amended")

    new = git(repo, "rev-parse", "HEAD").strip()
    assert new != old
    assert git(repo, "notes", "--ref=gitmem", "show", new) == "why this commit was made\n"
    assert "why this commit was made" in git(repo, "log", "-1", "--notes=gitmem")
    assert sessions_in(repo) == ["s1"]


def test_a_note_follows_rebase(repo: Path):
    init_repository(discover(repo))
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "t.txt").write_text("t\n")
    git(repo, "add", "t.txt")
    git(repo, "commit", "-q", "-m", "topic work")
    git(repo, "notes", "--ref=gitmem", "add", "-m", "decided in session s1", "HEAD")
    git(repo, "checkout", "-q", "main")
    (repo / "m.txt").write_text("m\n")
    git(repo, "add", "m.txt")
    git(repo, "commit", "-q", "-m", "main work")
    git(repo, "checkout", "-q", "topic")

    git(repo, "rebase", "-q", "main")

    assert git(repo, "notes", "--ref=gitmem", "show", "HEAD") == "decided in session s1\n"


def test_a_merge_without_a_configured_identity_still_lands(gm_repo: Repo, repo: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"b\n"}, "base")
    theirs = memory_ref.write_files(gm_repo, {"sessions/2026-11/t/summary.md": b"t\n"}, "t", ref="refs/theirs",
                               parent=base)
    ours = memory_ref.write_files(gm_repo, {"sessions/2026-11/o/summary.md": b"o\n"}, "o", parent=base)
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name)
    git(repo, "config", "user.useConfigOnly", "true")

    result = merge.merge_commits(gm_repo, ours, theirs, engine="merge-tree")

    assert result.kind == "merge" and gm_repo.resolve(MEMORY_REF) == result.commit
    assert git(repo, "rev-list", "--parents", "-n1", MEMORY_REF).split()[1:] == [ours, theirs]
    assert sessions_in(repo) == ["b", "o", "t"]
    assert git(repo, "log", "-1", "--format=%ae", MEMORY_REF).strip() == "unknown@gitmem.invalid"


def test_the_layout_names_note_paths_session_folders_and_summaries_the_merge_reads() -> None:
    """The merge reads ref paths through store.layout only (issue 16): these are the shapes it relies on."""
    from gitmem.store.layout import is_session_folder, note_commit, note_paths, summary_session_id

    commit = "0123456789abcdef0123456789abcdef01234567"
    assert note_paths(commit) == [commit, f"01/{commit[2:]}", f"01/23/{commit[4:]}"]
    assert all(note_commit(p) == commit for p in note_paths(commit))
    assert is_session_folder("sessions/2026-01/abc")
    assert not is_session_folder("sessions/2026-01") and not is_session_folder("sessions/2026-01/abc/summary.md")
    assert not is_session_folder("conflicts/2026-01/abc")
    assert summary_session_id("sessions/2026-01/abc/summary.md") == "abc"
    assert summary_session_id("sessions/2026-01/abc/obs-0001.yaml") is None
    assert summary_session_id("conflicts/sessions/2026-01/abc/summary.md") is None


def test_sync_reports_each_step_and_ends_all_done(team, remote: Path):
    a, b = team("a"), team("b")
    write(a, "a1")
    sync.sync(discover(a))
    write(b, "b1")
    seen: list[tuple[str, int, int]] = []
    result = sync.sync(discover(b), steps=lambda *step: seen.append(step))
    assert (result.fetched, result.pushed, result.ok) == (1, 1, True)
    what = "syncing memory with origin (fetch, merge, push)"
    assert seen == [(what, 0, 3), (what, 1, 3), (what, 2, 3), (what, 3, 3), (what, 3, 3)]
    seen.clear()
    result = sync.sync(discover(a), steps=lambda *step: seen.append(step))   # nothing to push: done after the merge
    assert (result.fetched, result.pushed) == (1, 0)
    assert seen == [(what, 0, 3), (what, 1, 3), (what, 2, 3), (what, 3, 3)]


def test_sync_draws_a_progress_bar_on_a_terminal_only(team, remote: Path):
    from terminal import gitmem_on

    a = team("a")
    init_repository(discover(a))
    for n in range(3):
        write(a, f"a{n}")
    code, err, out = gitmem_on(a, "sync", tty=True)
    assert code == 0 and "origin: 0 session(s) in, 3 out" in out, err
    assert b"syncing memory with origin" in err and b"3/3" in err
    write(a, "a3")
    code, err, out = gitmem_on(a, "sync", "--quiet", tty=True)
    assert code == 0 and "1 out" in out and b"syncing" not in err and b"3/3" not in err
    write(a, "a4")
    code, err, out = gitmem_on(a, "sync", tty=False)
    assert code == 0 and "1 out" in out and not err
    code, err, out = gitmem_on(a, "sync", "--json", tty=True)
    assert code == 0 and b"syncing" not in err and '"remote": "origin"' in out


@pytest.mark.parametrize("engine", ["merge-tree", "union"])
def test_a_diverged_merge_that_drops_a_record_of_ours_keeps_it(gm_repo: Repo, repo: Path, engine: str):
    """Issue 20: the guard's diff of the merged tree and a commit of it run beside the fetched tree's check;
    when the guard then restores a record, that early commit (of a tree without it) must not be what lands."""
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/a/summary.md": b"a\n",
                                            "sessions/2026-11/b/summary.md": b"b\n"}, "base")
    added = memory_ref.write_files(gm_repo, {"sessions/2026-11/t/summary.md": b"t\n"}, "t", ref="refs/theirs",
                                   parent=base)
    month = git(repo, "rev-parse", f"{added}:sessions/2026-11").strip()     # theirs then drops folder `a`
    listing = "".join(line + "\n" for line in git(repo, "ls-tree", month).splitlines() if not line.endswith("\ta"))
    sessions = git(repo, "mktree", input=f"040000 tree {git(repo, 'mktree', input=listing).strip()}\t2026-11\n")
    root = git(repo, "mktree", input=f"040000 tree {sessions.strip()}\tsessions\n").strip()
    theirs = git(repo, "commit-tree", root, "-p", added, "-m", "drop a").strip()
    ours = memory_ref.write_files(gm_repo, {"sessions/2026-11/o/summary.md": b"o\n"}, "o", parent=base)

    result = merge.merge_commits(gm_repo, ours, theirs, engine=engine)

    assert result.kind == "merge" and gm_repo.resolve(MEMORY_REF) == result.commit
    assert sessions_in(repo) == ["a", "b", "o", "t"]
    assert git(repo, "rev-list", "--parents", "-n1", MEMORY_REF).split()[1:] == [ours, theirs]
    assert any("may not delete a record" in c.rule for c in result.conflicts)


def test_a_clean_diverged_merge_lands_the_commit_made_beside_the_check(gm_repo: Repo, repo: Path):
    """The merged tree is exactly merge-tree's and the commit has both parents and the merge message."""
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"b\n"}, "base")
    theirs = memory_ref.write_files(gm_repo, {"sessions/2026-11/t/summary.md": b"t\n"}, "t", ref="refs/theirs",
                                    parent=base)
    ours = memory_ref.write_files(gm_repo, {"sessions/2026-11/o/summary.md": b"o\n"}, "o", parent=base)
    expected = git(repo, "merge-tree", "--write-tree", ours, theirs).split()[0]

    result = merge.merge_commits(gm_repo, ours, theirs, engine="merge-tree", label="origin")

    assert result.kind == "merge" and not result.conflicts
    assert git(repo, "rev-parse", f"{MEMORY_REF}^{{tree}}").strip() == expected
    assert git(repo, "rev-list", "--parents", "-n1", MEMORY_REF).split()[1:] == [ours, theirs]
    assert git(repo, "log", "-1", "--format=%s", MEMORY_REF).strip() == "gitmem: merge memory from origin"


def test_a_diverged_merge_leaves_out_a_symlink_the_fetch_brings(gm_repo: Repo, repo: Path):
    """merge-tree takes the symlink; the check, run beside the commit of that merged tree, leaves it out, so
    that commit must not be what lands."""
    base = memory_ref.write_files(gm_repo, {"sessions/2026-11/b/summary.md": b"b\n"}, "base")
    ours = memory_ref.write_files(gm_repo, {"sessions/2026-11/o/summary.md": b"o\n"}, "o", parent=base)
    summary = git(repo, "hash-object", "-w", "--stdin", input="t\n").strip()
    target = git(repo, "hash-object", "-w", "--stdin", input="/etc/passwd").strip()
    folder = git(repo, "mktree", input=f"100644 blob {summary}\tsummary.md\n120000 blob {target}\tlink\n").strip()
    b_folder = git(repo, "rev-parse", f"{base}:sessions/2026-11/b").strip()
    month = git(repo, "mktree", input=f"040000 tree {b_folder}\tb\n040000 tree {folder}\tt\n").strip()
    sessions = git(repo, "mktree", input=f"040000 tree {month}\t2026-11\n").strip()
    root = git(repo, "mktree", input=f"040000 tree {sessions}\tsessions\n").strip()
    theirs = git(repo, "commit-tree", root, "-p", base, "-m", "a symlink").strip()

    result = merge.merge_commits(gm_repo, ours, theirs, engine="merge-tree")

    assert result.kind == "merge" and gm_repo.resolve(MEMORY_REF) == result.commit
    assert [b.path for b in result.skipped] == ["sessions/2026-11/t/link"]
    assert sessions_in(repo) == ["b", "o", "t"]
    assert git(repo, "ls-tree", "-r", "--name-only", MEMORY_REF, "sessions/2026-11/t/").split() == [
        "sessions/2026-11/t/summary.md"]
