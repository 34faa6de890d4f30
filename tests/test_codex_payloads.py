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
