"""The session's transcript at flush: read only from the Claude projects folder, bounded, redacted, and fed to
the summarizers (issue 17, "summaries from the whole session")."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, git
from fakes.messages_api import FakeMessagesAPI

from gitmem.app import flush
from gitmem.app.project import init_repository
from gitmem.capture import transcript
from gitmem.capture.transcript import Transcript, Turn, read_transcript
from gitmem.compress.summarize import session_lines
from gitmem.compress.turn_budget import cut_ends, fit_turns, turn_budget
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Observation
from test_flush import replay

SECRET = "sk-ant-api03-" + "A1b2C3d4E5f6G7h8" * 6


def projects(home: Path) -> Path:
    folder = home / ".claude" / "projects" / "-home-dev-payments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_jsonl(path: Path, records: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def said(role: str, text: str, ts: str = "") -> dict:
    content = text if role == "user" else [{"type": "text", "text": text}]
    return {"type": role, "timestamp": ts, "message": {"role": role, "content": content}}


# -- reading -----------------------------------------------------------------------------------------------


def test_the_real_transcript_gives_the_prompt_and_the_reply(isolated_env: Path) -> None:
    path = projects(isolated_env) / "a0ef3c6b.jsonl"
    shutil.copy(FIXTURES / "session-transcript.jsonl", path)
    read = read_transcript(str(path))
    assert [(t.role, t.text) for t in read.turns] == [
        ("user", "Split the payment service"),
        ("assistant", "Done. We decided to use the outbox pattern because the ledger must stay consistent.")]
    assert read.raw_bytes == path.stat().st_size and read.omitted == 0
    assert all(t.ts.startswith("2026-11-24T") for t in read.turns)


def test_a_path_outside_the_projects_folder_or_through_a_symlink_is_not_read(isolated_env: Path,
                                                                            tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    outside = write_jsonl(tmp_path / "elsewhere.jsonl", [said("user", "read me if you can")])
    assert read_transcript(str(outside)).turns == ()
    folder = projects(isolated_env)
    inside = write_jsonl(folder / "real.jsonl", [said("user", "the real one")])
    assert [t.text for t in read_transcript(str(inside)).turns] == ["the real one"]
    (folder / "link.jsonl").symlink_to(outside)
    assert read_transcript(str(folder / "link.jsonl")).turns == ()
    (folder.parent / "linked-folder").symlink_to(tmp_path)
    assert read_transcript(str(folder.parent / "linked-folder" / "elsewhere.jsonl")).turns == ()
    assert read_transcript(str(folder / ".." / ".." / ".." / "elsewhere.jsonl")).turns == ()
    assert read_transcript(str(folder / "real.txt")).turns == ()
    assert read_transcript("relative/real.jsonl").turns == ()
    # $CLAUDE_CONFIG_DIR names another user folder
    config = tmp_path / "claude-config"
    (config / "projects").mkdir(parents=True)
    there = write_jsonl(config / "projects" / "s.jsonl", [said("user", "here")])
    assert read_transcript(str(there)).turns == ()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    assert [t.text for t in read_transcript(str(there)).turns] == ["here"]


def test_broken_lines_and_other_records_are_skipped(isolated_env: Path) -> None:
    path = projects(isolated_env) / "bad.jsonl"
    path.write_bytes(
        b'not json\n\xff\xfe\n[1]\n{"type": "user", "message": {"content": "hello"}}\n'
        b'{"type": "user", "isSidechain": true, "message": {"content": "subagent chatter"}}\n'
        b'{"type": "user", "isCompactSummary": true, "message": {"content": "This session is being continued"}}\n'
        b'{"type": "user", "message": {"content": "<command-name>/clear</command-name>"}}\n'
        b'{"type": "user", "message": {"content": [{"type": "tool_result", "content": "tool output"}]}}\n'
        b'{"type": "assistant", "message": {"content": [{"type": "thinking", "thinking": "hmm"}, '
        b'{"type": "tool_use", "name": "Bash"}, {"type": "text", "text": "hi back"}]}}\n{"type": "user"')
    assert [(t.role, t.text) for t in read_transcript(str(path)).turns] == [("user", "hello"), ("assistant", "hi back")]
    assert read_transcript(str(projects(isolated_env) / "missing.jsonl")) == Transcript()
    assert read_transcript(None) == Transcript() and read_transcript("") == Transcript()


def test_a_huge_transcript_is_read_within_its_bounds(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcript, "MAX_TOTAL_CHARS", 5_000)
    monkeypatch.setattr(transcript, "MAX_TURN_CHARS", 1_000)
    monkeypatch.setattr(transcript, "MAX_READ_BYTES", 200_000)
    monkeypatch.setattr(transcript, "MAX_LINE_BYTES", 20_000)
    records: list[dict | str] = [said("user", "FIRST request")]
    records += [said("assistant", f"turn {i} " * 20) for i in range(2_000)]
    records.append(json.dumps(said("assistant", "a line too long " * 5_000)))
    records.append(said("assistant", "LAST answer " + "z" * 3_000))
    path = write_jsonl(projects(isolated_env) / "long.jsonl", records)
    assert path.stat().st_size > 3 * 200_000
    read = read_transcript(str(path))
    assert read.raw_bytes == path.stat().st_size and read.omitted > 0
    assert read.turns[0].text == "FIRST request" and read.turns[-1].text.startswith("LAST answer zzz")
    assert len(read.turns[-1].text) == 1_000 and read.turns[-1].text.endswith("…")
    assert sum(len(t.text) for t in read.turns) <= 5_000
    assert not any("too long" in t.text for t in read.turns)


def test_secrets_are_redacted_as_the_transcript_is_read(isolated_env: Path) -> None:
    path = write_jsonl(projects(isolated_env) / "s.jsonl", [said("assistant", f"Set ANTHROPIC_API_KEY={SECRET} first.")])
    (turn,) = read_transcript(str(path)).turns
    assert "sk-ant" not in turn.text and "[REDACTED" in turn.text


# -- fitting turns to the model's budget -----------------------------------------------------------------------


def test_turns_are_cut_to_one_common_length_keeping_head_and_tail() -> None:
    turns = [Turn("user", "short ask"), Turn("assistant", "HEAD " + "x" * 5_000 + " TAIL"),
             Turn("assistant", "middle " * 100)]
    fitted = fit_turns(turns, 2_000)
    assert sum(len(text) for _, text in fitted) <= 2_000
    assert fitted[0][1] == "short ask"
    assert fitted[1][1].startswith("HEAD") and fitted[1][1].endswith("TAIL") and " … " in fitted[1][1]
    assert [t for t, _ in fitted] == turns
    assert cut_ends("a b\nc", 100) == "a b c"
    assert turn_budget(100_000, 500) == 8_000 and turn_budget(1_000, 500) == 500


def test_model_lines_take_the_turns_in_place_of_the_hooks_copies_in_time_order() -> None:
    obs = (Observation(ts="2026-01-01T00:00:01.000Z", kind="prompt", text="clipped prompt…", event_id="p"),
           Observation(ts="2026-01-01T00:00:03.000Z", kind="edit", tool="Edit", files=("a.py",), outcome="ok",
                       event_id="e"),
           Observation(ts="2026-01-01T00:00:09.000Z", kind="stop", text="clipped reply…", event_id="s"))
    turns = (Turn("user", "the whole prompt, with its rule: never retry a charge", "2026-01-01T00:00:00.500Z"),
             Turn("assistant", "Reading a.py first.", "2026-01-01T00:00:02.000Z"),
             Turn("assistant", "Done: a.py keeps one idempotency key per charge.", "2026-01-01T00:00:08.000Z"))
    lines = session_lines(obs, "clipped final…", turns=turns, raw_bytes=100_000)
    assert lines == ["user: the whole prompt, with its rule: never retry a charge", "assistant: Reading a.py first.",
                     "Edit a.py", "assistant: Done: a.py keeps one idempotency key per charge."]
    assert not any("clipped" in line for line in session_lines(obs, "clipped final…", turns=turns))
    assert any("clipped" in line for line in session_lines(obs, "clipped final…"))  # no transcript: as before


# -- at flush ------------------------------------------------------------------------------------------------


FILLER = " ".join(f"Step {i} looked at the module layout and the call sites of the charge path." for i in range(40))
MID_DECISION = "We decided to use advisory locks instead of a Redis mutex because the lock must die with the connection."


def session_with_transcript(root: Path, home: Path, secret: str = "", prompt: str = "Split the payment service") -> str:
    """A fixture session whose transcript states a decision in the middle of a long earlier reply (the hooks'
    Stop copy keeps only that reply's head and tail) and, when given, a secret in a reply."""
    sid = "tr-" + os.urandom(4).hex()
    path = projects(home) / f"{sid}.jsonl"
    write_jsonl(path, [
        said("user", "Make the charge job safe to run twice", "2026-11-24T00:04:46.000Z"),
        said("assistant", f"{FILLER} {MID_DECISION} {FILLER}", "2026-11-24T00:04:47.000Z"),
        said("assistant", f"Configured the client with {secret} for the test run." if secret else "All set.",
             "2026-11-24T00:04:48.000Z"),
        said("assistant", "Done. The job takes the lock before it charges.", "2026-11-24T00:04:49.000Z")])
    events = [{**e, "transcript_path": str(path)} for e in json.loads(json.dumps(_FIXTURE))]
    for e in events:
        if e["hook_event_name"] == "UserPromptSubmit":
            e["prompt"] = prompt
        if e["hook_event_name"] == "Stop":
            e["last_assistant_message"] = "Done. The job takes the lock before it charges."
    replay(root, sid, events=events)
    return sid


_FIXTURE = [json.loads(line) for line in (FIXTURES / "session-hooks.jsonl").read_text().splitlines()]


@pytest.fixture
def initialized(repo: Path) -> Path:
    init_repository(discover(repo))
    return repo


def test_a_decision_stated_mid_reply_reaches_the_offline_summary(initialized: Path, isolated_env: Path) -> None:
    sid = session_with_transcript(initialized, isolated_env)
    repo = discover(initialized)
    assert not flush.flush_now(repo.common_dir).errors
    summary = memory_ref.find_session(repo, sid).summary
    assert summary is not None and summary.summarizer == "offline"
    assert any("advisory locks" in d.title and "die with the connection" in d.rationale for d in summary.decisions)


def test_a_secret_in_an_assistant_reply_never_reaches_the_request_or_the_ref(initialized: Path, isolated_env: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("anthropic")
    sid = session_with_transcript(initialized, isolated_env, secret=SECRET)
    repo = discover(initialized)
    with FakeMessagesAPI() as api:
        for name, value in {**api.env(), "GITMEM_SUMMARIZER": "anthropic"}.items():
            monkeypatch.setenv(name, value)
        assert not flush.flush_now(repo.common_dir).errors
    (request,) = api.requests
    sent = request.body["messages"][0]["content"]
    assert "Configured the client with [REDACTED" in sent and MID_DECISION in sent  # the turns were sent, redacted
    assert SECRET[:16] not in json.dumps(request.body)
    assert memory_ref.find_session(repo, sid).summary.summarizer == "anthropic"
    # offline too, into the ref: the sentence is kept, the secret is not
    monkeypatch.setenv("GITMEM_SUMMARIZER", "offline")
    sid2 = session_with_transcript(initialized, isolated_env, secret=SECRET, prompt="Rotate the ledger keys")
    assert not flush.flush_now(repo.common_dir).errors
    assert memory_ref.find_session(repo, sid2).summary is not None
    dump = git(initialized, "log", "-p", "refs/notes/gitmem")
    assert SECRET[:16] not in dump and "sk-ant-api03" not in dump


def test_a_transcript_that_cannot_be_read_never_fails_the_flush(initialized: Path, isolated_env: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(text: str) -> object:
        raise RuntimeError("redaction is broken")

    sid = session_with_transcript(initialized, isolated_env)
    monkeypatch.setattr(transcript, "clip", lambda *a, **k: broken(""))
    repo = discover(initialized)
    assert not flush.flush_now(repo.common_dir).errors
    summary = memory_ref.find_session(repo, sid).summary
    assert summary is not None and not any("advisory" in d.title for d in summary.decisions)
