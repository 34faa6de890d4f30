"""The flush worker: spool -> ref, exactly once, one worker per repository, no leftovers."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, git

import gitmem
from gitmem.app import flush
from gitmem.app.project import init_repository
from gitmem.capture import spool
from gitmem.git import discover
from gitmem.store import memory_ref

LAUNCHER = Path(gitmem.__file__).parent / "_hook.py"
FIXTURE_EVENTS = [json.loads(line) for line in (FIXTURES / "session-hooks.jsonl").read_text().splitlines()]
SID = FIXTURE_EVENTS[0]["session_id"]


@pytest.fixture
def initialized(repo: Path) -> Path:
    init_repository(discover(repo))
    return repo


def hook(cwd: Path, event: str, payload: dict | bytes, worker: bool = False) -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    env = {**os.environ}
    if not worker:
        env["GITMEM_NO_WORKER"] = "1"
    proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), event], cwd=cwd, input=raw,
                          capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"" or event == "SessionStart", proc.stdout  # only SessionStart prints (the brief)


def with_cwd(payload: dict, root: Path, sid: str | None = None) -> dict:
    """The fixture payload as if recorded in ``root`` (the fixture was captured in /home/dev/payments)."""
    text = json.dumps(payload).replace("/home/dev/payments", str(root))
    data = json.loads(text)
    if sid:
        data["session_id"] = sid
    return data


def replay(root: Path, sid: str | None = None, worker: bool = False, events=FIXTURE_EVENTS) -> None:
    for payload in events:
        hook(root, payload["hook_event_name"], with_cwd(payload, root, sid), worker=worker)


def flush_processes(common: Path) -> list[int]:
    """PIDs of flush workers for this repository, read from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if cmd[2:5] == [b"-m", b"gitmem.workers", b"flush"] and str(common).encode() in b" ".join(cmd) and state != "Z":
            pids.append(int(entry.name))
    return pids


