"""gitmem's entries in Claude Code's settings files, on real files in real repositories."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, git

import gitmem
from gitmem.app.project import init_repository
from gitmem.errors import ConfigError, GitmemError
from gitmem.git import discover
from gitmem.integrations import claude_commands
from gitmem.integrations.claude_commands import CLAUDE_EVENTS, is_gitmem_command
from gitmem.integrations.install import (LOCAL_SETTINGS, SHARED_SETTINGS, claude_hooks_status, install_claude,
                                         uninstall_claude)

TOP = Path(__file__).resolve().parents[1]


def venv_python(tmp_path: Path, name: str) -> str:
    """A venv-like ``bin/python`` symlink to this interpreter."""
    path = tmp_path / name / "bin" / "python"
    path.parent.mkdir(parents=True)
    path.symlink_to(sys.executable)
    return str(path)


def handlers(settings: dict, event: str) -> list[dict]:
    return [h for group in settings["hooks"].get(event, []) for h in group["hooks"]]


def gitmem_handlers(settings: dict, event: str) -> list[dict]:
    return [h for h in handlers(settings, event) if is_gitmem_command(h["command"])]


def write_json(path: Path, data: object, indent: int | str = 2, newline: bool = True) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = (json.dumps(data, indent=indent) + ("\n" if newline else "")).encode()
    path.write_bytes(raw)
    return raw


OTHER_TOOL = {
    "permissions": {"allow": ["Bash(npm test:*)"]},
    "hooks": {
        "PostToolUse": [{"matcher": "Edit|Write",
                         "hooks": [{"type": "command", "command": "npx prettier --write \"$FILE\""}]}],
        "Notification": [{"hooks": [{"type": "command", "command": "notify-send claude"}]}],
    },
    "model": "opus",
}


# -- install ------------------------------------------------------------------------


def test_install_writes_fast_commands_for_every_event(repo: Path, hook: Path):
    result = install_claude(repo, hook_path=hook)

    path = repo / LOCAL_SETTINGS
    assert result.path == path and result.added == CLAUDE_EVENTS and not result.unchanged
    text = path.read_text()
    assert text.endswith("}\n") and text.startswith('{\n  "hooks": {\n    "SessionStart"')
    settings = json.loads(text)
    assert tuple(settings["hooks"]) == CLAUDE_EVENTS
    for event in CLAUDE_EVENTS:
        (group,) = settings["hooks"][event]
        (handler,) = group["hooks"]
        assert handler["command"] == f"{shlex.quote(sys.executable)} -I -S {hook} {event} || true"
        assert handler["type"] == "command" and 0 < handler["timeout"] <= 15
        assert group.get("matcher") == ("*" if event in ("PostToolUse", "PostToolUseFailure") else None)


@pytest.mark.parametrize("shared", [False, True])
def test_installed_command_records_an_event_when_claude_runs_it(repo: Path, shared: bool):
    """Run the command text from the settings file through a shell, as Claude Code does."""
    init_repository(discover(repo))
    install_claude(repo, shared=shared)
    (group,) = json.loads((repo / (SHARED_SETTINGS if shared else LOCAL_SETTINGS)).read_text())["hooks"]["PostToolUse"]
    payload = next(line for line in (FIXTURES / "session-hooks.jsonl").read_text().splitlines()
                   if json.loads(line)["hook_event_name"] == "PostToolUse")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "CLAUDE_PROJECT_DIR": str(repo), "GITMEM_NO_WORKER": "1"}

    proc = subprocess.run(["sh", "-c", group["hooks"][0]["command"]], input=payload.encode(), cwd=repo,
                          env=env, capture_output=True, timeout=group["hooks"][0]["timeout"])

    assert proc.returncode == 0 and proc.stdout == b"", proc.stderr
    (spool,) = (repo / ".git" / "gitmem" / "spool").glob("*.jsonl")
    assert json.loads(spool.read_text())["event"] == "PostToolUse"


def test_hook_command_is_the_package_hook_file_and_quotes_paths_with_spaces(tmp_path: Path):
    assert claude_commands.hook_file() == Path(gitmem.__file__).parent / "_hook.py"
    assert claude_commands.hook_file().is_file()
    command = claude_commands.fast_command("Stop", "/opt/my env/bin/python", "/opt/my env/gitmem/_hook.py")
    assert shlex.split(command) == ["/opt/my env/bin/python", "-I", "-S", "/opt/my env/gitmem/_hook.py", "Stop",
                                    "||", "true"]
    assert is_gitmem_command(command)


def test_install_merges_next_to_other_tools_hooks_and_keeps_key_order(repo: Path, hook: Path):
    write_json(repo / LOCAL_SETTINGS, OTHER_TOOL)

    result = install_claude(repo, hook_path=hook)

    settings = json.loads((repo / LOCAL_SETTINGS).read_text())
    assert list(settings) == ["permissions", "hooks", "model"]
    assert list(settings["hooks"]) == ["PostToolUse", "Notification"] + [
        e for e in CLAUDE_EVENTS if e != "PostToolUse"]
    post = settings["hooks"]["PostToolUse"]
    assert post[0] == OTHER_TOOL["hooks"]["PostToolUse"][0]
    assert len(post) == 2 and is_gitmem_command(post[1]["hooks"][0]["command"])
    assert settings["hooks"]["Notification"] == OTHER_TOOL["hooks"]["Notification"]
    assert settings["permissions"] == OTHER_TOOL["permissions"] and settings["model"] == "opus"
    assert result.added == CLAUDE_EVENTS


def test_second_install_leaves_the_file_byte_identical(repo: Path, hook: Path):
    write_json(repo / LOCAL_SETTINGS, OTHER_TOOL)
    install_claude(repo, hook_path=hook)
    first = (repo / LOCAL_SETTINGS).read_bytes()
    record = (repo / ".git" / "gitmem" / "claude-install.json").read_bytes()

    again = install_claude(repo, hook_path=hook)

    assert (repo / LOCAL_SETTINGS).read_bytes() == first
    assert (repo / ".git" / "gitmem" / "claude-install.json").read_bytes() == record
    assert again.unchanged and again.added == again.replaced == again.removed == ()


def test_reinstall_with_another_interpreter_replaces_gitmem_entry(repo: Path, hook: Path, tmp_path: Path):
    write_json(repo / LOCAL_SETTINGS, OTHER_TOOL)
    old = venv_python(tmp_path, "venv-old")
    new = venv_python(tmp_path, "venv-new")
    install_claude(repo, python=old, hook_path=hook)

    result = install_claude(repo, python=new, hook_path=hook)

    settings = json.loads((repo / LOCAL_SETTINGS).read_text())
    for event in CLAUDE_EVENTS:
        (mine,) = gitmem_handlers(settings, event)
        # the venv's symlink, as given: resolving it would run outside the venv
        assert shlex.split(mine["command"])[0] == new != os.path.realpath(new)
    assert len(handlers(settings, "PostToolUse")) == 2
    assert result.replaced == CLAUDE_EVENTS and result.added == ()
    assert old not in (repo / LOCAL_SETTINGS).read_text()


def test_reinstall_swaps_only_gitmem_handler_in_a_shared_group(repo: Path, hook: Path):
    mixed = {"hooks": {"Stop": [{"hooks": [
        {"type": "command", "command": "say done"},
        {"type": "command", "command": "/old/venv/bin/python -I -S /old/site/gitmem/hook.py Stop"},
        {"type": "command", "command": "gitmem hook Stop"},  # a duplicate from an earlier install
    ]}]}}
    write_json(repo / LOCAL_SETTINGS, mixed)

    install_claude(repo, hook_path=hook)

    (group,) = json.loads((repo / LOCAL_SETTINGS).read_text())["hooks"]["Stop"]
    assert [h["command"] for h in group["hooks"]] == [
        "say done", claude_commands.fast_command("Stop", sys.executable, hook)]


def test_install_drops_gitmem_entries_from_events_it_no_longer_uses(repo: Path, hook: Path):
    write_json(repo / LOCAL_SETTINGS, {"hooks": {"Notification": [
        {"hooks": [{"type": "command", "command": "gitmem hook Notification"}]}]}})

    result = install_claude(repo, hook_path=hook)

    assert result.removed == ("Notification",)
    assert "Notification" not in json.loads((repo / LOCAL_SETTINGS).read_text())["hooks"]


def test_shared_install_is_portable(repo: Path, tmp_path: Path):
    exclude = repo / ".git" / "info" / "exclude"
    exclude_before = exclude.read_bytes()

    result = install_claude(repo, shared=True, python="/nonexistent/python")

    path = repo / SHARED_SETTINGS
    assert result.path == path and result.added == CLAUDE_EVENTS
    text = path.read_text()
    assert str(tmp_path) not in text and sys.executable not in text
    settings = json.loads(text)
    for event in CLAUDE_EVENTS:
        (mine,) = handlers(settings, event)
        assert mine["command"] == f"gitmem hook {event} || true"
        assert not any(word.startswith("/") for word in shlex.split(mine["command"]))
    assert exclude.read_bytes() == exclude_before
    assert "?? .claude/" in git(repo, "status", "--porcelain")  # ready to commit and share


# -- uninstall ----------------------------------------------------------------------


ORIGINALS = {
    "other tools": (OTHER_TOOL, 2, True),
    "empty hooks object": ({"model": "opus", "hooks": {}}, 2, True),
    "empty event list": ({"hooks": {"Stop": [], "PostToolUse": []}}, 2, True),
    "empty object": ({}, 2, True),
    "four spaces": (OTHER_TOOL, 4, True),
    "tabs": (OTHER_TOOL, "\t", True),
    "no final newline": (OTHER_TOOL, 2, False),
    "non-ascii": ({"env": {"GREETING": "grüß dich"}, "hooks": {}}, 2, True),
}


@pytest.mark.parametrize("name", list(ORIGINALS))
def test_install_then_uninstall_restores_the_original_bytes(repo: Path, hook: Path, name: str):
    data, indent, newline = ORIGINALS[name]
    original = write_json(repo / LOCAL_SETTINGS, data, indent=indent, newline=newline)

    installed = install_claude(repo, hook_path=hook)
    assert (repo / LOCAL_SETTINGS).read_bytes() != original
    assert not any("reformatted" in note for note in installed.notes)
    (result,) = uninstall_claude(repo, shared=False)

    assert (repo / LOCAL_SETTINGS).read_bytes() == original
    assert set(result.removed) == set(CLAUDE_EVENTS) and not result.unchanged


def test_uninstall_deletes_the_file_and_folder_it_created(repo: Path, hook: Path):
    exclude = repo / ".git" / "info" / "exclude"
    before = exclude.read_bytes()
    install_claude(repo, hook_path=hook)
    assert exclude.read_bytes() != before

    (result,) = uninstall_claude(repo, shared=False)

    assert not (repo / ".claude").exists()
    assert exclude.read_bytes() == before
    assert result.removed == CLAUDE_EVENTS
    assert git(repo, "status", "--porcelain") == ""


def test_uninstall_without_a_record_removes_only_what_it_emptied(repo: Path, hook: Path):
    """A teammate's shared install: no local record of what was created."""
    original = write_json(repo / SHARED_SETTINGS, OTHER_TOOL)
    install_claude(repo, shared=True)
    (repo / ".git" / "gitmem" / "claude-install.json").unlink()

    uninstall_claude(repo, shared=True)

    assert (repo / SHARED_SETTINGS).read_bytes() == original


