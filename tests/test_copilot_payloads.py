"""The payloads the real GitHub Copilot CLI sent its hooks (tests/data/copilot/, recorded from copilot 1.0.102)
through gitmem's hook script, Copilot's payload mapping and capture: the same spool, the same observations as
Claude Code's, sessions that say ``agent: copilot``, and the brief in the shape Copilot reads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_repo

import gitmem
from gitmem import hook
from gitmem.agents import copilot
from gitmem.agents.copilot_log import read_copilot_log
from gitmem.app.flush import flush_now, session_agent
from gitmem.app.inject import Brief, Item
from gitmem.app.project import init_repository
from gitmem.capture import compaction, spool
from gitmem.git import discover
from gitmem.store import memory_ref

DATA = Path(__file__).parent / "data" / "copilot"
HOOK = Path(gitmem.__file__).parent / "_hook.py"
SID = "00000000-0000-0000-0000-000000000001"


def recorded(shape: str = "gitmem-shape") -> list[dict]:
    """The hook calls of the recording in the dialect gitmem installs (PascalCase names) or Copilot's own."""
    return [e for e in map(json.loads, (DATA / "events.jsonl").read_text().splitlines()) if e["file"] == shape]


def spool_events() -> list[compaction.SpoolEvent]:
    """The recorded calls of the events gitmem hooks (the recording has PreToolUse too), as the hook spools them."""
    return [compaction.SpoolEvent(1796310000.0 + n, e["event"], e["payload"], "", "copilot")
            for n, e in enumerate(recorded()) if e["event"] in copilot.COPILOT_EVENTS]


def run_hook(root: Path, event: str, payload: dict, *agent: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", str(HOOK), event, *agent], cwd=root, timeout=60,
                          input=json.dumps(payload).encode(), capture_output=True,
                          env={**os.environ, "GITMEM_NO_WORKER": "1"})


