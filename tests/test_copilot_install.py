"""`gitmem install copilot` / `uninstall copilot`: .github/hooks/gitmem.json edited surgically (agents/hooks_file.py),
git-ignored unless --shared, and Copilot's folder trust read from ``$COPILOT_HOME/config.json`` (never written).
tests/test_e2e_copilot.py runs the real client on what this writes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git, run

from gitmem.agents import copilot
from gitmem.agents.copilot_install import copilot_hooks_status, install_copilot, uninstall_copilot
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.git.worktree import matches_ignore_rules

HOOKS = ".github/hooks/gitmem.json"
COMMENTED = "// User settings belong in settings.json.\n// This file is managed automatically.\n"


@pytest.fixture
def copilot_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "copilot-home"
    monkeypatch.setenv("COPILOT_HOME", str(home))
    return home


def trust(home: Path, *folders: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(COMMENTED + json.dumps({"trustedFolders": [str(f) for f in folders]}))


def test_install_hooks_every_event_with_the_agent_named_and_keeps_the_file_out_of_git(
        repo: Path, hook: Path, copilot_home: Path) -> None:
    result = install_copilot(repo, hook_path=hook)
    data = json.loads((repo / HOOKS).read_text())
    assert result.added == copilot.COPILOT_EVENTS and set(data) == {"hooks"}
    for event, (group,) in data["hooks"].items():
        [handler] = group["hooks"]
        assert "matcher" not in group   # Copilot reads a matcher as a regular expression: none means every tool
        assert handler["command"].endswith(f" -I -S {hook} {event} copilot || true")
        assert handler["timeout"] == (15 if event == "SessionStart" else 10)
    assert matches_ignore_rules(discover(repo), HOOKS)
    assert not git(repo, "status", "--porcelain")   # nothing for git to see
    assert any("trusted folder" in n for n in result.notes)   # the person has not trusted the folder yet


def test_a_second_install_changes_no_byte_and_install_then_uninstall_leaves_no_trace(
        repo: Path, hook: Path, copilot_home: Path) -> None:
    exclude = Path(git(repo, "rev-parse", "--git-path", "info/exclude").strip())
    exclude = exclude if exclude.is_absolute() else repo / exclude
    before = exclude.read_text() if exclude.exists() else None
    install_copilot(repo, hook_path=hook)
    text = (repo / HOOKS).read_bytes()
    assert install_copilot(repo, hook_path=hook).unchanged and (repo / HOOKS).read_bytes() == text
    result = uninstall_copilot(repo)
    assert result.removed == copilot.COPILOT_EVENTS
    assert not (repo / ".github").exists()   # the file and both folders the install made
    assert (exclude.read_text() if exclude.exists() else None) == before
    assert uninstall_copilot(repo).unchanged


def test_uninstall_keeps_what_was_there_before_byte_for_byte(repo: Path, hook: Path, copilot_home: Path) -> None:
    (repo / ".github" / "hooks").mkdir(parents=True)
    mine = ('{\n    "version": 1,\n    "hooks": {\n        "postToolUse": [\n'
            '            {"type": "command", "bash": "./lint.sh", "timeoutSec": 30}\n        ]\n    }\n}\n')
    (repo / HOOKS).write_text(mine)
    install_copilot(repo, hook_path=hook)
    data = json.loads((repo / HOOKS).read_text())
    assert data["version"] == 1 and data["hooks"]["postToolUse"][0]["bash"] == "./lint.sh"
    assert set(copilot.COPILOT_EVENTS) <= set(data["hooks"])
    uninstall_copilot(repo)
    assert (repo / HOOKS).read_text() == mine


def test_invalid_json_names_file_and_line_and_changes_nothing(repo: Path, hook: Path, copilot_home: Path) -> None:
    (repo / ".github" / "hooks").mkdir(parents=True)
    broken = '{\n  "hooks": {\n    "Stop": [,]\n  }\n}\n'
    (repo / HOOKS).write_text(broken)
    for action in (lambda: install_copilot(repo, hook_path=hook), lambda: uninstall_copilot(repo)):
        with pytest.raises(ConfigError) as exc:
            action()
        assert HOOKS in exc.value.message and "line 3" in exc.value.message
        assert "gitmem install copilot" in exc.value.hint
        assert (repo / HOOKS).read_text() == broken
    (repo / HOOKS).write_text('{\n  "hooks": {\n    "Stop": {"type": "command"}\n  }\n}\n')
    with pytest.raises(ConfigError) as exc:
        install_copilot(repo, hook_path=hook)
    assert "`hooks.Stop` must be a list" in exc.value.message and "line 3" in exc.value.message


def test_shared_writes_portable_commands_to_commit_and_takes_back_the_exclude_line(
        repo: Path, hook: Path, copilot_home: Path) -> None:
    install_copilot(repo, hook_path=hook)
    assert matches_ignore_rules(discover(repo), HOOKS)
    result = install_copilot(repo, shared=True)
    data = json.loads((repo / HOOKS).read_text())
    assert {g[0]["hooks"][0]["command"] for g in data["hooks"].values()} == {
        f"gitmem hook {e} copilot || true" for e in copilot.COPILOT_EVENTS}
    assert set(result.replaced) == set(copilot.COPILOT_EVENTS)
    assert not matches_ignore_rules(discover(repo), HOOKS)
    assert any("so it can be committed" in n for n in result.notes)
    assert git(repo, "status", "--porcelain", "--untracked-files=all").strip() == f"?? {HOOKS}"


def test_status_says_whether_copilot_will_run_the_hooks(repo: Path, hook: Path, copilot_home: Path) -> None:
    assert copilot_hooks_status(repo).hooked == () and not copilot_hooks_status(repo).problems
    install_copilot(repo, hook_path=hook)
    st = copilot_hooks_status(repo)
    assert st.hooked == copilot.COPILOT_EVENTS and not st.folder_trusted and not st.installed
    assert any("trusted folder" in p for p in st.problems)
    trust(copilot_home, repo.parent)   # a folder above the repository counts (checked on the real client)
    st = copilot_hooks_status(repo)
    assert st.installed and st.problems == ()
    trust(copilot_home, repo / "sub")
    assert not copilot_hooks_status(repo).folder_trusted
    (copilot_home / "config.json").write_text("{ not json")
    assert any("cannot tell whether Copilot trusts" in p for p in copilot_hooks_status(repo).problems)
    trust(copilot_home, repo)
    data = json.loads((repo / HOOKS).read_text())
    del data["hooks"]["Stop"]
    (repo / HOOKS).write_text(json.dumps(data))
    assert any("incomplete (missing Stop)" in p for p in copilot_hooks_status(repo).problems)
    hook.unlink()
    assert any("rerun `gitmem install copilot`" in p and "is gone" in p for p in copilot_hooks_status(repo).problems)


def test_the_cli_installs_reports_and_uninstalls(in_repo: Path, copilot_home: Path, capsys) -> None:
    code, out, err = run(capsys, "install", "copilot")
    assert code == 0, err
    assert f"{HOOKS}: added hooks for {', '.join(copilot.COPILOT_EVENTS)}" in out and "trusted folder" in out
    status = json.loads(run(capsys, "status", "--json")[1])["copilot_hooks"]
    assert status["hooked"] == list(copilot.COPILOT_EVENTS) and status["folder_trusted"] is False
    assert "copilot hooks: not running" in run(capsys, "status")[1]
    trust(copilot_home, in_repo)
    assert "copilot hooks: installed in .github/hooks/gitmem.json, folder trusted" in run(capsys, "status")[1]
    code, out, err = run(capsys, "install", "copilot", "--force")
    assert code != 0 and "--force goes with `gitmem install claude`" in err
    code, out, err = run(capsys, "uninstall", "copilot")
    assert code == 0, err
    assert f"{HOOKS}: removed hooks for" in out and not (in_repo / ".github").exists()


@pytest.mark.parametrize("made, why", [
    (".github/copilot-instructions.md", ".github/copilot-instructions.md in the repository"),
    (".github/hooks/other.json", ".github/hooks/ in the repository"),
])
def test_init_sets_copilot_up_where_the_repository_uses_it(in_repo: Path, copilot_home: Path, made: str, why: str,
                                                           monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    (in_repo / made).parent.mkdir(parents=True)
    (in_repo / made).write_text("{}\n" if made.endswith(".json") else "# instructions\n")
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert f"agents set up: Claude Code, Copilot CLI ({why})" in out
    assert set(json.loads((in_repo / HOOKS).read_text())["hooks"]) == set(copilot.COPILOT_EVENTS)
    code, out, err = run(capsys, "uninstall")
    assert code == 0, err
    assert f"{HOOKS}: removed hooks for" in out and not (in_repo / HOOKS).exists()
    assert (in_repo / made).exists()


def test_init_sets_copilot_up_when_copilot_is_on_path_and_not_otherwise(in_repo: Path, copilot_home: Path,
                                                                        tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert not copilot.found_here(in_repo)
    assert run(capsys, "init")[0] == 0 and not (in_repo / ".github").exists()
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "copilot").write_text("#!/bin/sh\nexit 0\n")
    (folder / "copilot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin:/bin")
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "Copilot CLI (copilot on PATH)" in out and (in_repo / HOOKS).exists()
