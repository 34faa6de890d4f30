"""agents/registry.py: every agent of the registry goes through the same command line (install, status, uninstall),
and what an agent does not take is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git, run

from gitmem.agents import registry


def _tree(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all")


@pytest.mark.parametrize("name", [a.name for a in registry.OTHERS])
def test_each_agent_installs_shows_in_status_and_uninstalls_through_the_cli(in_repo: Path, name: str,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          capsys) -> None:
    monkeypatch.delenv("COPILOT_HOME", raising=False)
    agent = registry.get(name)
    code, _, err = run(capsys, "init", "--no-hooks")
    assert code == 0, err
    before = _tree(in_repo)
    code, out, err = run(capsys, "install", name)
    assert code == 0, err
    assert ": added hooks for " in out
    status = json.loads(run(capsys, "status", "--json")[1])
    assert status[agent.json_key]["hooked"]
    assert {r["agent"]: r["installed"] for r in status["agents"]}.get(agent.agent_id) is True
    assert f"{name} hooks:" in run(capsys, "status")[1]
    code, out, err = run(capsys, "uninstall", name)
    assert code == 0, err
    status = json.loads(run(capsys, "status", "--json")[1])
    assert status[agent.json_key]["hooked"] == []
    assert agent.agent_id not in {r["agent"] for r in status["agents"]}
    assert _tree(in_repo) == before


def test_an_unknown_agent_is_refused_naming_every_agent(in_repo: Path, capsys) -> None:
    for command in ("install", "uninstall"):
        code, _, err = run(capsys, command, "vim")
        assert code != 0
        assert "`claude`, `codex`, `copilot`, `cursor` or `gemini`" in err


def test_options_an_agent_does_not_take_are_refused(in_repo: Path, capsys) -> None:
    code, _, err = run(capsys, "install", "codex", "--shared")
    assert code != 0 and "--shared goes with `gitmem install claude`" in err
    code, _, err = run(capsys, "install", "gemini", "--force")
    assert code != 0 and "--force goes with `gitmem install claude`" in err
    code, _, err = run(capsys, "uninstall", "cursor", "--local")
    assert code != 0 and "do not go with `cursor`" in err
    assert not (in_repo / ".codex").exists() and not (in_repo / ".gemini").exists()


def test_status_says_claude_hooks_are_not_installed_where_none_are(in_repo: Path, capsys) -> None:
    assert run(capsys, "init", "--no-hooks")[0] == 0
    assert "claude hooks: not installed (run `gitmem install claude`)" in run(capsys, "status")[1]
    assert run(capsys, "install", "claude")[0] == 0
    assert "claude hooks: installed in .claude/settings.local.json" in run(capsys, "status")[1]


OWN_FILES = {"claude": ".claude/settings.local.json", "codex": ".codex/hooks.json",
             "copilot": ".github/hooks/gitmem.json", "gemini": ".gemini/settings.json"}


@pytest.mark.parametrize("name", sorted(OWN_FILES))
def test_install_then_uninstall_gives_back_a_file_people_own_and_the_exclude_file(in_repo: Path, name: str,
                                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                                 capsys) -> None:
    # one engine (agents/hooks_file.py, integrations/hooks_merge.py) for every hooks file in matcher groups: the
    # person's own hook stays, and the exclude line the install added goes with gitmem's hooks
    monkeypatch.delenv("COPILOT_HOME", raising=False)
    assert run(capsys, "init", "--no-hooks")[0] == 0
    path = in_repo / OWN_FILES[name]
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = b'{\n  "hooks": {\n    "Custom": [{"hooks": [{"type": "command", "command": "./mine.sh"}]}]\n  }\n}\n'
    path.write_bytes(mine)
    exclude = in_repo / ".git" / "info" / "exclude"
    before = exclude.read_bytes()
    code, out, err = run(capsys, "install", name)
    assert code == 0, err
    assert exclude.read_bytes() != before and "so git ignores it" in out
    assert json.loads(path.read_text())["hooks"]["Custom"] == json.loads(mine)["hooks"]["Custom"]
    code, _, err = run(capsys, "uninstall", name, *(["--local"] if name == "claude" else []))  # (not .mcp.json)
    assert code == 0, err
    assert path.read_bytes() == mine
    assert exclude.read_bytes() == before
