"""Costs that grow with the team's memory (issue 20): counted, never timed.

- after a sync the SessionStart hook prints the pre-rendered brief (it does not render in the hook);
- a render reads the sessions behind proposed decisions with one scan, however many proposals there are;
- ``gitmem reindex`` holds a bounded part of the memory at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, run
from test_inject import LAUNCHER, context_of, first_teammate, session

from gitmem import hook as hook_module
from gitmem.app import inject
from gitmem.app.project import init_repository
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Decision, SessionSummary


def session_start(root: Path) -> bytes:
    """The installed SessionStart hook, with rendering made impossible: ``GITMEM_PYTHON`` (the interpreter the hook
    starts to render a stale brief) is ``false``, so only a pre-rendered brief can be printed."""
    env = {**os.environ, "GITMEM_NO_WORKER": "1", "GITMEM_PYTHON": "/bin/false"}
    payload = {"session_id": "next-1", "hook_event_name": "SessionStart", "source": "startup", "cwd": str(root)}
    proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), "SessionStart"], cwd=root, env=env,
                          input=json.dumps(payload).encode(), capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def hook_finds_brief_fresh(root: Path) -> bool:
    """The hook's own test of a stored brief (``hook.fresh_brief``): the path it takes without rendering."""
    repo = discover(root)
    common, git_dir = bytes(repo.common_dir), bytes(repo.git_dir)
    stamp = hook_module.memory_stamp(common, bytes(root))
    return hook_module.fresh_brief(hook_module.brief_file(common, git_dir), stamp) is not None


def two_teammates(clone) -> tuple[Path, Path]:
    """Alice recorded a session and pushed it; Bob cloned, set up, synced, and holds a fresh brief."""
    alice = first_teammate(clone)
    session(alice, "alice-1", "Choose the queue",
            "We decided to use Postgres SKIP LOCKED instead of Redis because we already run Postgres.", ["queue.py"])
    git(alice, "push", "-q", "origin", "refs/notes/gitmem:refs/notes/gitmem")
    bob = clone("bob")
    init_repository(discover(bob))
    inject.render_brief(discover(bob))
    return alice, bob


def alice_records_more(alice: Path) -> None:
    session(alice, "alice-2", "Retry the ledger writes",
            "We decided to retry ledger writes with exponential backoff because the bank API throttles.",
            ["ledger.py"])
    git(alice, "push", "-q", "origin", "HEAD:main", "refs/notes/gitmem:refs/notes/gitmem")


