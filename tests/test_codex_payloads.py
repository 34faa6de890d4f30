"""The payloads the real Codex CLI sent its hooks (tests/data/codex/, recorded from codex 0.171.0) through gitmem's
hook script and capture: the same spool, the same observations as Claude Code's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import make_repo

import gitmem
from gitmem.app.flush import session_agent
from gitmem.app.project import init_repository
from gitmem.capture import compaction, spool
from gitmem.git import discover

DATA = Path(__file__).parent / "data" / "codex"
HOOK = Path(gitmem.__file__).parent / "_hook.py"


def recorded_events() -> list[dict]:
    return [json.loads(line) for line in (DATA / "events.jsonl").read_text().splitlines()]


def test_every_recorded_codex_event_goes_through_the_hook_into_the_spool(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo")
    init_repository(discover(root))
    events = recorded_events()
    for e in events:
        proc = subprocess.run([sys.executable, "-I", "-S", str(HOOK), e["event"]], cwd=root, timeout=60,
                              input=json.dumps(e["payload"]).encode(), capture_output=True,
                              env={**os.environ, "GITMEM_NO_WORKER": "1"})
        assert proc.returncode == 0 and b"gitmem:" not in proc.stderr, proc.stderr  # the hook logged no error
    folder = spool.spool_dir(discover(root).common_dir)
    sessions = {e["payload"]["session_id"] for e in events}
    assert {p.name for p in folder.glob("*.jsonl")} == {f"{s}.jsonl" for s in sessions}
    lines = [line for s in sorted(sessions) for line in (folder / f"{s}.jsonl").read_bytes().splitlines()]
    spooled = [compaction.parse_spool_line(line) for line in lines]
    assert all(spooled) and len(spooled) == len(events)
    assert sorted(ev.event for ev in spooled) == sorted(e["event"] for e in events)


def test_recorded_codex_events_become_observations_and_facts() -> None:
    events = [compaction.SpoolEvent(1796310000.0 + n, e["event"], e["payload"], "")
              for n, e in enumerate(recorded_events()) if e["payload"]["session_id"].endswith("1")]
    observations = compaction.compact_events(events, "/work/repo")
    kinds = [(o.kind, o.command or o.text) for o in observations if o.kind in ("prompt", "command", "stop")]
    assert kinds == [("prompt", "REC-READ read the app"), ("command", "cat app.py"),
                     ("stop", "Done. app.py returns 1."), ("prompt", "REC-AGAIN show the status"),
                     ("command", "git status --short"), ("stop", "Done again.")]
    commands = [o for o in observations if o.kind == "command"]
    # Codex sends a shell call's output alone: it ran, but gitmem does not claim it exited 0
    assert all(o.tool == "Bash" and o.outcome == "" and "exit" not in o.detail for o in commands)
    facts = compaction.session_facts(events, "/work/repo", observations)
    assert facts.prompts == ("REC-READ read the app", "REC-AGAIN show the status")
    assert facts.last_assistant_message == "Done again."
    assert session_agent(facts.session_id, events) == "codex"


# A real Codex session id is a UUIDv7; the recorded files use a placeholder (all zeros) that hid this: Codex's
# transcript name `rollout-<time>-<uuid>.jsonl` changes character class often enough to look like a token.
REAL_ID = "019a23c7-6a5b-7010-afe4-9b406d2779ef"
SECRET = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2


def test_a_transcript_path_is_kept_as_the_path_it_is_for_codex_and_claude_code_alike() -> None:
    paths = {"codex": f"/home/dev/.codex/sessions/2026/12/03/rollout-2026-12-03T15-13-08-{REAL_ID}.jsonl",
             "claude-code": f"/home/dev/.claude/projects/-home-dev-payments/{REAL_ID}.jsonl"}
    for agent, path in paths.items():
        events = [compaction.SpoolEvent(1796310000.0 + n, e["event"],
                                        {**e["payload"], "session_id": REAL_ID, "transcript_path": path,
                                         "cwd": f"/home/dev/{REAL_ID}-{agent}"}, "")
                  for n, e in enumerate(recorded_events()) if e["payload"]["session_id"].endswith("1")]
        events.append(compaction.SpoolEvent(1796310100.0, "UserPromptSubmit",
                                            {**events[1].payload, "prompt": f"use the token {SECRET} here"}, ""))
        observations = compaction.compact_events(events, "/work/repo")
        facts = compaction.session_facts(events, "/work/repo", observations)
        assert facts.transcript_path == path, agent
        assert facts.cwd == f"/home/dev/{REAL_ID}-{agent}"
        assert session_agent(REAL_ID, events) == agent
        # what is stored and sent is still redacted
        assert SECRET not in " ".join(facts.prompts) and "[REDACTED:" in facts.prompts[-1]
        assert SECRET not in observations[-1].text and "[REDACTED:" in observations[-1].text


def test_a_transcript_path_that_is_not_an_absolute_clean_path_is_none() -> None:
    for bad in ("relative/rollout.jsonl", "/home/dev/.codex/sessions/a\nb.jsonl", "/x/\x1b[31m.jsonl",
                "/" + "a" * 5000, 42, None):
        events = [compaction.SpoolEvent(1796310000.0, "Stop", {"session_id": REAL_ID, "transcript_path": bad}, "")]
        assert compaction.session_facts(events, "/work/repo").transcript_path == ""