def test_uninstall_of_both_files_reports_each(repo: Path, hook: Path):
    install_claude(repo, hook_path=hook)
    original_shared = write_json(repo / SHARED_SETTINGS, OTHER_TOOL)
    install_claude(repo, shared=True)

    local, shared = uninstall_claude(repo)

    assert local.path == repo / LOCAL_SETTINGS and local.removed == CLAUDE_EVENTS
    assert shared.path == repo / SHARED_SETTINGS and set(shared.removed) == set(CLAUDE_EVENTS)
    assert not (repo / LOCAL_SETTINGS).exists()
    assert (repo / SHARED_SETTINGS).read_bytes() == original_shared
    assert [r.unchanged for r in uninstall_claude(repo)] == [True, True]


def test_uninstall_keeps_other_handlers_in_a_group_it_shares(repo: Path, hook: Path):
    write_json(repo / LOCAL_SETTINGS, {"hooks": {"Stop": [{"hooks": [
        {"type": "command", "command": "say done"},
        {"type": "command", "command": "gitmem hook Stop"}]}]}})

    uninstall_claude(repo, shared=False)

    settings = json.loads((repo / LOCAL_SETTINGS).read_text())
    assert settings == {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say done"}]}]}}


# -- errors leave files alone ----------------------------------------------------------


BAD_JSON = '{\n  "permissions": {\n    "allow": ["Bash(ls)"]\n  },,\n  "model": "opus"\n}\n'


@pytest.mark.parametrize("operation", ["install", "uninstall"])
def test_invalid_json_names_file_and_line_and_changes_nothing(repo: Path, hook: Path, operation: str):
    path = repo / LOCAL_SETTINGS
    path.parent.mkdir()
    path.write_text(BAD_JSON)

    with pytest.raises(ConfigError) as caught:
        if operation == "install":
            install_claude(repo, hook_path=hook)
        else:
            uninstall_claude(repo)

    assert LOCAL_SETTINGS in caught.value.message and "line 4" in caught.value.message
    assert "rerun `gitmem install claude`" in caught.value.hint
    assert path.read_text() == BAD_JSON
    assert os.listdir(path.parent) == ["settings.local.json"]


@pytest.mark.parametrize("text, fragment", [
    ('{\n  "note": "the \\"hooks\\" key",\n  "hooks": [\n    "PostToolUse"\n  ]\n}\n',
     "`hooks` must be an object of event names, not an array (line 3)"),
    ('{\n  "hooks": {\n    "Notification": [],\n    "PostToolUse": {\n      "matcher": "*"\n    }\n  }\n}\n',
     "`hooks.PostToolUse` must be a list of matcher groups, not an object (line 4)"),
    ('\n[\n  "hooks"\n]\n', "must hold a JSON object, not an array (line 2)"),
])
def test_wrongly_typed_settings_name_the_line_and_change_nothing(repo: Path, hook: Path, text: str,
                                                                  fragment: str):
    path = repo / SHARED_SETTINGS
    path.parent.mkdir()
    path.write_text(text)

    with pytest.raises(ConfigError) as caught:
        install_claude(repo, shared=True)

    assert SHARED_SETTINGS in caught.value.message and fragment in caught.value.message
    assert path.read_text() == text


def test_interpreter_and_hook_file_are_checked_before_writing(repo: Path, hook: Path, tmp_path: Path):
    with pytest.raises(GitmemError, match="absolute path"):
        install_claude(repo, python="python3", hook_path=hook)
    with pytest.raises(GitmemError, match="not an executable file"):
        install_claude(repo, python=str(tmp_path / "no-such-python"), hook_path=hook)
    with pytest.raises(GitmemError, match="hook file .* is missing"):
        install_claude(repo, hook_path=tmp_path / "gone" / "gitmem" / "_hook.py")
    assert not (repo / ".claude").exists()


# -- the file on disk and git's view of it -------------------------------------------------


def test_write_keeps_permissions_symlinks_and_leaves_no_temp_files(repo: Path, hook: Path, tmp_path: Path):
    dotfiles = tmp_path / "dotfiles" / "claude-local.json"
    write_json(dotfiles, OTHER_TOOL)
    dotfiles.chmod(0o640)
    (repo / ".claude").mkdir()
    (repo / LOCAL_SETTINGS).symlink_to(dotfiles)

    install_claude(repo, hook_path=hook)

    assert (repo / LOCAL_SETTINGS).is_symlink()
    assert gitmem_handlers(json.loads(dotfiles.read_text()), "Stop")
    assert stat.S_IMODE(dotfiles.stat().st_mode) == 0o640
    assert os.listdir(dotfiles.parent) == ["claude-local.json"]
    assert os.listdir(repo / ".claude") == ["settings.local.json"]


def test_local_settings_are_excluded_once_from_git(repo: Path, hook: Path):
    result = install_claude(repo, hook_path=hook)
    install_claude(repo, hook_path=hook)

    exclude = (repo / ".git" / "info" / "exclude").read_text()
    assert exclude.count("/.claude/settings.local.json\n") == 1
    assert git(repo, "status", "--porcelain") == ""
    assert any("exclude" in note for note in result.notes)


def test_exclude_is_left_alone_when_gitignore_already_ignores_the_file(repo: Path, hook: Path):
    (repo / ".gitignore").write_text(".claude/settings.local.json\n")
    before = (repo / ".git" / "info" / "exclude").read_bytes()

    result = install_claude(repo, hook_path=hook)

    assert (repo / ".git" / "info" / "exclude").read_bytes() == before
    assert not any("exclude" in note for note in result.notes)


def test_tracked_local_settings_get_a_warning_not_an_exclude(repo: Path, hook: Path):
    write_json(repo / LOCAL_SETTINGS, {})
    git(repo, "add", LOCAL_SETTINGS)
    git(repo, "commit", "-q", "-m", "settings")
    before = (repo / ".git" / "info" / "exclude").read_bytes()

    result = install_claude(repo, hook_path=hook)

    assert any("git rm --cached" in note for note in result.notes)
    assert (repo / ".git" / "info" / "exclude").read_bytes() == before


def test_linked_worktree_excludes_through_the_common_dir(repo: Path, hook: Path, tmp_path: Path):
    worktree = tmp_path / "feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))

    install_claude(worktree, hook_path=hook)

    assert (worktree / LOCAL_SETTINGS).exists() and not (repo / ".claude").exists()
    assert "/.claude/settings.local.json" in (repo / ".git" / "info" / "exclude").read_text()
    assert not (repo / ".git" / "worktrees" / "feature" / "info" / "exclude").exists()
    assert git(worktree, "status", "--porcelain") == ""

    uninstall_claude(worktree)
    assert not (worktree / ".claude").exists()
    assert "settings.local.json" not in (repo / ".git" / "info" / "exclude").read_text()


HAND_WRITTEN = {
    "inline arrays": '{\n  "permissions": {"allow": ["Bash(npm test:*)", "Read"]},\n  "model": "opus"\n}\n',
    "one line": '{"model": "opus", "permissions": {"allow": []}}\n',
    "spaced colons, 4 spaces": '{\n    "model" : "opus",\n    "hooks" : {\n        "Notification" : []\n    }\n}',
    "tabs, CRLF, numbers": '{\r\n\t"cleanupPeriodDays": 30.0,\r\n\t"env": {"A": "1e3"},\r\n\t"hooks": {}\r\n}\r\n',
    "escaped non-ASCII": '{\n  "env": {"GREETING": "gr\\u00fc\\u00df dich"}\n}\n',
}


@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("name", list(HAND_WRITTEN))
def test_hand_formatted_settings_keep_their_bytes_through_install_and_uninstall(repo: Path, hook: Path,
                                                                                name: str, shared: bool):
    """Issue 14 item 16: a committed settings.json came back with the same content but other bytes."""
    path = repo / (SHARED_SETTINGS if shared else LOCAL_SETTINGS)
    path.parent.mkdir()
    original = HAND_WRITTEN[name].encode()
    path.write_bytes(original)

    first = install_claude(repo, shared=shared, hook_path=hook)
    written = path.read_bytes()
    assert install_claude(repo, shared=shared, hook_path=hook).unchanged and path.read_bytes() == written
    uninstall_claude(repo, shared=shared)

    assert path.read_bytes() == original
    assert set(first.added) == set(CLAUDE_EVENTS)
    # Only gitmem's entries were added: every original line is still there, unchanged.
    text = written.decode()
    assert all(line in text for line in HAND_WRITTEN[name].splitlines()[:-1] if not line.strip().endswith("{}"))


# -- status -----------------------------------------------------------------------------


def test_status_reports_where_each_event_is_hooked(repo: Path, hook: Path):
    assert claude_hooks_status(repo).missing == CLAUDE_EVENTS
    install_claude(repo, hook_path=hook)

    status = claude_hooks_status(repo)

    assert status.installed and status.problems == ()
    assert status.events == {e: (LOCAL_SETTINGS,) for e in CLAUDE_EVENTS}
    assert status.to_json()["installed"] is True


def test_status_names_double_recording_stale_paths_and_bad_files(repo: Path, hook: Path, tmp_path: Path):
    python = venv_python(tmp_path, "venv-gone")
    install_claude(repo, python=python, hook_path=hook)
    install_claude(repo, shared=True)
    os.unlink(python)

    status = claude_hooks_status(repo)

    assert status.events["Stop"] == (LOCAL_SETTINGS, SHARED_SETTINGS)
    assert any("recorded twice" in p for p in status.problems)
    assert any(f"interpreter {python} is gone" in p for p in status.problems)

    (repo / SHARED_SETTINGS).write_text("{ nope")
    broken = claude_hooks_status(repo)
    assert any(SHARED_SETTINGS in p and "line 1" in p for p in broken.problems)
    assert broken.events["Stop"] == (LOCAL_SETTINGS,)


def test_install_notes_when_the_other_file_also_hooks_gitmem(repo: Path, hook: Path):
    install_claude(repo, shared=True)

    result = install_claude(repo, hook_path=hook)

    assert any(SHARED_SETTINGS in n and "recorded by both" in n for n in result.notes)


# -- recognising gitmem's own commands ---------------------------------------------------


@pytest.mark.parametrize("command, ours", [
    ("gitmem hook Stop", True),
    ("/home/me/.local/bin/gitmem hook PostToolUse", True),
    ("/v/bin/python -I -S /v/lib/python3.11/site-packages/gitmem/_hook.py Stop", True),
    ("/v/bin/python -I -S /v/lib/python3.11/site-packages/gitmem/hook.py Stop", True),
    ("'/my venv/bin/python' -I -S '/my venv/gitmem/hook.py' SessionStart", True),
    ("gitmem sync", False),
    ("npx prettier --write", False),
    ("python3 ${CLAUDE_PLUGIN_ROOT}/hooks/posttooluse.py", False),
    ("echo 'unbalanced", False),
])
def test_gitmem_commands_are_recognised_by_their_marker(command: str, ours: bool):
    assert is_gitmem_command(command) is ours


# -- the plugin layout ---------------------------------------------------------------------


def test_plugin_manifest_is_valid_and_leaves_hooks_to_the_standard_file():
    manifest = json.loads((TOP / ".claude-plugin" / "plugin.json").read_text())

    assert manifest["name"] == "gitmem" and manifest["version"] == gitmem.__version__
    # Claude Code loads hooks/hooks.json by itself; naming it again is a duplicate-load error.
    assert "hooks" not in manifest


def test_plugin_hooks_are_generated_and_cover_the_same_events():
    text = (TOP / "hooks" / "hooks.json").read_text()
    plugin = json.loads(text)

    assert text == claude_commands.render_plugin_hooks()
    assert tuple(plugin["hooks"]) == CLAUDE_EVENTS
    assert plugin["hooks"] == claude_commands.hooks_config(claude_commands.portable_command)


def test_a_broken_install_never_blocks_the_session(tmp_path: Path):
    """python exits 2 for a missing script, and 2 means "block" to Claude Code: the command must still exit 0."""
    import subprocess

    for command in (claude_commands.fast_command("UserPromptSubmit", sys.executable, tmp_path / "gone" / "_hook.py"),
                    claude_commands.portable_command("UserPromptSubmit").replace("gitmem", str(tmp_path / "no-gitmem"), 1)):
        proc = subprocess.run(["sh", "-c", command], input=b"{}", capture_output=True, timeout=60)
        assert proc.returncode == 0, (command, proc.stderr)
        assert proc.stdout == b""


# -- the gitmem plugin (issue 14 item 11) ------------------------------------------------------------------


def enable_plugin(settings: Path, value: bool = True, key: str = "gitmem@gitmem-local") -> None:
    """``enabledPlugins`` as `claude plugin install|disable --scope ...` (Claude Code 2.1.328) writes it."""
    data = json.loads(settings.read_text()) if settings.exists() else {}
    data.setdefault("enabledPlugins", {})[key] = value
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps(data, indent=2) + "\n")