def test_every_recorded_copilot_event_goes_through_the_hook_into_the_spool_naming_its_agent(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    init_repository(discover(root))
    events = recorded()
    for e in events:
        proc = run_hook(root, e["event"], e["payload"], "copilot")
        assert proc.returncode == 0 and b"gitmem:" not in proc.stderr, proc.stderr  # the hook logged no error
        assert proc.stdout == b""   # nothing recorded yet: no brief, no recall
    folder = spool.spool_dir(discover(root).common_dir)
    assert [p.name for p in folder.glob("*.jsonl")] == [f"{SID}.jsonl"]
    spooled = [compaction.parse_spool_line(line) for line in (folder / f"{SID}.jsonl").read_bytes().splitlines()]
    assert [ev.event for ev in spooled if ev] == [e["event"] for e in events]
    assert {ev.agent for ev in spooled if ev} == {"copilot"}
    assert session_agent(SID, [ev for ev in spooled if ev]) == "copilot"
    proc = run_hook(root, "Stop", events[-1]["payload"], "Copilot; rm -rf /")
    assert proc.returncode == 0 and b"refused agent name" in proc.stderr   # refused, logged, never fails the session


def test_recorded_copilot_tool_calls_become_the_observations_claude_codes_would() -> None:
    events = copilot.claude_shaped_events(spool_events())
    observations = compaction.compact_events(events, "/work/repo")
    seen = [(o.kind, o.tool, o.files, o.command, o.outcome, o.detail.splitlines()[0] if o.detail else "")
            for o in observations if o.tool]
    assert seen[:7] == [
        ("command", "Bash", (), "cat app.py", "ok", "exit 0"),
        ("read", "Read", ("app.py",), "", "ok", ""),
        ("edit", "Edit", ("app.py",), "", "ok", "- return 1"),
        ("write", "Write", ("notes.md",), "", "ok", ""),
        ("search", "Grep", (), "", "ok", ""),
        ("command", "Bash", (), "exit 3", "error", "exit 3"),   # the exit code from Copilot's shell trailer
        ("read", "Read", ("missing.py",), "", "error", "Path does not exist"),   # PostToolUseFailure
    ]
    [write] = [o for o in observations if o.tool == "Write"]
    assert write.text.startswith("created (1 line")
    facts = compaction.session_facts(events, "/work/repo", observations)
    assert facts.prompts == ("REC-READ read and change the app", "REC-AGAIN show the status")
    assert facts.files_modified == ("app.py", "notes.md") and facts.failures == 2
    assert facts.transcript_path == f"/home/user/.copilot/session-state/{SID}/events.jsonl"
    assert session_agent(SID, events) == "copilot"
    # the same events without the agent's name stay as they came (Claude Code's sessions are never reshaped)
    plain = [compaction.SpoolEvent(ev.ts, ev.event, ev.payload, "") for ev in spool_events()]
    assert copilot.claude_shaped_events(plain) == plain and session_agent(SID, plain) == "claude-code"


def test_copilots_own_dialect_maps_to_the_same_tools() -> None:
    native = [copilot.claude_shaped(e["payload"]) for e in recorded("native") if e["event"] == "postToolUse"]
    pascal = [copilot.claude_shaped(e["payload"]) for e in recorded() if e["event"] == "PostToolUse"]
    assert [p["tool_name"] for p in native] == [p["tool_name"] for p in pascal]
    assert [p["tool_input"] for p in native] == [p["tool_input"] for p in pascal]
    assert [p["tool_response"] for p in native] == [p["tool_response"] for p in pascal]
    assert {p["session_id"] for p in native} == {SID}


@pytest.mark.parametrize("payload, tool", [
    ({"tool_name": "sql", "tool_input": {"query": "select 1"}}, "sql"),   # unknown tools are kept, by their name
    ({"tool_name": "view", "tool_input": {"path": "/r/a.py", "view_range": [3, 9]}}, "Read"),
    ({"tool_name": "Bash", "tool_input": {"command": "sleep 100"},
      "tool_result": {"result_type": "success", "text_result_for_llm": "<shellId: 3 still running>"}}, "Bash"),
    ({"tool_name": 7, "tool_result": "x"}, None),
])
def test_odd_and_unknown_tools_are_shaped_without_raising(payload: dict, tool: str | None) -> None:
    shaped = copilot.claude_shaped(payload)
    assert shaped.get("tool_name") == (tool if tool is not None else 7)
    ev = compaction.SpoolEvent(1.0, "PostToolUse", {"session_id": SID, **shaped}, "", "copilot")
    [obs] = compaction.compact_events([ev], "/r") if tool else [None]
    if tool == "sql":
        assert obs.kind == "tool" and obs.text == 'sql(query="select 1")'
    if tool == "Read":
        assert obs.files == ("a.py",) and obs.text == "lines 3-9"
    if tool == "Bash":
        assert obs.outcome == "" and "exit" not in obs.detail   # still running: no status claimed


def test_the_session_log_gives_every_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "copilot-home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    log = home / "session-state" / SID / "events.jsonl"
    log.parent.mkdir(parents=True)
    shutil.copy(DATA / "session-events.jsonl", log)
    assert copilot.is_copilot_log(str(log))
    said = read_copilot_log(str(log))
    assert [(t.role, t.text) for t in said.turns] == [
        ("user", "REC-READ read and change the app"), ("assistant", "Done. app.py now returns 2."),
        ("user", "REC-AGAIN show the status"), ("assistant", "Done again.")]
    outside = tmp_path / "elsewhere" / "session-state" / SID / "events.jsonl"
    outside.parent.mkdir(parents=True)
    shutil.copy(log, outside)
    assert read_copilot_log(str(outside)).turns == ()   # only Copilot's own folders are read


def test_context_answer_gives_copilot_the_top_level_additional_context() -> None:
    text = 'line "one"\n<gitmem-memory>\n"additionalContext": }} é\n</gitmem-memory>'
    brief = Brief(text=text, branch="main", items=(Item(1, 0, "x"),)).hook_output().encode()
    assert json.loads(hook.context_answer(brief, b"copilot")) == {"additionalContext": text}
    assert hook.context_answer(brief, None) == brief and hook.context_answer(brief, b"codex") == brief
    recall = b'{"hookSpecificOutput":{"hookEventName":"UserPromptSubmit","additionalContext":"a \\"b\\""}}\n'
    assert json.loads(hook.context_answer(recall, b"copilot")) == {"additionalContext": 'a "b"'}
    assert hook.context_answer(b"garbage", b"copilot") == b"" and hook.context_answer(None, b"copilot") is None


def test_a_flushed_copilot_session_says_copilot_and_its_brief_comes_in_copilots_shape(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITMEM_SUMMARIZER", "offline")
    root = make_repo(tmp_path / "repo")
    (root / "app.py").write_text("def post():\n    return 2\n")
    repo = discover(root)
    init_repository(repo)
    for e in (e for e in recorded() if e["event"] in copilot.COPILOT_EVENTS):
        payload = json.loads(json.dumps(e["payload"]).replace("/work/repo", str(root)))
        assert run_hook(root, e["event"], payload, "copilot").returncode == 0
    report = flush_now(repo.common_dir)
    assert [s.session_id for s in report.sessions] == [SID] and not report.errors
    summary = memory_ref.find_session(repo, SID).summary
    assert summary.agent == "copilot" and summary.files_modified == ("app.py", "notes.md")
    proc = subprocess.run([sys.executable, "-I", "-m", "gitmem.workers", "session-start", "--root", str(root),
                           "--agent", "copilot"], capture_output=True, timeout=120)
    answer = json.loads(proc.stdout)
    assert list(answer) == ["additionalContext"] and SID[:8] in answer["additionalContext"]
    assert answer["additionalContext"].startswith("<gitmem-memory>")
    start = run_hook(root, "SessionStart", recorded()[0]["payload"], "copilot")
    assert json.loads(start.stdout) == answer   # the pre-rendered brief, reshaped by the hook itself
