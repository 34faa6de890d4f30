"""The Gemini CLI adapter without the client: the payloads the real gemini-cli 0.61.0 sent its hooks
(tests/data/gemini-cli/) through gitmem's hook and capture, its transcript, prompt recall's view of a prompt
with a <hook_context> block, and `gitmem install gemini` / `uninstall gemini` on .gemini/settings.json
(tests/test_e2e_gemini.py runs the real client on what this writes)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, run

import gitmem
from gitmem import recall
from gitmem.agents import gemini, gemini_events
from gitmem.agents.gemini_install import folder_trusted, gemini_hooks_status, install_gemini, uninstall_gemini
from gitmem.agents.gemini_transcript import read_gemini_transcript
from gitmem.app.flush import session_agent
from gitmem.app.project import init_repository
from gitmem.capture import compaction, spool
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.integrations.claude_commands import is_gitmem_command

DATA = Path(__file__).parent / "data" / "gemini-cli"
HOOK = Path(gitmem.__file__).parent / "_hook.py"
SETTINGS = ".gemini/settings.json"


def recorded_events() -> list[dict]:
    return [json.loads(line) for line in (DATA / "events.jsonl").read_text().splitlines()]


def spool_events(names: tuple[str, ...] = tuple(gemini.EVENTS)) -> list[compaction.SpoolEvent]:
    """The recorded events gitmem hooks, as the hook spooled them (the command names gitmem's event)."""
    return [compaction.SpoolEvent(1796310000.0 + n, gemini.EVENTS[e["event"]], e["payload"], "")
            for n, e in enumerate(recorded_events()) if e["event"] in names]


# -- payloads --------------------------------------------------------------------------------------------------


def test_every_recorded_gemini_event_gitmem_hooks_goes_through_the_hook_into_the_spool(tmp_path: Path) -> None:
    from conftest import make_repo

    root = make_repo(tmp_path / "repo")
    init_repository(discover(root))
    events = [e for e in recorded_events() if e["event"] in gemini.EVENTS]
    for e in events:
        payload = dict(e["payload"], cwd=str(root))
        proc = subprocess.run([sys.executable, "-I", "-S", str(HOOK), gemini.EVENTS[e["event"]]], cwd=root,
                              timeout=60, input=json.dumps(payload).encode(), capture_output=True,
                              env={**os.environ, "GITMEM_NO_WORKER": "1"})
        assert proc.returncode == 0 and b"gitmem:" not in proc.stderr, proc.stderr
    folder = spool.spool_dir(discover(root).common_dir)
    [sid] = {e["payload"]["session_id"] for e in events}
    lines = (folder / f"{sid}.jsonl").read_bytes().splitlines()
    spooled = [compaction.parse_spool_line(line) for line in lines]
    assert all(spooled) and [ev.event for ev in spooled if ev] == [gemini.EVENTS[e["event"]] for e in events]


def test_recorded_gemini_events_become_claude_code_observations_and_facts() -> None:
    events = spool_events()
    assert session_agent("any", events) == "gemini-cli"
    observations = compaction.compact_events(gemini_events.as_claude_events(events), "/work/repo")
    seen = [(o.kind, o.tool, o.files, o.command or o.text, o.outcome) for o in observations if o.kind != "session"]
    assert seen == [
        ("prompt", "", (), "REC-TOOLS read the app, add an outbox, edit and run it", ""),
        ("read", "Read", ("app.py",), "", "ok"),
        ("write", "Write", ("outbox.py",), "created (1 line, 12 bytes)", "ok"),
        ("edit", "Edit", ("app.py",), "replaced 1 occurrence (+1 -1 lines)", "ok"),
        ("command", "Bash", (), "cat app.py; exit 3", "error"),
        ("stop", "", (), observations[6].text, ""),
        ("prompt", "", (), "REC-AGAIN show the status", ""),
        ("command", "Bash", (), "git status --short", "ok"),
        ("stop", "", (), observations[-2].text, ""),
    ]
    [failed, passed] = [o for o in observations if o.kind == "command"]
    assert failed.detail == "exit 3: def post():\n    return 2" and passed.detail == "exit 0"
    facts = compaction.session_facts(gemini_events.as_claude_events(events), "/work/repo", observations)
    assert facts.prompts == ("REC-TOOLS read the app, add an outbox, edit and run it", "REC-AGAIN show the status")
    assert facts.files_modified == ("outbox.py", "app.py") and facts.files_read == ("app.py",)
    assert facts.sources == ("startup", "resume") and facts.end_reason == "exit"


def test_gemini_events_gitmem_does_not_hook_are_left_out() -> None:
    # BeforeTool has no call id to pair it with its AfterTool; PreCompress fires before every model request
    everything = [compaction.SpoolEvent(1796310000.0 + n, e["event"], e["payload"] or {}, "")
                  for n, e in enumerate(recorded_events())]
    kept = gemini_events.as_claude_events(everything)
    assert {ev.payload["hook_event_name"] for ev in kept} == {"SessionStart", "UserPromptSubmit", "PostToolUse",
                                                               "Stop", "SessionEnd"}
    assert compaction.compact_events(kept, "/work/repo") == \
        compaction.compact_events(gemini_events.as_claude_events(spool_events()), "/work/repo")


def test_other_agents_events_pass_unchanged() -> None:
    claude = compaction.SpoolEvent(1.0, "UserPromptSubmit", {"session_id": "s", "hook_event_name":
                                                             "UserPromptSubmit", "prompt": "<hook_context>x"}, "")
    assert gemini_events.as_claude_events([claude]) == [claude]
    assert not gemini_events.is_gemini_session([claude])


@pytest.mark.parametrize("text, display, expected", [
    ("<untrusted_context>\nOutput: a\nb\nExit Code: 3\nProcess Group PGID: 9\n</untrusted_context>", "a\nb",
     {"stdout": "a\nb", "exit_code": 3}),
    ("Output: fine\nProcess Group PGID: 9", "fine", {"stdout": "fine", "exit_code": 0}),
    ("Output: (empty)\nSignal: 15\nProcess Group PGID: 9", "", {"stdout": "(empty)", "exit_code": 0,
                                                                 "interrupted": True}),
    ("Command was cancelled by user before it could complete. There was no output before it was cancelled.", "",
     {"stdout": "", "interrupted": True}),
    ("Command moved to background (PID: 4242). Output hidden. Press Ctrl+B to view.", "",
     {"stdout": "", "backgroundTaskId": "pid 4242"}),
])
def test_a_shell_calls_result_text_says_how_it_ended(text: str, display: str, expected: dict) -> None:
    assert gemini_events.shell_response(text, display) == expected


def test_a_tool_that_reports_an_error_is_a_failure_and_an_unknown_tool_keeps_its_name() -> None:
    base = {"session_id": "s", "cwd": "/work/repo", "hook_event_name": "AfterTool"}
    failed = dict(base, tool_name="replace", tool_input={"file_path": "app.py", "old_string": "x", "new_string": "y"},
                  tool_response={"llmContent": "Error: no match", "error": {"message": "0 occurrences found",
                                                                           "type": "edit_no_occurrence_found"}})
    listed = dict(base, tool_name="list_directory", tool_input={"dir_path": "src"},
                  tool_response={"llmContent": "Directory listing"})
    events = [compaction.SpoolEvent(1.0 + n, "PostToolUse", p, "") for n, p in enumerate((failed, listed))]
    first, second = compaction.compact_events(gemini_events.as_claude_events(events), "/work/repo")
    assert (first.kind, first.tool, first.outcome, first.detail) == ("edit", "Edit", "error", "0 occurrences found")
    assert (second.kind, second.tool, second.outcome) == ("tool", "list_directory", "ok")
    assert second.text == 'list_directory(dir_path="src")'


def test_a_stop_takes_the_reply_from_the_transcript_not_the_garbled_prompt_response() -> None:
    from gitmem.capture.transcript import Turn

    after = json.loads((DATA / "hooks" / "AfterAgent.json").read_text())
    written = "Done. We decided to keep the ledger append-only because audits replay it."
    assert after["prompt_response"] != written  # what 0.61.0 sent: the streamed chunks joined, the last one twice
    turns = [Turn("user", "REC-TOOLS read the app", "2026-12-03T18:04:00.153Z"),
             Turn("assistant", "Plan: read first.", "2026-12-03T18:04:00.370Z"),
             Turn("assistant", written, after["timestamp"]),
             Turn("user", "REC-AGAIN show the status", "2026-12-03T18:04:03.778Z"),
             Turn("assistant", "Done again.", "2026-12-03T18:04:05.015Z")]
    event = compaction.SpoolEvent(1.0, "Stop", after, "")
    [stop] = gemini_events.as_claude_events([event], turns)
    assert stop.payload["last_assistant_message"] == written
    [stop] = gemini_events.as_claude_events([event], turns[:2])  # the reply is not there: what the hook said
    assert stop.payload["last_assistant_message"] == after["prompt_response"]
    [stop] = gemini_events.as_claude_events([event])
    assert stop.payload["last_assistant_message"] == after["prompt_response"]


# -- the brief in front of a prompt ----------------------------------------------------------------------------


def test_the_person_s_words_of_a_prompt_leave_out_the_hook_context_in_front() -> None:
    prompt = json.loads((DATA / "hooks" / "BeforeAgent.json").read_text())["prompt"]
    assert prompt.startswith("<hook_context>&lt;gitmem-memory&gt;")
    assert recall.own_words(prompt) == "REC-TOOLS read the app, add an outbox, edit and run it"
    assert recall.own_words("fix <hook_context> handling") == "fix <hook_context> handling"
    assert recall.own_words("<hook_context>never closed") == "<hook_context>never closed"


def test_prompt_recall_matches_the_prompt_not_the_brief_in_front_of_it(repo: Path) -> None:
    from gitmem.app import inject
    from gitmem.config import state_dir
    from gitmem.store import memory_ref
    from gitmem.store.records import SessionSummary

    git_repo = discover(repo)
    init_repository(git_repo)
    summary = SessionSummary(id="s1aaaaaa-0000", title="Use the outbox pattern for ledger writes",
                             started_at="2026-12-01T08:00:00Z", ended_at="2026-12-01T09:00:00Z", branch="main")
    memory_ref.write_session(git_repo, summary.id, summary.started_at, (), summary)
    inject.render_brief(git_repo)  # what a flush does: the index and the recall settings
    state = str(state_dir(git_repo.common_dir))
    brief = "&lt;gitmem-memory&gt;Use the outbox pattern for ledger writes&lt;/gitmem-memory&gt;"

    def prompt(words: str) -> bytes:
        return json.dumps({"session_id": "s", "prompt": f"<hook_context>{brief}</hook_context>\n\n{words}"}).encode()

    assert recall.recall_output(prompt("rename the variables"), state, str(repo)) is None  # the brief's words
    # without the block taken off, the brief's words would take the place of the prompt's and recall say nothing
    said = recall.recall_output(prompt("how do ledger writes use the outbox pattern"), state, str(repo))
    assert said is not None and b"s1aaaaaa" in said


# -- the transcript --------------------------------------------------------------------------------------------


def test_the_recorded_transcript_gives_each_prompt_and_reply_once_without_context() -> None:
    chats = Path.home() / ".gemini" / "tmp" / "repo" / "chats"
    chats.mkdir(parents=True)
    path = chats / "session-2026-12-03T18-04-00000001.jsonl"
    shutil.copy(DATA / "transcript.jsonl", path)
    assert gemini.is_gemini_transcript(str(path))
    said = read_gemini_transcript(str(path))
    assert [(t.role, t.text) for t in said.turns] == [
        ("user", "REC-TOOLS read the app, add an outbox, edit and run it"),
        ("assistant", "Done. We decided to keep the ledger append-only because audits replay it."),
        ("user", "REC-AGAIN show the status"), ("assistant", "Done again.")]
    elsewhere = Path.home() / "elsewhere" / ".gemini" / "tmp" / "repo" / "chats" / path.name
    elsewhere.parent.mkdir(parents=True)
    shutil.copy(path, elsewhere)
    assert read_gemini_transcript(str(elsewhere)).turns == ()  # not in the CLI's folder: not read


# -- install ---------------------------------------------------------------------------------------------------


def test_install_hooks_each_event_as_gitmem_names_it_and_keeps_the_file_out_of_git(repo: Path, hook: Path) -> None:
    result = install_gemini(repo, hook_path=hook)
    data = json.loads((repo / SETTINGS).read_text())
    assert list(data["hooks"]) == list(gemini.EVENTS)
    for event, ours in gemini.EVENTS.items():
        [group] = data["hooks"][event]
        [handler] = group["hooks"]
        assert is_gitmem_command(handler["command"]) and handler["command"].split()[-3] == ours
        assert str(hook) in handler["command"] and handler["timeout"] >= 10_000  # milliseconds
        assert ("matcher" in group) == (event == "AfterTool")
    assert result.added == tuple(gemini.EVENTS)
    assert git(repo, "status", "--porcelain", "--ignored", "--", ".gemini").startswith("!! .gemini/")
    assert any("trusted folder" in n for n in result.notes)  # nothing says the CLI trusts this folder


def test_a_second_install_changes_nothing_and_uninstall_gives_the_bytes_back(repo: Path, hook: Path) -> None:
    path = repo / SETTINGS
    path.parent.mkdir()
    original = ('{\n    "model": {"name": "gemini-2.5-pro"},\n    "hooks": {\n        "enabled": true,\n'
                '        "AfterTool": [{"matcher": "write_file", "hooks": [{"type": "command", "command": "lint"}]}]\n'
                '    }\n}\n')
    path.write_text(original)
    install_gemini(repo, hook_path=hook)
    once = path.read_bytes()
    again = install_gemini(repo, hook_path=hook)
    assert again.unchanged and path.read_bytes() == once
    data = json.loads(once)
    assert data["hooks"]["enabled"] is True and data["model"] == {"name": "gemini-2.5-pro"}
    assert data["hooks"]["AfterTool"][0]["hooks"][0]["command"] == "lint" and len(data["hooks"]["AfterTool"]) == 2
    assert '\n    "model"' in once.decode()  # the file's own indentation
    removed = uninstall_gemini(repo)
    assert set(removed.removed) == set(gemini.EVENTS)
    assert path.read_text() == original
    assert uninstall_gemini(repo).unchanged


def test_uninstall_deletes_the_file_and_its_exclude_line_when_the_install_created_them(repo: Path,
                                                                                       hook: Path) -> None:
    install_gemini(repo, hook_path=hook)
    notes = uninstall_gemini(repo).notes
    assert not (repo / ".gemini").exists() and any("deleted" in n for n in notes)
    assert ".gemini/settings.json" not in (repo / ".git" / "info" / "exclude").read_text()


@pytest.mark.parametrize("text, line, says", [
    ('{\n  "model": {}\n  "hooks": {}\n}\n', 3, "not valid JSON"),  # a missing comma
    ('{\n  "general": {},\n  "hooks": []\n}\n', 3, "`hooks` must be an object"),
    ('{\n  "hooks": {\n    "BeforeAgent": {"command": "x"}\n  }\n}\n', 3, "`hooks.BeforeAgent` must be a list"),
])
def test_a_bad_settings_file_is_an_error_naming_file_and_line_and_stays_unchanged(
        repo: Path, hook: Path, text: str, line: int, says: str) -> None:
    path = repo / SETTINGS
    path.parent.mkdir()
    path.write_text(text)
    for action in (lambda: install_gemini(repo, hook_path=hook), lambda: uninstall_gemini(repo)):
        with pytest.raises(ConfigError) as err:
            action()
        assert SETTINGS in err.value.message and f"line {line}" in err.value.message and says in err.value.message
        assert "gitmem install gemini" in (err.value.hint or "")
        assert path.read_text() == text


def test_shared_install_writes_portable_commands_for_the_team_and_no_exclude(repo: Path) -> None:
    result = install_gemini(repo, shared=True)
    data = json.loads((repo / SETTINGS).read_text())
    assert data["hooks"]["BeforeAgent"][0]["hooks"][0]["command"] == "gitmem hook UserPromptSubmit || true"
    assert git(repo, "status", "--porcelain", "--", ".gemini") == "?? .gemini/\n"  # there to commit
    assert not any("exclude" in n for n in result.notes)


def test_a_tracked_settings_file_gets_a_note_instead_of_an_exclude_line(repo: Path, hook: Path) -> None:
    (repo / ".gemini").mkdir()
    (repo / SETTINGS).write_text('{"general": {}}\n')
    git(repo, "add", SETTINGS)
    git(repo, "commit", "-q", "-m", "team settings")
    result = install_gemini(repo, hook_path=hook)
    assert any("git rm --cached .gemini/settings.json" in n for n in result.notes)


def test_status_says_what_stops_the_hooks(repo: Path, hook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gemini_hooks_status(repo).hooked == ()
    install_gemini(repo, hook_path=hook)
    status = gemini_hooks_status(repo)
    assert status.hooked == tuple(gemini.EVENTS) and not status.installed and status.folder_trusted is None
    monkeypatch.setenv("GEMINI_CLI_TRUST_WORKSPACE", "true")
    assert gemini_hooks_status(repo).installed and gemini_hooks_status(repo).problems == ()
    data = json.loads((repo / SETTINGS).read_text())
    del data["hooks"]["AfterTool"]
    data["hooks"]["enabled"] = False
    (repo / SETTINGS).write_text(json.dumps(data))
    problems = gemini_hooks_status(repo).problems
    assert any("missing AfterTool" in p for p in problems) and any("hooks.enabled" in p for p in problems)


def test_folder_trust_is_read_as_the_cli_reads_it(tmp_path: Path) -> None:
    folder = Path.home() / ".gemini"
    folder.mkdir()
    work = tmp_path / "work" / "payments"
    assert folder_trusted(work) is None
    (folder / "trustedFolders.json").write_text(json.dumps({str(tmp_path / "work" / "x"): "TRUST_PARENT",
                                                            str(work): "DO_NOT_TRUST"}))
    assert folder_trusted(work) is False            # the longer rule wins
    assert folder_trusted(tmp_path / "work" / "other") is True   # TRUST_PARENT: the parent's folders
    (folder / "settings.json").write_text(json.dumps({"security": {"folderTrust": {"enabled": False}}}))
    assert folder_trusted(work) is True


def test_init_sets_gemini_up_where_the_repository_has_a_gemini_folder(repo: Path, capsys) -> None:
    (repo / ".gemini").mkdir()
    os.chdir(repo)
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "Gemini CLI (.gemini/ in the repository)" in out
    assert is_gitmem_command(json.loads((repo / SETTINGS).read_text())["hooks"]["AfterAgent"][0]["hooks"][0]
                             ["command"])
    code, out, _ = run(capsys, "status")
    assert "gemini hooks:" in out
    code, out, _ = run(capsys, "uninstall", "gemini")
    assert code == 0 and "removed hooks for SessionStart" in out and not (repo / ".gemini" / "settings.json").exists()
    code, out, _ = run(capsys, "install", "gemini")
    assert code == 0 and (repo / SETTINGS).exists()
    code, out, _ = run(capsys, "uninstall")  # everything init set up, the Gemini CLI's hooks too
    assert code == 0 and ".gemini/settings.json: removed hooks for" in out and not (repo / SETTINGS).exists()