def test_status_says_the_enabled_plugin_brings_the_hooks(repo: Path, isolated_env: Path):
    """Status said "incomplete, run `gitmem install claude`", which doubled every event."""
    from gitmem.app.project import repository_status
    from gitmem.cli import render

    enable_plugin(isolated_env / ".claude" / "settings.json")
    init_repository(discover(repo))

    status = claude_hooks_status(repo)
    text = render.status_text(repository_status(discover(repo)))

    assert status.installed and status.plugin is not None and status.plugin.key == "gitmem@gitmem-local"
    assert "claude hooks: via the gitmem plugin (gitmem@gitmem-local, enabled in ~/.claude/settings.json)" in text
    assert "install claude" not in text
    assert status.to_json()["plugin"] == {"plugin": "gitmem@gitmem-local", "enabled": True,
                                          "settings": "~/.claude/settings.json"}


@pytest.mark.parametrize("scopes, enabled", [
    ({"user": True}, True),
    ({"project": True}, True),
    ({"local": True}, True),
    ({"user": True, "local": False}, False),      # `claude plugin disable --scope local` overrides the user
    ({"user": False, "project": True}, True),
    ({"user": False}, False),
], ids=["user", "project", "local", "local-disables", "project-enables", "user-disabled"])
def test_the_most_specific_settings_file_decides_whether_the_plugin_is_on(repo: Path, isolated_env: Path,
                                                                           scopes: dict, enabled: bool):
    files = {"user": isolated_env / ".claude" / "settings.json", "project": repo / SHARED_SETTINGS,
             "local": repo / LOCAL_SETTINGS}
    for scope, value in scopes.items():
        enable_plugin(files[scope], value)

    assert (claude_hooks_status(repo).plugin is not None) == enabled


