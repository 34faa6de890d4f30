"""`gitmem install codex` / `uninstall codex`: .codex/hooks.json edited surgically, gitmem's hooks trusted in
``$CODEX_HOME/config.toml`` the way Codex computes trust (checked against hashes the real codex 0.171.0 printed;
tests/test_e2e_codex.py runs the real client on what this writes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import git, run

from gitmem.agents import codex
from gitmem.agents.codex_config import plan_hook_trust, read_trust
from gitmem.agents.codex_install import codex_hooks_status, gitmem_trust, install_codex, uninstall_codex
from gitmem.errors import ConfigError
from gitmem.integrations.claude_commands import is_gitmem_command

HOOKS = ".codex/hooks.json"


@pytest.fixture
def codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "codex-home"
    monkeypatch.setenv("CODEX_HOME", str(home))
    return home


# -- Codex's trust, as the real client computes it -------------------------------------------------------------

# (event, group, handler) -> the currentHash `codex app-server` (hooks/list) reported for it, codex-cli 0.171.0.
REAL_HASHES = [
    ("PreToolUse", {}, {"type": "command", "command": "python3 /tmp/cx/recorder.py PreToolUse"},
     "sha256:0449235c9a1167cd846a5a0f9bda97f44c410a616989110dd56645b033d9fc40"),
    ("Stop", {}, {"type": "command", "command": "python3 /tmp/cx/recorder.py Stop"},
     "sha256:10d04a141a0fc7703de66e9a1a136f735aefed2fbda46cf1bed3e584d874705b"),
    ("SessionEnd", {}, {"type": "command", "command": "python3 /tmp/cx/recorder.py SessionEnd"},  # no timeout: 1
     "sha256:92ff9f22642426d4d5977478f5f60cbf064df36596c3ed2f889ebe194c134a50"),
    ("SessionEnd", {}, {"type": "command", "command": "true A", "timeout": 10},  # clamped to 3
     "sha256:9c77e202717141017d28e190547f39071e47ce7e7687ece608957e2f6af4796a"),
    ("SessionStart", {"matcher": "startup|resume"},
     {"type": "command", "command": "true B", "timeout": 15, "statusMessage": "gitmem"},
     "sha256:d73a77ad44823f6f568cde80a3728e734d414acf5b8b695187cf06bfa9ad0baf"),
    ("PostToolUse", {"matcher": "*"}, {"type": "command", "command": "true C", "timeout": 10},
     "sha256:17544923a36e23feafa16cd6d2d8ab3bcc14ffc24d9064bcac6ba57d38d32c5f"),
]


@pytest.mark.parametrize("event, group, handler, expected", REAL_HASHES)
def test_trust_hash_is_the_one_the_real_codex_computed(event: str, group: dict, handler: dict, expected: str) -> None:
    group = dict(group, hooks=[handler])
    assert codex.trust_hash(event, group, handler) == expected


def test_trust_key_is_the_file_the_event_label_and_the_position(tmp_path: Path) -> None:
    assert codex.trust_key(tmp_path / ".codex/hooks.json", "UserPromptSubmit", 2, 1) == \
        f"{tmp_path}/.codex/hooks.json:user_prompt_submit:2:1"


# -- install -----------------------------------------------------------------------------------------------------


def test_install_writes_every_event_trusts_each_hook_and_keeps_the_file_out_of_git(
        repo: Path, hook: Path, codex_home: Path) -> None:
    result = install_codex(repo, hook_path=hook)

    data = json.loads((repo / HOOKS).read_text())
    assert set(data["hooks"]) == set(codex.CODEX_EVENTS)
    for event in codex.CODEX_EVENTS:
        [group] = data["hooks"][event]
        [handler] = group["hooks"]
        assert is_gitmem_command(handler["command"]) and handler["command"].split()[-3:-2] == [event]
        assert str(hook) in handler["command"] and "matcher" not in group
    assert data["hooks"]["SessionEnd"][0]["hooks"][0]["timeout"] == 3
    trust = read_trust(codex_home / "config.toml")
    assert trust.hooks == gitmem_trust(repo / HOOKS, data) and len(trust.hooks) == len(codex.CODEX_EVENTS)
    assert trust.projects == {}  # the project's trust is the person's decision
    assert any("codex exec --trust" in n for n in result.notes)
    assert git(repo, "status", "--porcelain", "--ignored", "--", ".codex").startswith("!! .codex/")
    status = codex_hooks_status(repo)
    assert all(status.events.values()) and not status.project_trusted and not status.installed
    assert status.problems == (
        "Codex loads .codex/hooks.json only in a trusted project: trust this one once with `codex exec --trust` "
        "here, or accept the folder when `codex` asks",)


def test_a_second_install_changes_no_byte(repo: Path, hook: Path, codex_home: Path) -> None:
    install_codex(repo, hook_path=hook)
    files = {p: p.read_bytes() for p in (repo / HOOKS, codex_home / "config.toml")}

    again = install_codex(repo, hook_path=hook)

    assert again.unchanged and again.added == again.replaced == ()
    assert {p: p.read_bytes() for p in files} == files


OTHERS = ('{\n    "hooks": {\n        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]\n'
          '    },\n    "x": 1\n}\n')
CONFIG = ('model = "o3"  # mine\n\n[projects."/elsewhere"]\ntrust_level = "trusted"\n\n'
          '[hooks.state."/elsewhere/.codex/hooks.json:stop:0:0"]\ntrusted_hash = "sha256:abc"\n')


def test_install_then_uninstall_gives_back_both_files_byte_for_byte(repo: Path, hook: Path, codex_home: Path) -> None:
    (repo / ".codex").mkdir()
    (repo / HOOKS).write_text(OTHERS)
    codex_home.mkdir()
    (codex_home / "config.toml").write_text(CONFIG)
    (codex_home / "config.toml").chmod(0o600)

    install_codex(repo, hook_path=hook)
    data = json.loads((repo / HOOKS).read_text())
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"] == "notify-send done" and data["x"] == 1
    # gitmem's Stop handler is the second group: its trust key says so
    assert f"{repo}/{HOOKS}:stop:1:0" in read_trust(codex_home / "config.toml").hooks
    assert (codex_home / "config.toml").read_text().startswith(CONFIG)
    assert oct((codex_home / "config.toml").stat().st_mode & 0o777) == "0o600"

    result = uninstall_codex(repo)

    assert set(result.removed) == set(codex.CODEX_EVENTS)
    assert (repo / HOOKS).read_text() == OTHERS
    assert (codex_home / "config.toml").read_text() == CONFIG


def test_uninstall_removes_the_file_and_folder_it_created(repo: Path, hook: Path, codex_home: Path) -> None:
    install_codex(repo, hook_path=hook)
    uninstall_codex(repo)
    assert not (repo / ".codex").exists()
    assert read_trust(codex_home / "config.toml").hooks == {}
    assert ".codex" not in (repo / ".git" / "info" / "exclude").read_text()


BAD_JSON = '{\n  "hooks": {\n    "Stop": []\n  },,\n  "x": 1\n}\n'


@pytest.mark.parametrize("operation", [install_codex, uninstall_codex])
def test_invalid_hooks_json_names_file_and_line_and_changes_nothing(repo: Path, hook: Path, codex_home: Path,
                                                                     operation) -> None:
    (repo / ".codex").mkdir()
    (repo / HOOKS).write_text(BAD_JSON)
    with pytest.raises(ConfigError) as caught:
        operation(repo, hook_path=hook) if operation is install_codex else operation(repo)
    assert HOOKS in caught.value.message and "line 4" in caught.value.message
    assert "gitmem install codex" in caught.value.hint
    assert (repo / HOOKS).read_text() == BAD_JSON
    assert not (codex_home / "config.toml").exists()


def test_wrongly_shaped_hooks_name_the_line(repo: Path, hook: Path, codex_home: Path) -> None:
    (repo / ".codex").mkdir()
    text = '{\n  "hooks": {\n    "Stop": {"hooks": []}\n  }\n}\n'
    (repo / HOOKS).write_text(text)
    with pytest.raises(ConfigError, match=r"`hooks.Stop` must be a list of matcher groups, not an object \(line 3\)"):
        install_codex(repo, hook_path=hook)
    assert (repo / HOOKS).read_text() == text


def test_invalid_config_toml_names_file_and_line_and_nothing_is_written(repo: Path, hook: Path,
                                                                        codex_home: Path) -> None:
    codex_home.mkdir()
    bad = 'model = "o3"\n[projects\ntrust_level = 1\n'
    (codex_home / "config.toml").write_text(bad)
    with pytest.raises(ConfigError) as caught:
        install_codex(repo, hook_path=hook)
    assert str(codex_home / "config.toml") in caught.value.message and "line 2" in caught.value.message
    assert (codex_home / "config.toml").read_text() == bad
    assert not (repo / ".codex").exists()


def test_trust_gitmem_cannot_write_there_stops_the_install_before_hooks_json_is_written(
        repo: Path, hook: Path, codex_home: Path) -> None:
    codex_home.mkdir()
    inline = 'hooks = {}  # an inline table: no [hooks.state."..."] table can be added to it\n'
    (codex_home / "config.toml").write_text(inline)
    with pytest.raises(ConfigError, match="a form gitmem does not edit") as caught:
        install_codex(repo, hook_path=hook)
    assert str(codex_home / "config.toml") in caught.value.message
    assert (codex_home / "config.toml").read_text() == inline
    assert not (repo / ".codex").exists()   # no hooks Codex would skip without a word


@pytest.mark.parametrize("had_config", [True, False])
def test_a_failed_hooks_json_write_gives_config_toml_back_unchanged(repo: Path, hook: Path, codex_home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    had_config: bool) -> None:
    from gitmem.agents import codex_install

    if had_config:
        codex_home.mkdir()
        (codex_home / "config.toml").write_text(CONFIG)

    def full_disk(path: Path, data: bytes, **kw: object) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(codex_install, "write_atomic", full_disk)   # only hooks.json is written through it
    with pytest.raises(OSError, match="No space left"):
        install_codex(repo, hook_path=hook)
    assert ((codex_home / "config.toml").read_text() == CONFIG) if had_config else \
        not (codex_home / "config.toml").exists()
    assert not (repo / ".codex").exists()


def test_a_changed_hook_is_reported_as_skipped_until_installed_again(repo: Path, hook: Path, codex_home: Path) -> None:
    install_codex(repo, hook_path=hook)
    (codex_home / "config.toml").write_text(f'[projects."{repo}"]\ntrust_level = "trusted"\n'
                                            + (codex_home / "config.toml").read_text())
    assert codex_hooks_status(repo).installed
    data = json.loads((repo / HOOKS).read_text())
    data["hooks"]["Stop"][0]["hooks"][0]["timeout"] = 20  # Codex now sees a modified, untrusted hook
    (repo / HOOKS).write_text(json.dumps(data, indent=2))

    status = codex_hooks_status(repo)

    assert not status.installed and not status.events["Stop"] and status.events["SessionStart"]
    assert status.problems == ("Codex will skip gitmem's Stop hooks without a word: they are not trusted (or "
                               "changed since); rerun `gitmem install codex`",)
    install_codex(repo, hook_path=hook)
    assert codex_hooks_status(repo).installed


def test_trust_entries_are_edited_in_place_whatever_their_quoting(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[hooks.state.'/r/.codex/hooks.json:stop:0:0']\nenabled = true\ntrusted_hash = \"old\"\n"
                    "\n[other]\nx = 1\n")
    assert plan_hook_trust(path, {"/r/.codex/hooks.json:stop:0:0": "sha256:new"}).write()
    assert path.read_text() == ("[hooks.state.'/r/.codex/hooks.json:stop:0:0']\nenabled = true\n"
                                "trusted_hash = \"sha256:new\"\n\n[other]\nx = 1\n")
    assert not plan_hook_trust(path, {"/r/.codex/hooks.json:stop:0:0": "sha256:new"}).write()
    assert plan_hook_trust(path, {}, drop={"/r/.codex/hooks.json:stop:0:0"}).write()
    assert path.read_text() == "[other]\nx = 1\n"


# -- the command line --------------------------------------------------------------------------------------------


def test_the_cli_installs_reports_and_uninstalls(in_repo: Path, codex_home: Path, capsys) -> None:
    code, out, err = run(capsys, "install", "codex")
    assert code == 0, err
    assert f"{HOOKS}: added hooks for {', '.join(codex.CODEX_EVENTS)}" in out
    assert "codex exec --trust" in out
    code, out, _ = run(capsys, "status", "--json")
    status = json.loads(out)["codex_hooks"]
    assert status["hooked"] == list(codex.CODEX_EVENTS) and status["project_trusted"] is False
    code, out, _ = run(capsys, "status")
    assert "codex hooks:  not running" in out and "codex exec --trust" in out
    code, out, err = run(capsys, "uninstall", "codex")
    assert code == 0, err
    assert not (in_repo / ".codex").exists()
    assert os.path.exists(codex_home / "config.toml") and read_trust(codex_home / "config.toml").hooks == {}


# -- gitmem init and the full uninstall ------------------------------------------------------------------------


@pytest.fixture
def codex_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An executable named `codex` first on PATH (gitmem only looks for it, never runs it)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "codex").write_text("#!/bin/sh\nexit 0\n")
    (folder / "codex").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder / "codex"


def test_init_sets_codex_up_when_codex_is_on_path_and_says_which_agents(in_repo: Path, codex_home: Path,
                                                                      codex_on_path: Path, capsys) -> None:
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert f"{HOOKS}: added hooks for {', '.join(codex.CODEX_EVENTS)}" in out
    assert "agents set up: Claude Code, Codex CLI (codex on PATH)" in out
    assert len(read_trust(codex_home / "config.toml").hooks) == len(codex.CODEX_EVENTS)
    assert json.loads(run(capsys, "status", "--json")[1])["codex_hooks"]["hooked"] == list(codex.CODEX_EVENTS)


def test_init_sets_codex_up_when_the_repository_has_a_codex_folder(in_repo: Path, codex_home: Path, capsys) -> None:
    (in_repo / ".codex").mkdir()
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "agents set up: Claude Code, Codex CLI (.codex/ in the repository)" in out
    assert set(json.loads((in_repo / HOOKS).read_text())["hooks"]) == set(codex.CODEX_EVENTS)


def test_init_leaves_codex_alone_where_it_finds_none_or_with_no_hooks(in_repo: Path, codex_home: Path,
                                                                      monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert not codex.found_here(in_repo)
    code, out, err = run(capsys, "init")
    assert code == 0, err
    assert "agents set up: Claude Code\n" in out and not (in_repo / ".codex").exists()
    (in_repo / ".codex").mkdir()
    code, out, err = run(capsys, "init", "--no-hooks")
    assert "agents set up: none (--no-hooks)" in out and not (in_repo / HOOKS).exists()
    assert not (codex_home / "config.toml").exists()


def test_the_full_uninstall_removes_the_codex_hooks_and_their_trust_too(in_repo: Path, codex_home: Path,
                                                                        codex_on_path: Path, capsys) -> None:
    from test_cli import _snapshot

    codex_home.mkdir()
    (codex_home / "config.toml").write_text(CONFIG)
    before = _snapshot(in_repo)
    assert run(capsys, "init")[0] == 0
    assert (in_repo / HOOKS).exists() and len(read_trust(codex_home / "config.toml").hooks) == 1 + len(codex.CODEX_EVENTS)

    code, out, err = run(capsys, "uninstall")

    assert code == 0, err
    assert f"{HOOKS}: removed hooks for {', '.join(codex.CODEX_EVENTS)}" in out
    assert f"removed gitmem's hook trust entries from {codex_home / 'config.toml'}" in out
    assert (codex_home / "config.toml").read_text() == CONFIG
    assert _snapshot(in_repo) == before


def test_the_full_uninstall_says_nothing_of_codex_where_it_was_never_set_up(in_repo: Path, codex_home: Path,
                                                                           monkeypatch: pytest.MonkeyPatch,
                                                                           capsys) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    codex_home.mkdir()
    (codex_home / "config.toml").write_text("not toml [\n")   # never read: gitmem trusted nothing here
    assert run(capsys, "init")[0] == 0
    code, out, err = run(capsys, "uninstall")
    assert code == 0, err
    assert ".codex" not in out and (codex_home / "config.toml").read_text() == "not toml [\n"

