"""``gitmem search`` answered without typer (``cli.quick_search``): the same output, errors and exit codes as the
typer command, for every form it takes; every other form left to the typer app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitmem import ref_files
from gitmem.app.project import init_repository
from gitmem.cli import quick_search
from gitmem.git import discover
from gitmem.store import memory_ref
from gitmem.store.records import Decision, Observation, SessionSummary
from gitmem.team import fetched_tips
from gitmem.team.fetched import merge_fetched_memory

from conftest import git

# The console script's path (entry.main), and the typer app alone; each prints the modules it loaded last.
ENTRY = ("import sys\nfrom gitmem.entry import main\nsys.argv = ['gitmem', *sys.argv[1:]]\ncode = main()\n"
         "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(code)")
TYPER = ("import sys\nfrom gitmem.cli.app import main\ncode = main(sys.argv[1:])\n"
         "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(code)")


def _run(code: str, root: Path, args: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str, set[str]]:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=root, capture_output=True, text=True, timeout=120,
                          env=env)
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


def _without_git(tmp_path: Path) -> dict[str, str]:
    """The environment with a PATH where no ``git`` can be found (an empty folder)."""
    empty = tmp_path / "no-git-here"
    empty.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(empty)}


def test_a_current_index_is_searched_without_a_git_process_or_yaml(memory: Path, tmp_path: Path) -> None:
    """Once the index is current, ``gitmem search`` reads the repository, the memory ref's tip and teammates'
    fetched tips from files: it answers the same with no git on PATH, and loads no YAML, no subprocess."""
    _run(TYPER, memory, ["search", "warm"])   # builds the index (git finds the repository)
    for args in (["ledger"], ["--json", "webhook"], ["--lexical", "zzqxnomatch"], ["--type", "decision", "outbox"]):
        with_git = _run(ENTRY, memory, ["search", *args])
        code, out, err, modules = _run(ENTRY, memory, ["search", *args], _without_git(tmp_path))
        assert (code, out, err) == with_git[:3], args
        assert code == 0 and out.strip(), args
        assert not {"yaml", "subprocess", "typer", "gitmem.git", "gitmem.store.records"} & modules, args
    git(memory, "pack-refs", "--all")   # the memory ref now a line of packed-refs, no loose file
    assert not (memory / ".git" / "refs" / "notes" / "gitmem").exists()
    assert _run(ENTRY, memory, ["search", "ledger"], _without_git(tmp_path))[0] == 0


def test_a_session_written_after_the_index_is_found(memory: Path, tmp_path: Path) -> None:
    """The ref moving (a new session) is seen from its file: the index is not answered from as it was (with no
    git the search cannot bring it up to date, so it fails rather than answer stale); with git it is updated."""
    assert _run(ENTRY, memory, ["search", "zanzibar"])[1] == "nothing found.\n"
    s = SessionSummary(id="quick-late", title="Zanzibar ferry schedule cached", started_at="2026-11-29T10:00:00Z",
                       author="Dev 9 <dev9@example.com>", branch="main")
    memory_ref.write_session(discover(memory), s.id, s.started_at, [], s)
    stale = _run(ENTRY, memory, ["search", "zanzibar"], _without_git(tmp_path))
    assert stale[0] != 0 and "nothing found" not in stale[1]
    code, out, _, modules = _run(ENTRY, memory, ["search", "zanzibar"])
    assert code == 0 and "quick-late" in out and "typer" not in modules
    assert _run(ENTRY, memory, ["search", "zanzibar"], _without_git(tmp_path))[1] == out   # current again
    (memory / ".gitmem" / "decisions" / "2026-11-29-zanzibar.md").write_text(
        Decision(id="d-zanzibar", title="Zanzibar timetable stays cached", status="accepted",
                 date="2026-11-29", body="\nFerries.\n").to_text())
    assert _run(ENTRY, memory, ["search", "zanzibar"], _without_git(tmp_path))[0] != 0   # decisions changed
    assert "d-zanzibar" in _run(ENTRY, memory, ["search", "zanzibar"])[1]


def test_ref_files_read_refs_as_git_does(memory: Path) -> None:
    common = str(discover(memory).common_dir)
    tip = git(memory, "rev-parse", "refs/notes/gitmem").strip()
    assert ref_files.read_ref(common, "refs/notes/gitmem") == tip
    assert ref_files.read_ref(common, "refs/notes/nothing") == ""
    git(memory, "symbolic-ref", "refs/gitmem/remotes/alias", "refs/notes/gitmem")
    assert ref_files.read_ref(common, "refs/gitmem/remotes/alias") is None   # symbolic: git must say
    assert ref_files.refs_under(common, "refs/gitmem/remotes/") is None
    git(memory, "symbolic-ref", "--delete", "refs/gitmem/remotes/alias")
    for name in ("refs/gitmem/remotes/origin/memory", "refs/gitmem/remotes/b-mate/memory"):
        git(memory, "update-ref", name, tip)
    git(memory, "pack-refs", "--all")
    git(memory, "update-ref", "refs/gitmem/remotes/a-mate/memory", git(memory, "rev-parse", "HEAD").strip())
    listed = git(memory, "for-each-ref", "--format=%(refname) %(objectname)", "refs/gitmem/remotes/")
    assert fetched_tips.tips_text(ref_files.refs_under(common, "refs/gitmem/remotes/") or {}) == listed
    assert ref_files.read_ref(common, "refs/notes/gitmem") == tip   # packed


def test_fetched_tips_tell_whether_teammates_memory_moved_since_the_merge(memory: Path) -> None:
    gm = discover(memory)
    common, state = str(gm.common_dir), str(gm.common_dir / "gitmem")
    assert fetched_tips.moved_since_merge(common, state) is False   # no tracking ref
    git(memory, "update-ref", "refs/gitmem/remotes/origin/memory", git(memory, "rev-parse", "refs/notes/gitmem").strip())
    assert fetched_tips.moved_since_merge(common, state) is True
    merge_fetched_memory(gm)
    assert fetched_tips.moved_since_merge(common, state) is False
    git(memory, "pack-refs", "--all")
    assert fetched_tips.moved_since_merge(common, state) is False
