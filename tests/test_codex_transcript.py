"""Codex's transcript at flush (agents/codex_transcript.py): the user's words, the assistant's whole replies and the
shell exit codes its hooks do not carry, read only from Codex's sessions folder, bounded and redacted. Checked on
the transcript the real codex 0.171.0 wrote (tests/data/codex/rollout.jsonl); tests/test_e2e_codex.py runs the
real client through it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_repo
from test_codex_install import codex_home  # noqa: F401  (a fixture: CODEX_HOME in tmp_path)
from test_flush import hook

from gitmem.agents.codex_transcript import read_codex_transcript
from gitmem.app import flush
from gitmem.app.project import init_repository
from gitmem.capture import transcript
from gitmem.capture.transcript import ExitCode, Transcript
from gitmem.git import discover
from gitmem.store import memory_ref

DATA = Path(__file__).parent / "data" / "codex"
PLACEHOLDER = "00000000-0000-0000-0000-000000000001"
REAL_ID = "019a23c7-6a5b-7010-afe4-9b406d2779ef"   # a session id as Codex makes them (UUIDv7)
SECRET = "sk-ant-api03-" + "A1b2C3d4E5f6G7h8" * 6
MID_DECISION = "We decided to keep the ledger append-only instead of updating rows because audits replay it."


def rollout_path(home: Path, sid: str = REAL_ID) -> Path:
    folder = home / "sessions" / "2026" / "12" / "03"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"rollout-2026-12-03T15-13-08-{sid}.jsonl"


def recorded(sid: str = REAL_ID, cwd: str = "/work/repo") -> list[dict]:
    text = (DATA / "rollout.jsonl").read_text().replace(PLACEHOLDER, sid).replace("/work/repo", cwd)
    return [json.loads(line) for line in text.splitlines()]


def write(path: Path, records: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return path


def agent_says(text: str, ts: str = "2026-12-03T15:13:09.100Z") -> dict:
    return {"timestamp": ts, "type": "event_msg", "payload": {"type": "item_completed", "item": {
        "type": "AgentMessage", "id": "msg_x", "content": [{"type": "Text", "text": text}]}}}


def failed(records: list[dict], call_id: str, code: int) -> list[dict]:
    """``records`` with the command ``call_id`` exiting ``code``, as Codex records a failure."""
    out = json.loads(json.dumps(records))
    for r in out:
        p = r["payload"]
        if p.get("type") == "item_completed" and p["item"].get("id") == call_id:
            p["item"]["exit_code"] = code
        if p.get("type") == "function_call_output" and p.get("call_id") == call_id:
            p["output"] = p["output"].replace("exited with code 0", f"exited with code {code}")
    return out


# -- reading -----------------------------------------------------------------------------------------------------


def test_the_real_transcript_gives_the_words_the_replies_and_the_exit_codes(codex_home: Path) -> None:
    read = read_codex_transcript(str(write(rollout_path(codex_home), recorded())))
    assert [(t.role, t.text) for t in read.turns] == [
        ("user", "REC-READ read the app"), ("assistant", "Done. app.py returns 1."),
        ("user", "REC-AGAIN show the status"), ("assistant", "Done again.")]
    assert all(t.ts.startswith("2026-12-03T15:13:") for t in read.turns)
    # the model's input is not what anyone said: Codex's instructions, the environment, the SessionStart brief
    said = " ".join(t.text for t in read.turns)
    assert "environment_context" not in said and "RECORDED-SESSIONSTART-CONTEXT" not in said
    assert read.exit_codes == (ExitCode("call_scripted_000001", 0), ExitCode("call_scripted_000005", 0))
    assert read.raw_bytes == rollout_path(codex_home).stat().st_size


def test_every_reply_is_read_whole_and_a_failed_command_keeps_its_exit_code(codex_home: Path) -> None:
    records = failed(recorded(), "call_scripted_000005", 3)
    records.insert(10, agent_says(MID_DECISION))
    read = read_codex_transcript(str(write(rollout_path(codex_home), records)))
    assert ("assistant", MID_DECISION) in [(t.role, t.text) for t in read.turns]
    assert read.exit_code_by_call() == {"call_scripted_000001": 0, "call_scripted_000005": 3}
    # where there is no CommandExecution item, the tool output's own line says it
    only_output = [r for r in records if r["payload"].get("item", {}).get("type") != "CommandExecution"]
    path = write(rollout_path(codex_home, "019a23c7-0000-7000-8000-000000000002"), only_output)
    assert read_codex_transcript(str(path)).exit_code_by_call() == {"call_scripted_000001": 0,
                                                                    "call_scripted_000005": 3}


def test_earlier_codex_versions_messages_are_read_and_a_turn_in_both_forms_is_kept_once(codex_home: Path) -> None:
    legacy = [{"timestamp": "t1", "type": "event_msg", "payload": {"type": "user_message", "message": "old ask"}},
              {"timestamp": "t2", "type": "event_msg", "payload": {"type": "agent_message", "message": "old reply"}},
              agent_says("old reply"),   # the same reply in the newer form, right after: once
              agent_says("said twice on purpose"), agent_says("said twice on purpose")]   # one form: both kept
    read = read_codex_transcript(str(write(rollout_path(codex_home), legacy)))
    assert [t.text for t in read.turns] == ["old ask", "old reply", "said twice on purpose", "said twice on purpose"]


def test_only_a_file_in_codexs_sessions_folder_is_read_never_through_a_symlink(codex_home: Path, tmp_path: Path,
                                                                                 isolated_env: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    records = recorded()
    outside = write(tmp_path / f"rollout-2026-12-03T15-13-08-{REAL_ID}.jsonl", records)
    assert read_codex_transcript(str(outside)) == Transcript()
    inside = write(rollout_path(codex_home), records)
    assert read_codex_transcript(str(inside)).turns
    link = inside.with_name("rollout-link.jsonl")
    link.symlink_to(outside)
    assert read_codex_transcript(str(link)) == Transcript()
    (codex_home / "sessions" / "2027").symlink_to(outside.parent)
    assert read_codex_transcript(str(codex_home / "sessions" / "2027" / outside.name)) == Transcript()
    assert read_codex_transcript(str(inside.parent / ".." / ".." / ".." / ".." / "x.jsonl")) == Transcript()
    # ~/.codex/sessions is Codex's default home: read there too, whatever CODEX_HOME says now
    (isolated_env / ".codex" / "sessions" / "2026" / "12" / "03").mkdir(parents=True)
    default = write(isolated_env / ".codex" / "sessions" / "2026" / "12" / "03" / inside.name, records)
    assert read_codex_transcript(str(default)).turns
    monkeypatch.setenv("CODEX_HOME", "relative/home")
    assert read_codex_transcript(str(inside)) == Transcript() and read_codex_transcript(str(default)).turns


def test_a_codex_transcript_is_bounded_and_redacted_like_claude_codes(codex_home: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcript, "MAX_TOTAL_CHARS", 5_000)
    monkeypatch.setattr(transcript, "MAX_TURN_CHARS", 1_000)
    monkeypatch.setattr(transcript, "MAX_READ_BYTES", 200_000)
    records: list[dict | str] = [*recorded()[:10], agent_says(f"Set ANTHROPIC_API_KEY={SECRET} first.")]
    records += [agent_says(f"turn {i} " * 20) for i in range(2_000)] + ["not json", "[1]"]
    records.append(agent_says("LAST answer " + "z" * 3_000))
    path = write(rollout_path(codex_home), records)
    assert path.stat().st_size > 3 * 200_000
    read = read_codex_transcript(str(path))
    assert read.turns[0].text == "REC-READ read the app" and read.turns[-1].text.startswith("LAST answer zzz")
    assert len(read.turns[-1].text) == 1_000 and sum(len(t.text) for t in read.turns) <= 5_000
    assert read.omitted > 0
    small = read_codex_transcript(str(write(path, records[:11])))
    assert "sk-ant" not in " ".join(t.text for t in small.turns) and "[REDACTED" in small.turns[1].text


# -- at flush ----------------------------------------------------------------------------------------------------


def codex_session(root: Path, home: Path, records: list[dict]) -> str:
    """Session 1 of the recorded Codex events replayed through gitmem's hook in ``root``, its transcript
    ``records`` at the path the payloads name (a real-shaped session id: the name a redaction once ate)."""
    path = write(rollout_path(home), records)
    events = [json.loads(line) for line in (DATA / "events.jsonl").read_text().splitlines()]
    for e in events[:6]:   # session 1: SessionStart ... SessionEnd
        payload = json.loads(json.dumps(e["payload"]).replace(PLACEHOLDER, REAL_ID).replace("/work/repo", str(root)))
        payload["transcript_path"] = str(path)
        hook(root, e["event"], payload)
    return REAL_ID


def test_a_codex_session_is_summarized_from_its_transcript_with_the_exit_codes(tmp_path: Path,
                                                                                codex_home: Path) -> None:
    root = make_repo(tmp_path / "repo")
    init_repository(discover(root))
    records = failed(recorded(cwd=str(root)), "call_scripted_000001", 3)
    records.insert(10, agent_says(MID_DECISION))
    sid = codex_session(root, codex_home, records)
    repo = discover(root)
    assert not flush.flush_now(repo.common_dir).errors
    stored = memory_ref.find_session(repo, sid)
    [command] = [o for o in stored.observations if o.kind == "command"]
    assert (command.command, command.outcome) == ("cat app.py", "error")
    assert command.detail.startswith("exit 3: def post():")   # the hook's output, with the transcript's status
    summary = stored.summary
    assert summary.agent == "codex"
    assert any("append-only" in d.title and "audits replay it" in d.rationale for d in summary.decisions), \
        summary.decisions   # said mid-session: in the transcript only, never in a hook payload


def test_without_its_transcript_a_codex_command_claims_no_exit_status(tmp_path: Path, codex_home: Path) -> None:
    root = make_repo(tmp_path / "repo")
    init_repository(discover(root))
    sid = codex_session(root, codex_home, recorded(cwd=str(root)))
    rollout_path(codex_home).unlink()
    repo = discover(root)
    assert not flush.flush_now(repo.common_dir).errors
    [command] = [o for o in memory_ref.find_session(repo, sid).observations if o.kind == "command"]
    assert command.outcome == "" and "exit" not in command.detail