def test_gitmem_sync_leaves_a_brief_the_session_start_hook_prints_without_rendering(
        clone, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    alice, bob = two_teammates(clone)
    alice_records_more(alice)
    git(bob, "pull", "-q", "--no-rebase", "origin", "main")
    monkeypatch.chdir(bob)
    code, out, err = run(capsys, "sync", "--quiet")
    assert code == 0, err
    assert hook_finds_brief_fresh(bob)
    text = context_of(session_start(bob))
    assert "exponential backoff" in text  # the session the sync brought is in the pre-rendered brief


def test_the_after_push_sync_leaves_a_fresh_brief_too(clone) -> None:
    alice, bob = two_teammates(clone)
    alice_records_more(alice)
    git(bob, "pull", "-q", "--no-rebase", "origin", "main")
    proc = subprocess.run([sys.executable, "-I", "-m", "gitmem.workers", "after-push", "origin"], cwd=bob,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert hook_finds_brief_fresh(bob)
    assert "exponential backoff" in context_of(session_start(bob))


# -- one scan per render, however many proposals -------------------------------------------------------------


def git_calls(trace: Path) -> list[str]:
    """The git commands a GIT_TRACE file recorded, one per git process started."""
    return [line.split("trace: built-in: ", 1)[1] for line in trace.read_text().splitlines()
            if "trace: built-in: " in line]


def traced_render(root: Path, trace: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    trace.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_TRACE", str(trace))
    try:
        inject.build_brief(discover(root))
    finally:
        monkeypatch.delenv("GIT_TRACE")
    return git_calls(trace)


def propose(root: Path, n: int, session_id: str) -> None:
    """An untracked proposed decision of session ``session_id``, about a file of its own."""
    d = Decision(id=f"d-prop{n:04d}", title=f"Keep rule {n} for module {n}", status="proposed", date="2026-10-01",
                 files=(f"mod{n}.py",), session=session_id, body=f"\n## Decision\n\nRule {n}.\n")
    (root / ".gitmem" / "decisions" / f"2026-10-01-rule-{n}.md").write_text(d.to_text())


def test_a_render_reads_the_sessions_behind_proposals_with_one_scan_however_many(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gm = discover(repo)
    init_repository(gm)
    files = {}
    for i in range(80):   # 32 old sessions that proposed, then newer ones the brief reads first
        month = "2026-09" if i < 32 else "2026-11"
        s = SessionSummary(id=f"sess-{i:03d}", title=f"Session {i}", started_at=f"{month}-10T10:00:00Z",
                           ended_at=f"{month}-10T11:00:00Z", author="Team Mate <t@example.com>",
                           branch="spike" if i < 32 else "main")
        files[f"sessions/{month}/{s.id}/summary.md"] = s.to_text().encode()
    memory_ref.write_files(gm, files, "80 sessions", parent=None)
    (repo / ".gitmem" / "decisions").mkdir(parents=True, exist_ok=True)
    trace = tmp_path / "trace.txt"
    traced_render(repo, trace, monkeypatch)   # the index is built here, not in the renders compared below
    propose(repo, 0, "sess-000")
    one = traced_render(repo, trace, monkeypatch)
    for n in range(1, 32):
        propose(repo, n, f"sess-{n:03d}")
    many = traced_render(repo, trace, monkeypatch)
    scans = [c for c in many if c.startswith("git ls-tree") and " -d " in c]
    assert len(scans) <= 1, scans
    assert len(many) == len(one), (one, many)   # flat: the same git processes for 1 proposal as for 32


# -- reindex holds a part of the memory at a time ------------------------------------------------------------


def letters(n: int) -> str:
    """``n`` spelled in three letters: words that neither a digit split nor a prefix makes alike."""
    return "".join(chr(97 + n // 26 ** k % 26) for k in range(3))


def test_reindex_reads_the_memory_a_bounded_part_at_a_time_and_indexes_all_of_it(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gitmem.index import index_file, search
    from gitmem.store.records import Observation, ObservationBatch

    gm = discover(repo)
    init_repository(gm)
    files = {}
    for i in range(60):
        month = f"2026-{1 + i // 20:02d}"
        s = SessionSummary(id=f"part-{i:03d}", title=f"Session {i} about zebra{letters(i)}", started_at=f"{month}-10T10:00:00Z",
                           ended_at=f"{month}-10T11:00:00Z", branch="main")
        batch = ObservationBatch(session_id=s.id, seq=1, observations=(
            Observation(ts=f"{month}-10T10:05:00Z", kind="prompt", text=f"observed quokka{letters(i)}"),))
        files[f"sessions/{month}/{s.id}/summary.md"] = s.to_text().encode()
        files[f"sessions/{month}/{s.id}/obs-0001.yaml"] = batch.to_text().encode()
    memory_ref.write_files(gm, files, "60 sessions", parent=None)
    monkeypatch.setattr(memory_ref, "PART_FILES", 20, raising=False)   # 120 files: at least 6 parts of about 20 files
    trace = tmp_path / "trace.txt"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    update = index_file.rebuild_index(gm)
    monkeypatch.delenv("GIT_TRACE")
    reads = [c for c in git_calls(trace) if c.startswith("git cat-file --batch")]
    assert len(reads) >= 6, reads   # never the whole memory in one read
    assert update.folders == 60
    for i in (0, 31, 59):
        assert [h.session_id for h in search.search(gm, f"zebra{letters(i)}", types="session")][:1] == [f"part-{i:03d}"]
        assert [h.session_id for h in search.search(gm, f"quokka{letters(i)}", types="observation")][:1] == [f"part-{i:03d}"]


def _index_dump(repo) -> dict[str, list[tuple]]:
    """Every row of every table of the index file (FTS5's own tables included), in rowid order; not the times
    migrations ran nor the vectors' stamp (a fresh random value per build, ``vectors.STAMP_KEY``)."""
    import sqlite3

    from gitmem.index import index_file

    conn = sqlite3.connect(index_file.index_path(repo))
    try:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name != '_migrations' ORDER BY name")]
        dump = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables}
        dump["meta"] = [row for row in dump["meta"] if row[0] != "vectors_stamp"]
        return dump
    finally:
        conn.close()


def test_reindex_reads_records_in_gitmems_own_shape_fast_and_builds_the_same_index(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The subset reader (``yaml_subset``) and PyYAML build the same index from a mixed ref: records with
    multi-line, quoted, date-like, non-ASCII and NEL text, and a summary written by hand (outside the subset)."""
    from gitmem import yaml_subset
    from gitmem.index import index_file
    from gitmem.store.records import DecisionNote, Observation

    gm = discover(repo)
    init_repository(gm)
    texts = ["line one\nline two\n", "it's: quoted # here", "2026-01-01", "yes", "  leading spaces",
             "kept\n\n", "café 😀 Straße", "next\x85line", "tab\there", "- dash", "no trailing newline\nend"]
    for i, text in enumerate(texts):
        obs = [Observation(ts=f"2026-11-2{i % 9}T08:00:0{k}Z", kind="edit", tool="Edit", text=text,
                           files=(f"src/f{i}.py", text[:5] or "x"), command=f"make {text[:3]}") for k in range(3)]
        summary = SessionSummary(id=f"mixed-{i}", title=f"Session {i}: {text[:20]}", started_at=f"2026-11-2{i % 9}",
                                 learned=(text, "plain words"), decisions=(DecisionNote(title="Use X", rationale=text),),
                                 observation_count=3)
        memory_ref.write_session(gm, summary.id, summary.started_at, obs, summary)
    hand = ("---\nid: by-hand\ntitle: Written by hand\nstarted_at: 2026-11-20\nlearned: [a, b]  # flow\n"
            "tags:\n  - x\n---\nbody\n")
    memory_ref.write_files(gm, {"sessions/2026-11/by-hand/summary.md": hand.encode()}, "by hand",
                           parent=memory_ref.memory_tip(gm))
    read_fast = []
    real_load = yaml_subset.load
    monkeypatch.setattr(yaml_subset, "load", lambda text: read_fast.append(real_load(text)) or read_fast[-1])
    assert index_file.rebuild_index(gm).folders == len(texts) + 1
    fast = _index_dump(gm)
    assert sum(r is not None for r in read_fast) >= 2 * len(texts) - 4 and None in read_fast   # both readers ran
    monkeypatch.setattr(yaml_subset, "load", lambda text: None)   # PyYAML reads everything
    index_file.rebuild_index(gm)
    slow = _index_dump(gm)
    assert fast["entries"] and fast == slow
