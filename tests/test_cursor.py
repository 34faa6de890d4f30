"""Cursor: `gitmem install cursor` / `uninstall cursor` on .cursor/hooks.json and the brief's rules file, and the
payloads Cursor's documentation describes (tests/data/cursor/; no Cursor client runs here) driven through gitmem's
real hook script into a real repository's memory ref."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import git, make_repo, run

from gitmem.agents import cursor
from gitmem.agents.cursor_install import cursor_status, install_cursor, uninstall_cursor
from gitmem.agents.rules_file import BEGIN, END
from gitmem.app import flush, inject
from gitmem.app.project import init_repository, repository_status
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.integrations.claude_commands import is_gitmem_command
from gitmem.store import memory_ref

DATA = Path(__file__).parent / "data" / "cursor"
HOOKS = ".cursor/hooks.json"
RULES = ".cursor/rules/gitmem.mdc"
CONVERSATION = "6f1c3a52-0d4e-4b8a-9a57-2f6b1e9c4d21"


def documented_events(root: Path) -> list[tuple[str, bytes]]:
    """(Cursor event, payload) of the documented conversation, with the test repository as its workspace."""
    out = []
    for line in (DATA / "events.jsonl").read_text().splitlines():
        e = json.loads(line)
        out.append((e["hook"], json.dumps(e["payload"]).replace("/work/repo", str(root)).encode()))
    return out


def run_installed(root: Path, event: str, payload: bytes) -> subprocess.CompletedProcess[bytes]:
    """Run the command .cursor/hooks.json holds for ``event`` the way Cursor does: a shell, JSON on stdin."""
    [handler] = [h for h in json.loads((root / HOOKS).read_text())["hooks"][event] if is_gitmem_command(h["command"])]
    return subprocess.run(handler["command"], shell=True, cwd=root, input=payload, capture_output=True, timeout=60,
                          env={**os.environ, "GITMEM_NO_WORKER": "1", "CLAUDE_PROJECT_DIR": str(root)})


@pytest.fixture
def cursor_repo(repo: Path) -> Path:
    init_repository(discover(repo))
    install_cursor(repo)
    return repo


# -- capture ------------------------------------------------------------------------------------------------------


def test_documented_conversation_is_recorded_as_a_cursor_session_in_the_memory_ref(cursor_repo: Path) -> None:
    root = cursor_repo
    (root / "app.py").write_text("RETRIES = 3\n")
    for event, payload in documented_events(root):
        proc = run_installed(root, event, payload)
        assert proc.returncode == 0 and b"gitmem:" not in proc.stderr, proc.stderr
        assert proc.stdout == b""  # Cursor gets no hook output: its brief is in the rules file
    repo = discover(root)
    report = flush.flush_now(repo.common_dir)
    assert not report.errors and [s.session_id for s in report.sessions] == [CONVERSATION]

    record = memory_ref.find_session(repo, CONVERSATION)
    assert record is not None and record.summary is not None
    assert record.summary.agent == "cursor"
    assert record.summary.files_modified == ("app.py",) and "app.py" in record.summary.files_read
    kinds = [(o.kind, o.tool, o.command or o.text) for o in record.observations if o.kind != "session"]
    assert ("prompt", "", "CUR-REC make the retry limit configurable in app.py") in kinds
    assert [(o.tool, o.files) for o in record.observations if o.kind == "read"] == [("Read", ("app.py",))]
    edits = [o for o in record.observations if o.kind == "edit"]
    assert [(o.tool, o.files) for o in edits] == [("Edit", ("app.py",))] and "APP_RETRIES" in edits[0].detail
    commands = [o for o in record.observations if o.kind == "command"]
    # the shell call arrives twice (postToolUse Shell, afterShellExecution) and is kept once, with the exit status
    # the Shell call said (afterShellExecution says none)
    assert [(o.tool, o.command, o.outcome) for o in commands] == [("Bash", "python -m pytest -q", "ok")]
    assert [o.kind for o in record.observations].count("stop") == 1


def test_a_shell_command_takes_its_exit_status_from_the_shell_call_of_the_same_turn() -> None:
    from gitmem.agents.cursor import as_gitmem_events
    from gitmem.capture.compaction import SpoolEvent, compact_events

    def ev(ts: float, **payload: object) -> SpoolEvent:
        return SpoolEvent(ts, "PostToolUse", {"conversation_id": CONVERSATION, "workspace_roots": ["/w"], **payload},
                          agent="cursor")

    events = [ev(1.0, hook_event_name="postToolUse", generation_id="g1", tool_name="Shell",
                 tool_input={"command": "make build"}, tool_output='{"exitCode": 2, "stdout": "boom"}'),
              ev(1.1, hook_event_name="afterShellExecution", generation_id="g1", command="make build", output="boom"),
              ev(2.0, hook_event_name="afterShellExecution", generation_id="g2", command="make build", output="ok"),
              ev(3.0, hook_event_name="postToolUse", generation_id="g3", tool_name="Shell",
                 tool_input={"command": "ls"}, tool_output="not json"),
              ev(3.1, hook_event_name="afterShellExecution", generation_id="g3", command="ls", output="a b")]
    commands = [(o.command, o.outcome) for o in compact_events(as_gitmem_events(events), "/w") if o.kind == "command"]
    # the failing build says so; the same command in another turn, and one whose Shell output is not JSON, stay unsaid
    assert commands == [("make build", "error"), ("make build", ""), ("ls", "")]


def test_an_unknown_cursor_tool_is_still_recorded_under_its_own_name() -> None:
    from gitmem.capture.compaction import SpoolEvent, compact_events

    payload = {"conversation_id": CONVERSATION, "hook_event_name": "postToolUse", "workspace_roots": ["/w"],
               "tool_name": "MCP:linear:create_issue", "tool_input": {"title": "x"}, "tool_output": "{}"}
    other = dict(payload, tool_name="TodoRead2")
    events = cursor.as_gitmem_events([SpoolEvent(1.0, "PostToolUse", payload, "", "cursor"),
                                      SpoolEvent(2.0, "PostToolUse", other, "", "cursor")])
    observed = compact_events(events, "/w")
    assert [(o.kind, o.tool) for o in observed] == [("mcp", "mcp__linear__create_issue"), ("tool", "TodoRead2")]


def test_the_hook_takes_the_session_from_conversation_id_and_prints_nothing_even_with_a_brief(
        cursor_repo: Path) -> None:
    repo = discover(cursor_repo)
    inject.render_brief(repo)
    [(event, payload)] = [e for e in documented_events(cursor_repo) if e[0] == "sessionStart"]
    proc = run_installed(cursor_repo, event, payload)
    assert proc.returncode == 0 and proc.stdout == b""
    spooled = (repo.common_dir / "gitmem" / "spool" / f"{CONVERSATION}.jsonl").read_bytes()
    line = json.loads(spooled)
    assert line["event"] == "SessionStart" and line["agent"] == "cursor" and len(line["head"]) == 40


# -- install ------------------------------------------------------------------------------------------------------


def test_install_hooks_every_event_puts_the_brief_in_a_git_ignored_rules_file_and_is_idempotent(
        repo: Path, hook: Path) -> None:
    init_repository(discover(repo))
    hooks, rules = install_cursor(repo, hook_path=hook, brief="<gitmem-memory>B1</gitmem-memory>")
    data = json.loads((repo / HOOKS).read_text())
    assert data["version"] == 1 and set(data["hooks"]) == set(cursor.CURSOR_EVENTS)
    for event, gitmem_event in cursor.CURSOR_EVENTS.items():
        [handler] = data["hooks"][event]
        assert handler["command"].endswith(f" -I -S {hook} {gitmem_event} cursor || true")
    text = (repo / RULES).read_text()
    assert text.startswith("---\n") and "alwaysApply: true" in text and f"{BEGIN}\n<gitmem-memory>B1" in text
    assert git(repo, "status", "--porcelain", "--ignored", "--", ".cursor").splitlines() == \
        ["!! .cursor/"]  # hooks.json and the rules file: both out of git
    before = {p: (repo / p).read_bytes() for p in (HOOKS, RULES)}
    again, rules_again = install_cursor(repo, hook_path=hook, brief="<gitmem-memory>B1</gitmem-memory>")
    assert again.unchanged and not rules_again.changed
    assert {p: (repo / p).read_bytes() for p in (HOOKS, RULES)} == before
    assert cursor_status(repo).installed and cursor_status(repo).rules_file


def test_install_then_uninstall_gives_back_the_original_bytes_of_files_people_own(repo: Path, hook: Path) -> None:
    init_repository(discover(repo))
    (repo / ".cursor/rules").mkdir(parents=True)
    mine = b'{\n    "version": 1,\n    "hooks": {\n        "afterFileEdit": [{"command": "./fmt.sh"}]\n    }\n}\n'
    (repo / HOOKS).write_bytes(mine)
    rule = b"---\nalwaysApply: true\n---\nUse tabs.\n"
    (repo / RULES).write_bytes(rule)
    exclude = repo / ".git/info/exclude"
    exclude_before = exclude.read_bytes()
    install_cursor(repo, hook_path=hook, brief="BRIEF")
    data = json.loads((repo / HOOKS).read_text())
    assert data["hooks"]["afterFileEdit"][0] == {"command": "./fmt.sh"} and len(data["hooks"]["afterFileEdit"]) == 2
    text = (repo / RULES).read_text()
    assert text.startswith(rule.decode()) and "BRIEF" in text
    hooks, rules = uninstall_cursor(repo)
    assert set(hooks.removed) == set(cursor.CURSOR_EVENTS) and rules.changed
    assert (repo / HOOKS).read_bytes() == mine and (repo / RULES).read_bytes() == rule
    assert exclude.read_bytes() == exclude_before


def test_uninstall_removes_what_the_install_created(repo: Path, hook: Path) -> None:
    init_repository(discover(repo))
    exclude = (repo / ".git/info/exclude").read_bytes()
    install_cursor(repo, hook_path=hook)
    assert (repo / ".git/info/exclude").read_bytes() != exclude
    uninstall_cursor(repo)
    assert not (repo / ".cursor").exists()
    assert (repo / ".git/info/exclude").read_bytes() == exclude


def test_invalid_hooks_file_is_an_error_naming_file_and_line_and_nothing_changes(repo: Path, hook: Path) -> None:
    init_repository(discover(repo))
    (repo / ".cursor").mkdir()
    bad = b'{\n  "version": 1,\n  "hooks": {\n    "stop": [\n  }\n}\n'
    (repo / HOOKS).write_bytes(bad)
    with pytest.raises(ConfigError) as err:
        install_cursor(repo, hook_path=hook)
    assert HOOKS in err.value.message and "line 5" in err.value.message
    assert (repo / HOOKS).read_bytes() == bad and not (repo / RULES).exists()
    (repo / HOOKS).write_text('{"hooks": {"stop": {"command": "x"}}}')
    with pytest.raises(ConfigError, match=r"hooks.stop` must be a list"):
        uninstall_cursor(repo)


def test_a_tracked_rules_file_is_refused_without_shared(repo: Path, hook: Path) -> None:
    init_repository(discover(repo))
    (repo / ".cursor/rules").mkdir(parents=True)
    (repo / RULES).write_text("team rule\n")
    git(repo, "add", RULES)
    git(repo, "commit", "-q", "-m", "rule")
    with pytest.raises(Exception, match="tracked by git"):
        install_cursor(repo, hook_path=hook)
    assert (repo / RULES).read_text() == "team rule\n"
    _, rules = install_cursor(repo, hook_path=hook, shared=True, brief="SHARED")
    assert rules.changed and "SHARED" in (repo / RULES).read_text()


def test_the_brief_in_the_rules_file_is_rewritten_when_memory_changes_and_text_outside_stays(
        cursor_repo: Path) -> None:
    root = cursor_repo
    repo = discover(root)
    path = root / RULES
    path.write_text(path.read_text() + "\nMy own note.\n")
    (root / "app.py").write_text("RETRIES = 3\n")
    for event, payload in documented_events(root):
        run_installed(root, event, payload)
    flush.run_worker(repo.common_dir)  # what the hook's worker does: flush, then render the brief
    text = path.read_text()
    assert text.endswith("\nMy own note.\n") and text.startswith("---\n")
    block = text[text.index(BEGIN):text.index(END)]
    assert "<gitmem-memory>" in block and CONVERSATION[:8] in block


# -- status: events seen per agent -------------------------------------------------------------------------------


def test_status_says_an_installed_agent_has_seen_no_events_then_counts_them(
        cursor_repo: Path, in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status")
    assert code == 0
    assert "agent:        Cursor: installed, but 0 events seen" in out
    for event, payload in documented_events(cursor_repo)[:3]:
        run_installed(cursor_repo, event, payload)
    rows = {r.agent: r for r in repository_status(discover(cursor_repo)).agents}
    assert rows["cursor"].seen.pending == 3 and rows["cursor"].seen.flushed == 0 and not rows["cursor"].silent
    for event, payload in documented_events(cursor_repo)[3:]:
        run_installed(cursor_repo, event, payload)
    flush.flush_now(discover(cursor_repo).common_dir)
    code, out, _ = run(capsys, "status", "--json")
    [row] = [r for r in json.loads(out)["agents"] if r["agent"] == "cursor"]
    assert row["installed"] and row["events"] == 8 and row["flushed"] == 8 and row["pending"] == 0
    assert row["last_event"] > 0


def test_cli_install_and_uninstall_cursor(repo: Path, in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "install", "cursor")
    assert code == 0 and f"{RULES}: the brief" in out and (repo / HOOKS).is_file()
    code, out, _ = run(capsys, "uninstall", "cursor")
    assert code == 0 and "removed the brief" in out and not (repo / ".cursor").exists()


def test_init_sets_cursor_up_where_the_repository_has_a_cursor_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "r")
    (root / ".cursor").mkdir()
    monkeypatch.chdir(root)
    code, out, _ = run(capsys, "init", "--no-fetch")
    assert code == 0 and "Cursor (.cursor/ in the repository)" in out
    assert cursor_status(root).installed and (root / RULES).is_file()
    code, out, _ = run(capsys, "uninstall")
    assert code == 0 and not (root / HOOKS).exists() and not (root / RULES).exists()


def test_an_agent_name_that_could_break_the_spool_line_is_refused_and_nothing_is_recorded(cursor_repo: Path) -> None:
    import sys

    import gitmem

    hook = Path(gitmem.__file__).parent / "_hook.py"
    [(_, payload)] = [e for e in documented_events(cursor_repo) if e[0] == "stop"]
    proc = subprocess.run([sys.executable, "-I", "-S", str(hook), "Stop", 'cur"sor'], cwd=cursor_repo, input=payload,
                          capture_output=True, timeout=60, env={**os.environ, "GITMEM_NO_WORKER": "1"})
    assert proc.returncode == 0 and b"refused agent name" in proc.stderr and proc.stdout == b""
    assert not list((discover(cursor_repo).common_dir / "gitmem" / "spool").glob("*.jsonl"))


def test_a_huge_shell_output_keeps_its_event_a_cursor_event(cursor_repo: Path) -> None:
    """The flush cuts very long payload strings (flush._slim); the agent the hook named survives the cut."""
    from gitmem.app.flush import SLIM_CHARS

    events = dict(documented_events(cursor_repo))
    shell = json.loads(events["afterShellExecution"])
    shell["output"] = "x" * (SLIM_CHARS * 2)
    for event, payload in (("sessionStart", events["sessionStart"]),
                           ("afterShellExecution", json.dumps(shell).encode()), ("stop", events["stop"])):
        assert run_installed(cursor_repo, event, payload).returncode == 0
    repo = discover(cursor_repo)
    flush.flush_now(repo.common_dir)
    record = memory_ref.find_session(repo, CONVERSATION)
    assert record is not None and record.summary is not None and record.summary.agent == "cursor"
    assert [o.command for o in record.observations if o.kind == "command"] == ["python -m pytest -q"]
