"""``gitmem search`` answered without typer (``cli.quick_search``): the same output, errors and exit codes as the
typer command, for every form it takes; every other form left to the typer app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gitmem.app.project import init_repository
from gitmem.cli import quick_search
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Decision, Observation, SessionSummary

# The console script's path (entry.main), and the typer app alone; each prints the modules it loaded last.
ENTRY = ("import sys\nfrom gitmem.entry import main\nsys.argv = ['gitmem', *sys.argv[1:]]\ncode = main()\n"
         "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(code)")
TYPER = ("import sys\nfrom gitmem.cli.app import main\ncode = main(sys.argv[1:])\n"
         "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(code)")


def _run(code: str, root: Path, args: list[str]) -> tuple[int, str, str, set[str]]:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True, timeout=120)
    err, _, modules = proc.stderr.rpartition("\nMODULES ")
    return proc.returncode, proc.stdout, err, set(modules.split())


@pytest.fixture
def memory(repo: Path) -> Path:
    gm = discover(repo)
    init_repository(gm)
    for i, title in enumerate(["Ledger writes go through the outbox", "Retry the webhook queue with backoff",
                               "Cache the brief 界面 😀 for the \x1b[31mterminal"]):
        s = SessionSummary(id=f"quick-{i}", title=title, started_at=f"2026-11-2{i}T10:00:00Z",
                           author=f"Dev {i} <dev{i}@example.com>", branch="main" if i else "feature/x",
                           learned=(f"learned {title}",))
        obs = [Observation(ts=f"2026-11-2{i}T10:05:00Z", kind="edit", tool="Edit", text=f"edited {title}",
                           files=(f"src/m{i}.py",))]
        memory_ref.write_session(gm, s.id, s.started_at, obs, s)
    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2026-11-20-outbox.md").write_text(
        Decision(id="d-outbox", title="Use the outbox for ledger writes", status="accepted", date="2026-11-20",
                 body="\nBecause the ledger must stay consistent.\n").to_text())
    return repo


FAST_FORMS = [["ledger"], ["ledger", "outbox"], ["--json", "ledger"], ["ledger", "--limit", "1"], ["-n", "2", "x*"],
              ["--type", "decision", "--type=session", "ledger"], ["--author", "Dev 1", "webhook"],
              ["--branch=main", "--lexical", "queue"], ["--file", "src/*.py"], ["--since", "2w"], ["zzqxnomatch"],
              [], ["--", "-ledger"], ["terminal", "--json"], ["--since", "soon"], ["--type", "nonsense", "x"]]
TYPER_FORMS = [["--help"], ["--limit", "0", "x"], ["-n"], ["--unknown", "x"], ["--json=yes", "x"], ["-ledger"]]


def test_the_console_script_answers_as_the_typer_command(memory: Path) -> None:
    _run(TYPER, memory, ["search", "warm"])   # the index is built once, by neither side being compared
    for args in FAST_FORMS + TYPER_FORMS:
        fast = _run(ENTRY, memory, ["search", *args])
        slow = _run(TYPER, memory, ["search", *args])
        assert fast[:3] == slow[:3], args
        answered_fast = quick_search.parse(args) is not None and fast[0] == 0   # errors go to the typer app
        assert ("typer" not in fast[3]) == answered_fast, args
        assert "typer" in slow[3]


def test_plain_forms_are_answered_without_typer_and_the_others_are_not() -> None:
    assert all(quick_search.parse(a) is not None for a in FAST_FORMS)
    assert all(quick_search.parse(a) is None for a in TYPER_FORMS)
    assert quick_search.parse(["--type", "a", "--type=b", "-n", "3", "w", "--", "--json"]) == {
        "words": ["w", "--json"], "types": ["a", "b"], "limit": 3, "lexical": False, "as_json": False}


def test_the_console_script_runs_a_hook_named_with_its_agent_without_typer(memory: Path) -> None:
    """``gitmem hook <Event> copilot`` (the --shared form Copilot's and Cursor's hook files run) goes straight to
    the hook, as ``gitmem hook <Event>`` does: typer would cost many interpreter starts per tool call."""
    payload = '{"session_id": "entry-agent-1", "hook_event_name": "PostToolUse", "tool_name": "Bash"}'
    env = {**__import__("os").environ, "GITMEM_NO_WORKER": "1"}
    proc = subprocess.run([sys.executable, "-c", ENTRY, "hook", "PostToolUse", "copilot"], cwd=memory, input=payload,
                          capture_output=True, text=True, timeout=120, env=env)
    err, _, modules = proc.stderr.rpartition("\nMODULES ")
    assert proc.returncode == 0 and err == "" and proc.stdout == ""
    assert "typer" not in modules.split()
    spooled = (discover(memory).common_dir / "gitmem" / "spool" / "entry-agent-1.jsonl").read_text()
    assert '"agent":"copilot"' in spooled