def test_claude_config_dir_holds_the_user_settings(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    enable_plugin(tmp_path / "claude-config" / "settings.json")

    assert claude_hooks_status(repo).plugin is not None


def test_install_refuses_to_double_the_plugins_hooks_unless_forced(repo: Path, hook: Path, isolated_env: Path):
    enable_plugin(isolated_env / ".claude" / "settings.json")

    with pytest.raises(GitmemError) as refused:
        install_claude(repo, hook_path=hook)
    assert "plugin" in refused.value.message and "twice" in refused.value.message
    assert "--force" in refused.value.hint
    assert not (repo / ".claude").exists()

    install_claude(repo, hook_path=hook, force=True)
    status = claude_hooks_status(repo)
    assert any("recorded twice" in p and "gitmem uninstall claude" in p for p in status.problems)


def test_init_with_the_plugin_enabled_installs_no_hooks(repo: Path, isolated_env: Path, capsys,
                                                        monkeypatch: pytest.MonkeyPatch):
    from conftest import run

    enable_plugin(isolated_env / ".claude" / "settings.json")
    monkeypatch.chdir(repo)

    code, out, err = run(capsys, "init")
    status_code, status_out, _ = run(capsys, "status")

    assert code == 0, err
    assert "via the gitmem plugin" in out and not (repo / LOCAL_SETTINGS).exists()
    assert status_code == 0 and "via the gitmem plugin" in status_out and "install claude" not in status_out
    assert run(capsys, "install", "claude")[0] == 1
    assert not (repo / LOCAL_SETTINGS).exists()