def wait_until(predicate, timeout: float = 60.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def test_replayed_fixture_session_lands_in_the_ref(initialized: Path) -> None:
    replay(initialized)
    repo = discover(initialized)
    status_before = git(initialized, "status", "--porcelain")
    report = flush.flush_now(repo.common_dir)
    assert report.ran and not report.errors
    rec = memory_ref.find_session(repo, SID)
    kinds = [o.kind for o in rec.observations]
    assert "prompt" in kinds and "edit" in kinds and "write" in kinds and "command" in kinds
    assert rec.summary is not None
    assert rec.summary.request == "Split the payment service"
    assert "app.py" in rec.summary.files_modified
    assert rec.summary.observation_count == len(rec.observations)
    assert rec.summary.author.startswith("Test Author")
    assert rec.summary.branch == "main"
    # the spool is empty once the records are in the ref, and nothing of the user's changed
    folder = spool.spool_dir(repo.common_dir)
    assert not list(folder.glob("*.jsonl")) and not list(folder.glob("*.taken"))
    assert git(initialized, "status", "--porcelain") == status_before
    assert spool.read_flush_status(repo.common_dir)["outcome"] == "ok"


def test_raw_tool_output_never_reaches_the_ref(initialized: Path) -> None:
    marker = "UNIQUE-OUTPUT-LINE-" + "q" * 20
    events = [
        {"session_id": "out-1", "hook_event_name": "UserPromptSubmit", "prompt": "show the file", "cwd": str(initialized)},
        {"session_id": "out-1", "hook_event_name": "PostToolUse", "tool_name": "Read", "cwd": str(initialized),
         "tool_input": {"file_path": str(initialized / "README.md")}, "tool_use_id": "t1",
         "tool_response": {"type": "text", "file": {"filePath": str(initialized / "README.md"),
                                                    "content": marker * 100, "numLines": 1}}},
        {"session_id": "out-1", "hook_event_name": "Stop", "cwd": str(initialized)},
    ]
    replay(initialized, events=events)
    repo = discover(initialized)
    flush.flush_now(repo.common_dir)
    dump = git(initialized, "log", "-p", "refs/notes/gitmem")
    assert "README.md" in dump
    assert marker not in dump


def test_resumed_session_appends_and_updates_its_summary(initialized: Path) -> None:
    repo = discover(initialized)
    first, second = FIXTURE_EVENTS[:8], FIXTURE_EVENTS[8:]
    replay(initialized, events=first)
    flush.flush_now(repo.common_dir)
    before = memory_ref.find_session(repo, SID)
    resume = dict(FIXTURE_EVENTS[0], source="resume")
    replay(initialized, events=[resume] + second)
    flush.flush_now(repo.common_dir)
    after = memory_ref.find_session(repo, SID)
    assert after.path == before.path
    assert [b.seq for b in after.batches] == [1, 2]
    assert len(after.observations) > len(before.observations)
    assert after.summary.observation_count == len(after.observations)
    assert after.summary.started_at == before.summary.started_at
    assert len(memory_ref.read_memory(repo).sessions) == 1


def test_worker_started_by_the_hook_flushes_and_exits(initialized: Path) -> None:
    repo = discover(initialized)
    replay(initialized, worker=True)
    assert wait_until(lambda: memory_ref.memory_tip(repo) is not None and not flush_processes(repo.common_dir), 60)
    assert wait_until(lambda: not spool.requests(spool.spool_dir(repo.common_dir))
                      and memory_ref.find_session(repo, SID).summary is not None, 60)
    assert not flush_processes(repo.common_dir)


def _event_ids(repo) -> list[tuple[str, str]]:
    return [(s.session_id, o.event_id) for s in memory_ref.read_memory(repo).sessions for o in s.observations]


def test_sigkill_at_random_points_loses_and_duplicates_nothing(initialized: Path) -> None:
    repo = discover(initialized)
    rng = random.Random(1234)
    sessions = [f"kill-{i}" for i in range(6)]
    for sid in sessions:
        replay(initialized, sid=sid)
    expected = None
    for attempt in range(8):
        proc = subprocess.Popen([sys.executable, "-I", "-m", "gitmem.workers", "flush", "--common-dir",
                                 str(repo.common_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.0, 0.6))
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    # a last, undisturbed run finishes the work
    (spool.spool_dir(repo.common_dir) / (spool.SWEEP + spool.REQUEST_SUFFIX)).touch()
    report = flush.run_worker(repo.common_dir)
    assert not report.errors
    ids = _event_ids(repo)
    assert len(ids) == len(set(ids)), "an event was written twice"
    memory = memory_ref.read_memory(repo)
    assert sorted(s.session_id for s in memory.sessions) == sorted(sessions)
    # the same session replayed into a fresh repository gives the reference observation count
    per_session = {s.session_id: len(s.observations) for s in memory.sessions}
    expected = per_session[sessions[0]]
    assert expected > 0 and set(per_session.values()) == {expected}
    assert not list(spool.spool_dir(repo.common_dir).glob("*.taken"))


def test_fifty_sessions_ending_at_once_leave_one_worker_then_none(initialized: Path) -> None:
    repo = discover(initialized)
    n = 50
    for i in range(n):
        hook(initialized, "UserPromptSubmit", {"session_id": f"many-{i}", "prompt": f"task {i}",
                                               "cwd": str(initialized)})
    procs = [subprocess.Popen([sys.executable, "-I", "-S", str(LAUNCHER), "Stop"], cwd=initialized,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(n)]
    for i, p in enumerate(procs):
        out, _ = p.communicate(json.dumps({"session_id": f"many-{i}", "hook_event_name": "Stop"}).encode(), timeout=60)
        assert p.returncode == 0 and out == b""
    peak = 0

    def done() -> bool:
        nonlocal peak
        running = flush_processes(repo.common_dir)
        peak = max(peak, len(running))
        return not running and not spool.requests(spool.spool_dir(repo.common_dir))

    assert wait_until(done, timeout=120, step=0.02)
    assert len(memory_ref.read_memory(repo).sessions) == n
    assert not flush_processes(repo.common_dir)
    # Only the hook that wins the flush lock starts a worker and hands it the lock. A second process can
    # exist only briefly: a worker that released the lock and is exiting while a later Stop starts the next.
    assert peak <= 2, peak


def test_crashed_session_is_flushed_at_the_next_session_start(initialized: Path) -> None:
    repo = discover(initialized)
    crashed = [e for e in FIXTURE_EVENTS if e["hook_event_name"] not in ("Stop", "SessionEnd")]
    replay(initialized, sid="crashed-1", events=crashed)
    assert memory_ref.memory_tip(repo) is None
    live = spool.spool_dir(repo.common_dir) / "crashed-1.jsonl"
    old = time.time() - flush.SWEEP_IDLE_SECONDS - 5
    os.utime(live, (old, old))  # the client died a while ago
    hook(initialized, "SessionStart", {"session_id": "next-1", "hook_event_name": "SessionStart",
                                       "source": "startup", "cwd": str(initialized)}, worker=True)
    assert wait_until(lambda: memory_ref.memory_tip(repo) is not None and not flush_processes(repo.common_dir), 60)
    assert wait_until(lambda: any(s.session_id == "crashed-1" for s in memory_ref.read_memory(repo).sessions), 30)


def test_unparseable_lines_are_kept_aside_not_lost(initialized: Path) -> None:
    repo = discover(initialized)
    hook(initialized, "UserPromptSubmit", {"session_id": "mixed", "prompt": "hello", "cwd": str(initialized)})
    hook(initialized, "PostToolUse", b'{"session_id":"mixed","tool_name":"Bash","tool_input":{')
    report = flush.flush_now(repo.common_dir)
    assert report.sessions[0].bad_lines == 1
    bad = list(spool.spool_dir(repo.common_dir).glob("mixed.*.bad"))
    assert len(bad) == 1 and b'"tool_input":{' in bad[0].read_bytes()
    assert memory_ref.find_session(repo, "mixed").summary.request == "hello"


def test_worker_in_a_linked_worktree_uses_that_checkout(initialized: Path, tmp_path: Path) -> None:
    wt = tmp_path / "wt"
    git(initialized, "worktree", "add", "-q", str(wt), "-b", "feature/wt")
    events = [{"session_id": "wt-1", "hook_event_name": "UserPromptSubmit", "prompt": "work in the worktree",
               "cwd": str(wt)},
              {"session_id": "wt-1", "hook_event_name": "PostToolUse", "tool_name": "Edit", "tool_use_id": "e1",
               "cwd": str(wt), "tool_input": {"file_path": str(wt / "README.md"), "old_string": "a",
                                              "new_string": "b"}, "tool_response": {}},
              {"session_id": "wt-1", "hook_event_name": "Stop", "cwd": str(wt)}]
    replay(wt, events=events)
    repo = discover(wt)
    flush.flush_now(repo.common_dir)
    rec = memory_ref.find_session(discover(initialized), "wt-1")
    assert rec.summary.branch == "feature/wt"
    assert rec.summary.files_modified == ("README.md",)


def test_session_start_sweep_leaves_running_sessions_alone(initialized: Path) -> None:
    repo = discover(initialized)
    hook(initialized, "UserPromptSubmit", {"session_id": "running-1", "prompt": "still working", "cwd": str(initialized)})
    (spool.spool_dir(repo.common_dir) / (spool.SWEEP + spool.REQUEST_SUFFIX)).touch()
    report = flush.run_worker(repo.common_dir)
    assert report.ran and not report.sessions
    assert (spool.spool_dir(repo.common_dir) / "running-1.jsonl").exists()


def test_a_session_with_nothing_asked_or_done_leaves_no_record(initialized: Path) -> None:
    repo = discover(initialized)
    for event in ("SessionStart", "SessionEnd"):
        hook(initialized, event, {"session_id": "empty-1", "hook_event_name": event, "cwd": str(initialized)})
    flush.flush_now(repo.common_dir)
    assert memory_ref.memory_tip(repo) is None
    assert not list(spool.spool_dir(repo.common_dir).glob("empty-1*"))


def test_commits_made_in_the_first_turn_are_the_sessions(initialized: Path) -> None:
    """HEAD is recorded at SessionStart by the hook, not read at the first flush after the commit (issue 14/7)."""
    sid = "first-turn-commit"
    start = git(initialized, "rev-parse", "HEAD").strip()
    hook(initialized, "SessionStart", {"session_id": sid, "hook_event_name": "SessionStart", "source": "startup",
                                       "cwd": str(initialized)})
    hook(initialized, "UserPromptSubmit", {"session_id": sid, "hook_event_name": "UserPromptSubmit",
                                           "prompt": "Fix the typo and commit", "cwd": str(initialized)})
    (initialized / "README.md").write_text("fixed\n")
    git(initialized, "commit", "-q", "-am", "Fix the typo")
    made = git(initialized, "rev-parse", "HEAD").strip()
    hook(initialized, "Stop", {"session_id": sid, "hook_event_name": "Stop", "cwd": str(initialized),
                               "last_assistant_message": "Committed."})
    flush.flush_now(discover(initialized).common_dir)

    summary = memory_ref.find_session(discover(initialized), sid).summary
    assert (summary.head_start, summary.head_end) == (start, made)
    assert summary.commits == (made,)


def test_links_to_dev_zero_are_refused_by_name_and_lose_nothing(initialized: Path) -> None:
    """Issue 15 item 1: a decision file -> /dev/zero, or the config -> /dev/zero, made the flush read until the
    machine ran out of memory."""
    repo = discover(initialized)
    decisions_dir = initialized / ".gitmem" / "decisions"
    (decisions_dir / "2026-11-24-zero.md").symlink_to("/dev/zero")
    replay(initialized)
    report = flush.flush_now(repo.common_dir)
    assert report.ran and not report.errors
    assert memory_ref.find_session(repo, SID).summary is not None
    proposed = [p for p in decisions_dir.glob("*.md") if not p.is_symlink()]
    assert proposed and all(p.is_file() for p in proposed)   # the session's decision, beside the refused link

    config = initialized / ".gitmem" / "config.yaml"
    kept = config.read_text()
    config.unlink()
    config.symlink_to("/dev/zero")
    hook(initialized, "UserPromptSubmit", {"session_id": "later", "prompt": "hello", "cwd": str(initialized)})
    report = flush.flush_now(repo.common_dir)
    assert report.errors and all(".gitmem/config.yaml: refused: it is a symbolic link to /dev/zero" in e
                                 for e in report.errors)
    assert list(spool.spool_dir(repo.common_dir).glob("later.*"))   # kept for the next flush
    config.unlink()
    config.write_text(kept)
    assert not flush.flush_now(repo.common_dir).errors
    assert memory_ref.find_session(repo, "later").summary.request == "hello"


@pytest.mark.timeout(120)
def test_a_trickling_summarizer_cannot_hold_the_flush_past_its_deadline(initialized: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 10: a server sending 1 byte every 0.3 s never trips a per-read timeout; the flush obeys one
    overall deadline, falls back to the offline summary and releases flush.lock."""
    from fakes.messages_api import FakeMessagesAPI, Reply, good

    pytest.importorskip("anthropic")  # imported here, so the short deadline is spent on the request alone
    replay(initialized)
    repo = discover(initialized)
    with FakeMessagesAPI(default=Reply(200, good().body, trickle=0.3)) as api:
        for name, value in {**api.env(), "GITMEM_SUMMARIZER": "anthropic",
                            "GITMEM_SUMMARIZER_TIMEOUT_SECONDS": "2"}.items():
            monkeypatch.setenv(name, value)
        report = flush.flush_now(repo.common_dir)
        assert len(api.requests) == 1  # the model was asked, and its answer never finished in time
    assert not report.errors and [s.session_id for s in report.sessions] == [SID]
    summary = memory_ref.find_session(repo, SID).summary
    assert summary is not None and summary.summarizer == "offline"
    assert "anthropic: no answer within 2s" in summary.fallback_reason
    assert summary.request == "Split the payment service"
    assert not spool.worker_running(repo.common_dir)  # flush.lock is free again


# -- which repository a session's events belong to (issue 15 item 7) ------------------------------


def turn(sid: str, cwd: Path, prompt: str, edited: str) -> list[dict]:
    return [{"session_id": sid, "hook_event_name": "UserPromptSubmit", "prompt": prompt, "cwd": str(cwd)},
            {"session_id": sid, "hook_event_name": "PostToolUse", "tool_name": "Edit", "tool_use_id": f"e-{edited}",
             "cwd": str(cwd), "tool_input": {"file_path": str(cwd / edited), "old_string": "a", "new_string": "b"},
             "tool_response": {}},
            {"session_id": sid, "hook_event_name": "Stop", "cwd": str(cwd),
             "last_assistant_message": f"Done with {edited}."}]


def prompts_in(root: Path, sid: str) -> list[str]:
    try:
        rec = memory_ref.find_session(discover(root), sid)
    except Exception:  # noqa: BLE001 - no session, no prompts
        return []
    return [o.text for o in rec.observations if o.kind == "prompt"]


@pytest.fixture
def nested(initialized: Path) -> Path:
    """A clone nested inside ``initialized`` (its own .git), with gitmem set up."""
    inner = initialized / "vendor" / "inner"
    git(initialized, "clone", "-q", str(initialized), str(inner))
    init_repository(discover(inner))
    return inner


def hook_in_project(project: Path, event: str, payload: dict) -> None:
    """The hook as Claude Code runs it: in the project folder, CLAUDE_PROJECT_DIR set, the event's own cwd."""
    env = {**os.environ, "GITMEM_NO_WORKER": "1", "CLAUDE_PROJECT_DIR": str(project)}
    proc = subprocess.run([sys.executable, "-I", "-S", str(LAUNCHER), event], cwd=project,
                          input=json.dumps(payload).encode(), capture_output=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_a_second_turn_in_a_nested_clone_is_recorded_there_and_only_there(initialized: Path, nested: Path) -> None:
    for payload in turn("nest-1", initialized, "Outer work on the outer README", "README.md") + \
            turn("nest-1", nested, "Inner work on the nested clone", "README.md"):
        hook_in_project(initialized, payload["hook_event_name"], payload)
    flush.flush_now(discover(initialized).common_dir)
    flush.flush_now(discover(nested).common_dir)
    assert prompts_in(initialized, "nest-1") == ["Outer work on the outer README"]
    assert prompts_in(nested, "nest-1") == ["Inner work on the nested clone"]


def test_the_flush_moves_events_of_another_repository_to_its_spool(initialized: Path, nested: Path) -> None:
    """Lines already in the wrong spool (an older hook, a copied spool) go where they happened, not into this ref."""
    outer, inner = discover(initialized), discover(nested)
    folder = spool.spool_dir(outer.common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"ts": 1764000000.0 + n, "event": p["hook_event_name"], "payload": p})
             for n, p in enumerate(turn("mv-1", nested, "Inner first", "README.md")
                                   + turn("mv-1", initialized, "Outer second", "README.md"))]
    (folder / "mv-1.jsonl").write_text("\n".join(lines) + "\n")
    flush.flush_now(outer.common_dir)
    assert prompts_in(initialized, "mv-1") == ["Outer second"]
    assert prompts_in(nested, "mv-1") == []  # queued in its own spool, flushed by its own worker
    assert (spool.spool_dir(inner.common_dir) / "mv-1.jsonl").exists()
    flush.flush_now(inner.common_dir)
    assert prompts_in(nested, "mv-1") == ["Inner first"]
    assert prompts_in(initialized, "mv-1") == ["Outer second"]


def test_events_of_a_repository_without_gitmem_are_dropped_with_a_log_line(initialized: Path, tmp_path: Path,
                                                                            caplog: pytest.LogCaptureFixture) -> None:
    plain = initialized / "plain"
    git(initialized, "clone", "-q", str(initialized), str(plain))
    folder = spool.spool_dir(discover(initialized).common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"ts": 1764000000.0 + n, "event": p["hook_event_name"], "payload": p})
             for n, p in enumerate(turn("drop-1", initialized, "Kept here", "README.md")
                                   + turn("drop-1", plain, "Not gitmem's business", "README.md"))]
    (folder / "drop-1.jsonl").write_text("\n".join(lines) + "\n")
    with caplog.at_level("WARNING", logger="gitmem.app.flush"):
        flush.flush_now(discover(initialized).common_dir)
    assert prompts_in(initialized, "drop-1") == ["Kept here"]
    assert "dropped 3 events of session drop-1" in caplog.text and str(plain) in caplog.text
    assert not (plain / ".git" / "gitmem").exists()


def test_a_copy_made_with_cp_a_flushes_into_itself_not_into_the_original(initialized: Path, tmp_path: Path) -> None:
    for payload in turn("orig-1", initialized, "Work in the original", "README.md"):
        hook(initialized, payload["hook_event_name"], payload)  # spooled, not flushed yet
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(initialized), str(copy)], check=True)
    for payload in turn("copy-1", copy, "Work in the copy", "README.md"):
        hook(copy, payload["hook_event_name"], payload)
    original_tip = memory_ref.memory_tip(discover(initialized))
    flush.flush_now(discover(copy).common_dir)
    assert memory_ref.memory_tip(discover(initialized)) == original_tip  # the copy's flush never wrote the original
    assert prompts_in(copy, "copy-1") == ["Work in the copy"]
    assert prompts_in(copy, "orig-1") == []
    flush.flush_now(discover(initialized).common_dir)
    assert prompts_in(initialized, "orig-1") == ["Work in the original"]
    assert prompts_in(initialized, "copy-1") == []


# -- smaller faults of the flush path (issue 15 item 12) ---------------------------------------------


def test_a_torn_spool_line_does_not_swallow_the_next_event(initialized: Path) -> None:
    repo = discover(initialized)
    folder = spool.spool_dir(repo.common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    first = json.dumps({"ts": 1764000000.0, "event": "UserPromptSubmit",
                        "payload": {"session_id": "torn-1", "prompt": "first prompt", "cwd": str(initialized)}})
    second = json.dumps({"ts": 1764000001.0, "event": "UserPromptSubmit",
                         "payload": {"session_id": "torn-1", "prompt": "second prompt", "cwd": str(initialized)}})
    # a writer killed mid-line by an older hook, then the next event appended right after it
    (folder / "torn-1.jsonl").write_text(first + "\n" + first[:40] + second + "\n")
    report = flush.flush_now(repo.common_dir)
    assert report.sessions[0].bad_lines == 1
    assert prompts_in(initialized, "torn-1") == ["first prompt", "second prompt"]


def test_a_worker_killed_after_its_ref_write_still_gets_the_proposals_written(initialized: Path) -> None:
    replay(initialized)
    repo = discover(initialized)
    folder = spool.spool_dir(repo.common_dir)
    saved = {p.name: p.read_bytes() for p in folder.glob("*.jsonl")}
    flush.flush_now(repo.common_dir)
    decisions_dir = initialized / ".gitmem" / "decisions"
    proposed = sorted(p.name for p in decisions_dir.glob("*.md"))
    assert proposed  # the fixture session decides to use the outbox pattern
    # The state a SIGKILL right after the ref write left: records in the ref, spool not released, no proposals.
    for name in proposed:
        (decisions_dir / name).unlink()
    for ledger in (repo.common_dir / "gitmem").glob("*proposed*"):
        ledger.unlink()
    for name, data in saved.items():
        (folder / name).write_bytes(data)
    report = flush.flush_now(repo.common_dir)
    assert not report.errors
    assert sorted(p.name for p in decisions_dir.glob("*.md")) == proposed
    assert not list(folder.glob("*.jsonl")) and not list(folder.glob("*.taken"))


def test_a_session_past_the_event_cap_is_flushed_in_rounds_without_loss(initialized: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    replay(initialized, sid="whole-1")
    replay(initialized, sid="capped-1")
    repo = discover(initialized)
    folder = spool.spool_dir(repo.common_dir)
    whole = (folder / "whole-1.jsonl").read_bytes()
    (folder / "whole-1.jsonl").unlink()
    monkeypatch.setattr(flush, "MAX_SESSION_EVENTS", 4)
    flush.flush_now(repo.common_dir)  # capped-1 alone, with the cap
    (folder / "whole-1.jsonl").write_bytes(whole)
    monkeypatch.setattr(flush, "MAX_SESSION_EVENTS", 1_000_000)
    flush.flush_now(repo.common_dir)
    capped, uncapped = memory_ref.find_session(repo, "capped-1"), memory_ref.find_session(repo, "whole-1")
    assert len(capped.observations) == len(uncapped.observations)
    assert len(capped.batches) > 1  # written in several rounds


def test_a_full_state_folder_is_a_clean_error_without_a_tmp_file(initialized: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run

    replay(initialized)
    repo = discover(initialized)
    state = repo.common_dir / "gitmem"
    # The status file's temporary file writes to the kernel's always-full device (the file itself is real,
    # so what is left behind shows).
    import tempfile

    real_mkstemp = tempfile.mkstemp

    def full_mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        if spool.FLUSH_STATUS_FILE in name:
            full = os.open("/dev/full", os.O_WRONLY)
            os.dup2(full, fd)
            os.close(full)
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", full_mkstemp)
    monkeypatch.chdir(initialized)
    code, _out, err = run(capsys, "flush")
    assert code == 1, err  # an error gitmem explains, not an unexpected one (3)
    assert "No space left on device" in err and "free space" in err
    assert not [p.name for p in state.rglob("*.tmp")] and not [p.name for p in state.rglob(".*.tmp")]
    assert memory_ref.find_session(repo, SID).summary is not None  # the records made it; only the status did not


def test_worker_memory_follows_the_events_kept_not_the_spool_size(initialized: Path) -> None:
    """Issue 15 item 12: the worker read a whole spool file at once and split it (peak RSS ~2-2.6x the spool)."""
    repo = discover(initialized)
    folder = spool.spool_dir(repo.common_dir)
    folder.mkdir(parents=True, exist_ok=True)
    output = "x" * (1 << 20)
    with (folder / "big-1.jsonl").open("w") as fh:
        fh.write(json.dumps({"ts": 1764000000.0, "event": "UserPromptSubmit",
                             "payload": {"session_id": "big-1", "prompt": "run the tests", "cwd": str(initialized)}}))
        fh.write("\n")
        for n in range(60):
            payload = {"session_id": "big-1", "hook_event_name": "PostToolUse", "tool_name": "Bash",
                       "tool_use_id": f"t{n}", "cwd": str(initialized), "tool_input": {"command": f"make test {n}"},
                       "tool_response": {"stdout": output, "stderr": "", "interrupted": False}}
            fh.write(json.dumps({"ts": 1764000001.0 + n, "event": "PostToolUse", "payload": payload}) + "\n")
    size = (folder / "big-1.jsonl").stat().st_size
    probe = ("import resource, sys\nfrom pathlib import Path\nfrom gitmem.app import flush\n"
             "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "report = flush.flush_now(Path(sys.argv[1]))\n"
             "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "print(before * 1024, after * 1024, len(report.sessions), len(report.errors))\n")
    proc = subprocess.run([sys.executable, "-c", probe, str(repo.common_dir)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    before, after, sessions, errors = (int(x) for x in proc.stdout.split())
    assert sessions == 1 and errors == 0
    assert after - before < size // 2, f"the worker grew by {(after - before) / size:.2f}x the spool's size"
    assert len([o for o in memory_ref.find_session(repo, "big-1").observations if o.kind == "command"]) == 60


def test_flush_reports_progress_per_session(initialized: Path) -> None:
    replay(initialized, sid="progress-one")
    replay(initialized, sid="progress-two")
    seen: list[tuple[str, int, int]] = []
    report = flush.flush_now(discover(initialized).common_dir, progress=lambda *step: seen.append(step))
    assert report.ran and not report.errors and len(report.sessions) == 2
    assert seen == [("flushing sessions", 0, 2), ("flushing sessions", 1, 2), ("flushing sessions", 2, 2)]


def test_flush_draws_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    from conftest import make_repo
    from terminal import gitmem_on

    for args, tty, bar in [((), True, True), (("--quiet",), True, False), ((), False, False)]:
        root = make_repo(tmp_path / f"{'-'.join(args) or 'plain'}-{tty}")
        init_repository(discover(root))
        replay(root, sid="bar-one")
        replay(root, sid="bar-two")
        code, err, out = gitmem_on(root, "flush", *args, tty=tty)
        assert code == 0, err
        assert (b"flushing sessions" in err and b"2/2" in err) == bar, (args, tty, err)
        assert not err or tty
        assert {"bar-one", "bar-two"} == {r.session_id for r in memory_ref.read_memory(discover(root)).sessions}
