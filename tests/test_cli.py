"""The ``gitmem`` command, driven in process through ``cli.main`` (the console
script's own entry, with its error handler) and typer's ``CliRunner``, plus
the installed console script as a real subprocess. Git is real throughout.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import git, make_repo, run
from typer.testing import CliRunner

from gitmem import __version__
from gitmem.cli.app import app, main
from gitmem.git import discover
from gitmem.index import search
from gitmem.store import memory_ref
from gitmem.store.records import Observation, SessionSummary

SID_OLD = "1111aaaa-0000-4000-8000-000000000001"
SID_MID = "2222bbbb-0000-4000-8000-000000000002"
SID_NEW = "3333cccc-0000-4000-8000-000000000003"


def common_dir(repo: Path) -> Path:
    return (repo / git(repo, "rev-parse", "--git-common-dir").strip()).resolve()


def record(repo: Path, sid: str, title: str, ended_at: str, *, author: str = "Dana Developer <dana@example.com>",
           branch: str = "main", texts: tuple[str, ...] = ("first prompt",)) -> SessionSummary:
    """Write one session with a summary and ``texts`` as prompt observations, as the flush does."""
    obs = tuple(Observation(ts=f"{ended_at[:10]}T08:0{i}:00Z", kind="prompt", text=t) for i, t in enumerate(texts))
    summary = SessionSummary(id=sid, title=title, started_at=f"{ended_at[:10]}T08:00:00Z", ended_at=ended_at,
                             author=author, branch=branch, observation_count=len(obs), summarizer="offline")
    memory_ref.write_session(discover(repo), sid, summary.started_at, obs, summary)
    return summary


@pytest.fixture
def outside_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plain folder; git may not look above tmp_path for a repository."""
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(plain)
    return plain


@pytest.fixture
def three_sessions(in_repo: Path) -> list[SessionSummary]:
    """Written oldest, newest, middle, so an order by write time would be wrong."""
    return [
        record(in_repo, SID_OLD, "Old session: set up CI", "2026-09-01T10:00:00Z", branch="ci"),
        record(in_repo, SID_NEW, "New session: refunds", "2026-11-20T10:00:00Z",
               author="Sam Teammate <sam@example.com>", texts=("split refunds", "run the tests")),
        record(in_repo, SID_MID, "Middle session: charges", "2026-10-15T10:00:00Z", branch="feature/charges"),
    ]


# -- init -----------------------------------------------------------------------------------


def test_init_creates_config_decisions_and_local_state(in_repo: Path, capsys) -> None:
    code, out, err = run(capsys, "init")

    assert code == 0, err
    config = in_repo / ".gitmem" / "config.yaml"
    assert config.is_file()
    assert "summarizer:" in config.read_text()
    assert (in_repo / ".gitmem" / "decisions").is_dir()
    state = common_dir(in_repo) / "gitmem"
    assert state.is_dir()
    assert "created .gitmem/config.yaml" in out
    assert "created .gitmem/decisions/" in out
    assert str(state) in out
    assert err == ""


def _without_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        for part in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{role}_{part}", raising=False)
    monkeypatch.delenv("EMAIL", raising=False)


def test_init_and_status_warn_without_a_git_identity_and_say_how_to_set_it(in_repo: Path, capsys,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14 item 5: sessions and decisions went out as `unknown` without a word."""
    _without_identity(monkeypatch)

    code, out, err = run(capsys, "init")
    status = run(capsys, "status")[1]
    as_json = json.loads(run(capsys, "status", "--json")[1])

    assert code == 0, err
    fix = 'git config --global user.name "Your Name" && git config --global user.email you@example.com'
    assert "gitmem: warning: git has no user.name and no user.email" in err and fix in err
    assert "identity:" in status and fix in status
    assert "user.name" in as_json["identity_warning"]

    git(in_repo, "config", "user.name", "Dana Developer")
    assert "no user.email" in run(capsys, "status")[1]
    git(in_repo, "config", "user.email", "dana@example.com")
    assert "identity:" not in run(capsys, "status")[1]
    assert json.loads(run(capsys, "status", "--json")[1])["identity_warning"] is None


def test_an_identity_from_the_environment_is_enough(in_repo: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    _without_identity(monkeypatch)
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Ci Bot")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "ci@example.com")

    code, out, err = run(capsys, "init")

    assert code == 0 and "warning" not in err
    assert "identity:" not in run(capsys, "status")[1]


def test_init_twice_has_nothing_to_do_and_keeps_an_edited_config(in_repo: Path, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    config = in_repo / ".gitmem" / "config.yaml"
    edited = "# our team's choice\nsummarizer: offline\nbrief_budget_tokens: 900\n"
    config.write_text(edited)
    before = {p: p.read_bytes() for p in in_repo.rglob("*") if p.is_file() and ".git" not in p.parts}

    code, out, err = run(capsys, "init")

    assert code == 0, err
    assert "already set up" in out
    assert "created" not in out
    assert config.read_text() == edited
    after = {p: p.read_bytes() for p in in_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_init_in_a_linked_worktree_puts_local_state_in_the_common_dir(repo: Path, tmp_path: Path,
                                                                       monkeypatch, capsys) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "side", str(worktree))
    monkeypatch.chdir(worktree)

    code, _out, err = run(capsys, "init")

    assert code == 0, err
    assert (repo / ".git" / "gitmem").is_dir()
    assert not (repo / ".git" / "worktrees" / "wt" / "gitmem").exists()
    assert (worktree / ".gitmem" / "config.yaml").is_file()


def test_init_outside_a_repository_fails_with_an_error_and_a_hint(outside_repo: Path, capsys) -> None:
    code, out, err = run(capsys, "init")

    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("gitmem: error: ")
    assert "not inside a git repository" in lines[0]
    assert any(line.startswith("hint: ") for line in lines[1:])
    assert "Traceback" not in err
    assert not (outside_repo / ".gitmem").exists()


@pytest.mark.parametrize(("text", "expected"), [
    ("summarizer: [offline\nmodel: x\n", "invalid YAML"),
    ("brief_budget_tokens: lots\n", "brief_budget_tokens"),
], ids=["bad-yaml", "wrong-type"])
def test_an_invalid_config_file_is_an_error_that_names_the_file(in_repo: Path, capsys, text: str,
                                                                expected: str) -> None:
    (in_repo / ".gitmem").mkdir()
    (in_repo / ".gitmem" / "config.yaml").write_text(text)

    code, out, err = run(capsys, "init")

    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith("gitmem: error: ")
    assert ".gitmem/config.yaml" in first
    assert expected in first
    assert "hint: " in err
    assert "Traceback" not in err
    assert (in_repo / ".gitmem" / "config.yaml").read_text() == text


# -- log ----------------------------------------------------------------------------------------


def test_log_lists_sessions_newest_first(three_sessions, capsys) -> None:
    code, out, err = run(capsys, "log")

    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 3
    assert [line.split()[-1] for line in lines] == [SID_NEW[:8], SID_MID[:8], SID_OLD[:8]]
    assert lines[0].startswith("2026-11-20 10:00")
    assert "Sam Teammate" in lines[0] and "New session: refunds" in lines[0]
    assert "feature/charges" in lines[1]


def test_log_json_has_date_author_branch_title_and_id(three_sessions, capsys) -> None:
    code, out, err = run(capsys, "log", "--json")

    assert code == 0, err
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [SID_NEW, SID_MID, SID_OLD]
    by_id = {s.id: s for s in three_sessions}
    for row in rows:
        assert {"date", "author", "branch", "title", "id"} <= row.keys()
        s = by_id[row["id"]]
        assert (row["date"], row["author"], row["branch"], row["title"]) == (s.ended_at, s.author, s.branch, s.title)


def test_log_limit_keeps_the_newest(three_sessions, capsys) -> None:
    code, out, _ = run(capsys, "log", "--json", "--limit", "2")

    assert code == 0
    assert [r["id"] for r in json.loads(out)] == [SID_NEW, SID_MID]


def test_log_with_no_sessions_says_so(in_repo: Path, capsys) -> None:
    assert run(capsys, "log") == (0, "no sessions recorded yet.\n", "")
    code, out, _ = run(capsys, "log", "--json")
    assert code == 0
    assert json.loads(out) == []


# -- show -----------------------------------------------------------------------------------------


def test_show_by_prefix_prints_the_summary_and_observations(three_sessions, capsys) -> None:
    code, out, err = run(capsys, "show", SID_NEW[:6])

    assert code == 0, err
    assert out.startswith(f"session {SID_NEW}\n")
    assert "author:  Sam Teammate <sam@example.com>" in out
    assert "# New session: refunds" in out
    assert "## Observations (2)" in out
    assert "split refunds" in out and "run the tests" in out
    assert SID_OLD not in out


def test_show_json_by_full_id(three_sessions, capsys) -> None:
    code, out, err = run(capsys, "show", SID_MID, "--json")

    assert code == 0, err
    data = json.loads(out)
    assert data["id"] == SID_MID
    assert data["path"] == f"sessions/2026-10/{SID_MID}"
    assert data["summary"]["title"] == "Middle session: charges"
    assert data["summary"]["branch"] == "feature/charges"
    assert [o["text"] for o in data["observations"]] == ["first prompt"]


def test_show_an_ambiguous_prefix_fails_and_asks_for_more(in_repo: Path, capsys) -> None:
    record(in_repo, "abc1-first", "one", "2026-11-01T10:00:00Z")
    record(in_repo, "abc2-second", "two", "2026-11-02T10:00:00Z")

    code, out, err = run(capsys, "show", "abc")

    assert code == 1
    assert out == ""
    assert err.startswith("gitmem: error: 'abc' matches 2 sessions: abc1-first, abc2-second\n")
    assert "hint: give more characters" in err


@pytest.mark.parametrize("prefix", ["zzz", "sessions/2026-11"])
def test_show_an_unknown_prefix_fails_with_a_hint(three_sessions, capsys, prefix: str) -> None:
    code, out, err = run(capsys, "show", prefix)

    assert code == 1
    assert out == ""
    assert err.startswith("gitmem: error: no session matches")
    assert "hint: " in err and "gitmem log" in err


def test_show_in_an_empty_repository_explains_why(in_repo: Path, capsys) -> None:
    code, _out, err = run(capsys, "show", "abc")

    assert code == 1
    assert "no sessions recorded yet" in err
    assert "hint: " in err


# -- status ------------------------------------------------------------------------------------------


def test_status_json_counts_what_was_written(in_repo: Path, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    record(in_repo, SID_OLD, "first", "2026-11-01T10:00:00Z", texts=("a", "b", "c"))
    record(in_repo, SID_NEW, "second", "2026-11-02T10:00:00Z", texts=("d",))
    # a resumed session: a second observation file in the same folder
    memory_ref.write_session(discover(in_repo), SID_NEW, "2026-11-02T08:00:00Z",
                        (Observation(ts="2026-11-02T11:00:00Z", kind="prompt", text="e"),))

    code, out, err = run(capsys, "status", "--json")

    assert code == 0, err
    data = json.loads(out)
    assert data["initialized"] is True
    assert Path(data["root"]) == in_repo.resolve()
    assert Path(data["state_dir"]) == common_dir(in_repo) / "gitmem"
    memory = data["memory"]
    assert memory["tip"] == git(in_repo, "rev-parse", "refs/notes/gitmem").strip()
    assert (memory["sessions"], memory["observation_files"], memory["observations"]) == (2, 3, 5)
    assert memory["commits"] == 3
    assert memory["unreadable_records"] == 0
    assert memory["ref_bytes"] > 0


def test_status_text_shows_the_same_numbers(in_repo: Path, capsys) -> None:
    record(in_repo, SID_OLD, "first", "2026-11-01T10:00:00Z", texts=("a", "b"))
    tip = git(in_repo, "rev-parse", "refs/notes/gitmem").strip()

    code, out, err = run(capsys, "status")

    assert code == 0, err
    assert "initialized:  no (run `gitmem init`)" in out
    assert f"memory ref:   refs/notes/gitmem at {tip[:10]}" in out
    assert "sessions:     1\n" in out
    assert "observations: 2 in 1 files" in out
    assert "in 1 commits" in out


def test_status_of_a_fresh_repository(in_repo: Path, capsys) -> None:
    code, out, _ = run(capsys, "status", "--json")

    assert code == 0
    data = json.loads(out)
    assert data["initialized"] is False
    assert data["memory"]["tip"] is None
    assert data["memory"]["sessions"] == 0


# -- exit codes and unexpected errors --------------------------------------------------------------------


def test_an_unknown_command_is_a_usage_error(in_repo: Path, capsys) -> None:
    code, out, err = run(capsys, "frobnicate")

    assert code == 2
    assert out == ""
    assert "No such command 'frobnicate'" in err


def test_an_unknown_option_is_a_usage_error(in_repo: Path, capsys) -> None:
    code, _out, err = run(capsys, "log", "--colour")

    assert code == 2
    assert "--colour" in err


def test_version_option(capsys) -> None:
    assert run(capsys, "--version") == (0, f"gitmem {__version__}\n", "")


def _boom(*args, **kwargs):
    raise RuntimeError("boom from the test")


@pytest.mark.parametrize("initialized", [True, False], ids=["state-dir", "gitmem-home"])
def test_an_unexpected_error_exits_3_and_logs_the_traceback(in_repo: Path, isolated_env: Path, monkeypatch,
                                                            capsys, initialized: bool) -> None:
    if initialized:
        assert run(capsys, "init")[0] == 0
        expected_log = common_dir(in_repo) / "gitmem" / "gitmem.log"
    else:
        expected_log = Path(os.environ["GITMEM_HOME"]) / "gitmem.log"
    monkeypatch.setattr(search, "search", _boom)

    code, out, err = run(capsys, "log")

    assert code == 3
    assert out == ""
    assert "Traceback" not in err
    m = re.search(r"unexpected error \(RuntimeError\), details in (\S+)", err)
    assert m, err
    assert Path(m.group(1)) == expected_log
    assert "hint: " in err
    log = expected_log.read_text()
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: boom from the test" in log
    assert f"gitmem {__version__}" in log
    assert "git version 2." in log
    assert f"Python {platform.python_version()}" in log


def test_an_unexpected_error_outside_a_repository_logs_under_gitmem_home(outside_repo: Path, monkeypatch,
                                                                        capsys) -> None:
    import gitmem.app.checkout

    monkeypatch.setattr(gitmem.app.checkout, "open_repo", _boom)

    code, _out, err = run(capsys, "status")

    assert code == 3
    log = Path(os.environ["GITMEM_HOME"]) / "gitmem.log"
    assert str(log) in err
    assert "RuntimeError: boom from the test" in log.read_text()


def test_errors_append_to_the_log_rather_than_replace_it(in_repo: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(search, "search", _boom)
    assert run(capsys, "log")[0] == 3
    assert run(capsys, "log")[0] == 3

    log = (Path(os.environ["GITMEM_HOME"]) / "gitmem.log").read_text()
    assert log.count("RuntimeError: boom from the test") == 2


# -- typer's CliRunner ----------------------------------------------------------------------------------------


def test_help_lists_every_command_through_cli_runner() -> None:
    result = CliRunner().invoke(app, ["--help"])

    assert result.exit_code == 0
    for name in ("init", "log", "show", "status"):
        assert re.search(rf"^\W*{name}\s", result.output, re.MULTILINE), name


def test_every_command_module_is_added_to_the_app() -> None:
    """A command module whose typer `cli.app` forgets to add would take its commands away without an error."""
    import importlib
    import pkgutil

    import typer.main

    import gitmem.cli

    top = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    modules = sorted(m.name for m in pkgutil.iter_modules(gitmem.cli.__path__) if m.name.endswith("_commands"))
    assert len(modules) >= 5, modules
    for name in modules:
        commands = importlib.import_module(f"gitmem.cli.{name}").commands
        names = [c.name or typer.main.get_command_name(c.callback.__name__) for c in commands.registered_commands]
        names += [g.name for g in commands.registered_groups]
        assert names, f"gitmem.cli.{name} defines no command"
        missing = [n for n in names if n not in top]
        assert not missing, f"gitmem {', '.join(missing)} (gitmem.cli.{name}) missing: add its typer in cli/app.py"


def test_help_imports_no_core_module_and_no_heavy_package() -> None:
    """`gitmem --help` stays cheap: commands import what they use when they run, never at module level."""
    code = ("import sys, contextlib, io\nbefore = set(sys.modules)\nfrom gitmem.cli.app import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['--help']) == 0\n"
            "print('\\n'.join(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = set(out.stdout.split())

    assert "gitmem.cli.memory_commands" in loaded  # the check sees the command modules
    core = sorted(m for m in loaded if m.startswith("gitmem.") and not m.startswith("gitmem.cli.")
                  and m not in ("gitmem.cli", "gitmem.errors", "gitmem.fence"))
    assert not core, f"imported by `gitmem --help`: {core}"
    heavy = sorted(m for m in loaded if m.split(".")[0] in ("yaml", "sqlite3", "anthropic", "watchdog", "mcp",
                                                            "pydantic", "pathspec"))
    assert not heavy, f"imported by `gitmem --help`: {heavy}"


def test_cli_runner_init_then_status(in_repo: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0

    result = runner.invoke(app, ["status", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["initialized"] is True


# -- the installed console script, as a real process ------------------------------------------------------------


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("gitmem")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gitmem"]


def test_console_script_prints_its_version() -> None:
    proc = subprocess.run([*_console_script(), "--version"], capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"gitmem {__version__}\n"


def test_python_dash_m_gitmem_prints_its_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "gitmem", "--version"], capture_output=True, text=True, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"gitmem {__version__}\n"


def test_console_script_exit_codes_reach_the_shell(outside_repo: Path, tmp_path: Path) -> None:
    error = subprocess.run([*_console_script(), "init"], capture_output=True, text=True, timeout=60)
    usage = subprocess.run([*_console_script(), "frobnicate"], capture_output=True, text=True, timeout=60)

    assert error.returncode == 1
    assert error.stderr.startswith("gitmem: error: ")
    assert "Traceback" not in error.stderr
    assert usage.returncode == 2


def test_console_script_init_and_log_in_a_real_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "proc")
    record(repo, SID_NEW, "Recorded through the store", "2026-11-20T10:00:00Z")

    init = subprocess.run([*_console_script(), "init"], cwd=repo, capture_output=True, text=True, timeout=60)
    log = subprocess.run([*_console_script(), "log", "--json"], cwd=repo, capture_output=True, text=True, timeout=60)

    assert init.returncode == 0, init.stderr
    assert (repo / ".gitmem" / "config.yaml").is_file()
    assert log.returncode == 0, log.stderr
    assert [r["title"] for r in json.loads(log.stdout)] == ["Recorded through the store"]



# -- team onboarding (issue 14 item 13) ------------------------------------------------------------------


@pytest.fixture
def team(tmp_path: Path, remote: Path, clone, capsys, monkeypatch: pytest.MonkeyPatch):
    """A's clone with one commit pushed; B cloned it then; then A set gitmem up and pushed its files."""
    a = clone("a")
    (a / "README.md").write_text("the team's project\n")
    git(a, "add", "README.md")
    git(a, "commit", "-q", "-m", "initial commit")
    git(a, "push", "-q", "origin", "HEAD:main")
    b = clone("b")
    monkeypatch.chdir(a)
    assert run(capsys, "init", "--shared")[0] == 0
    git(a, "add", ".gitmem", ".claude/settings.json", ".mcp.json")
    git(a, "commit", "-q", "-m", "set up gitmem for the team")
    git(a, "push", "-q", "origin", "HEAD:main")
    return a, b


@pytest.mark.parametrize("shared", [False, True], ids=["init", "init-shared"])
def test_init_before_pull_creates_nothing_that_blocks_the_pull(team, capsys, monkeypatch: pytest.MonkeyPatch,
                                                               shared: bool) -> None:
    """A teammate ran `gitmem init` before `git pull`: "untracked working tree files would be overwritten"."""
    a, b = team  # b's origin/main is from before a's set-up: init fetches it
    monkeypatch.chdir(b)

    code, out, err = run(capsys, "init", *(["--shared"] if shared else []))

    assert code == 0, err
    assert "run `git pull`" in out and ".gitmem/config.yaml" in out and "origin/main" in out
    assert not (b / ".gitmem").exists() and not (b / ".mcp.json").exists()
    assert not (b / ".claude" / "settings.json").exists()
    pull = subprocess.run(["git", "pull", "-q", "--ff-only"], cwd=b, capture_output=True, text=True, timeout=60)
    assert pull.returncode == 0, pull.stderr
    assert (b / ".gitmem" / "config.yaml").read_bytes() == (a / ".gitmem" / "config.yaml").read_bytes()
    assert (b / ".mcp.json").read_bytes() == (a / ".mcp.json").read_bytes()
    assert git(b, "status", "--porcelain") == ""


def test_init_in_an_older_checkout_still_sets_up_the_local_parts(team, capsys,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = team
    monkeypatch.chdir(b)

    assert run(capsys, "init")[0] == 0

    assert (common_dir(b) / "gitmem").is_dir()
    assert "gitmem/_hook.py" in (b / ".claude" / "settings.local.json").read_text()
    assert "+refs/notes/gitmem*" in git(b, "config", "--get-all", "remote.origin.fetch")
    git(b, "pull", "-q", "--ff-only")
    code, out, _ = run(capsys, "init")
    assert code == 0 and "git pull" not in out


# -- gitmem uninstall (issue 16) ---------------------------------------------------------------------------


def _snapshot(repo: Path) -> dict[str, bytes | None]:
    """Every file and folder of the work tree, and of .git what init touches: config, hooks, info, state."""
    found: dict[str, bytes | None] = {}
    for p in sorted(repo.rglob("*")):
        rel = p.relative_to(repo)
        if rel.parts[0] == ".git" and (len(rel.parts) < 2 or rel.parts[1] not in ("config", "hooks", "info",
                                                                                    "gitmem")):
            continue
        found[rel.as_posix()] = p.read_bytes() if p.is_file() else None
    found["refs"] = git(repo, "for-each-ref", "--format=%(refname) %(objectname)").encode()
    found["status"] = git(repo, "status", "--porcelain", "--ignored").encode()
    return found


SETTINGS_BY_HAND = '{\n    "permissions": {"allow": ["Bash(make test)"]},\n    "model" : "opus"\n}'
MCP_BY_HAND = '{\n\t"mcpServers": {\n\t\t"docs": {"command": "npx", "args": ["-y", "docs"]}\n\t}\n}\n'
OWN_PRE_PUSH = "#!/bin/sh\n# the team's own check\nexit 0\n"


def _with_existing_setup(repo: Path) -> None:
    (repo / ".claude").mkdir()
    (repo / ".claude" / "settings.json").write_text(SETTINGS_BY_HAND)
    (repo / ".mcp.json").write_text(MCP_BY_HAND)
    git(repo, "add", ".claude/settings.json", ".mcp.json")
    git(repo, "commit", "-q", "-m", "the team's Claude Code settings")
    hook = repo / ".git" / "hooks" / "pre-push"
    hook.write_text(OWN_PRE_PUSH)
    hook.chmod(0o755)
    git(repo, "config", "notes.rewrite.amend", "true")  # the user's own: uninstall must keep it
    with (repo / ".git" / "info" / "exclude").open("a") as fh:
        fh.write("*.log\n")


@pytest.mark.parametrize("existing", [False, True], ids=["fresh", "existing-settings-hook-config"])
@pytest.mark.parametrize("init_args", [(), ("--shared",)], ids=["init", "init-shared"])
def test_uninstall_leaves_the_repository_byte_for_byte_as_before_init(in_repo: Path, remote: Path, capsys,
                                                                      existing: bool, init_args: tuple) -> None:
    git(in_repo, "remote", "add", "origin", str(remote))
    if existing:
        _with_existing_setup(in_repo)
    before = _snapshot(in_repo)

    code, out, err = run(capsys, "init", *init_args)
    assert code == 0, err
    middle = _snapshot(in_repo)
    assert middle != before and ".git/hooks/pre-push" in middle and ".git/gitmem" in middle
    assert "+refs/notes/gitmem*" in git(in_repo, "config", "--get-all", "remote.origin.fetch")

    code, out, err = run(capsys, "uninstall")

    assert code == 0, err
    assert "removed fetch refspec" in out and "pre-push" in out
    after = _snapshot(in_repo)
    assert {k for k in after if after[k] != before.get(k)} | {k for k in before if k not in after} == set()
    assert after == before


def test_uninstall_keeps_the_memory_ref_unless_purged(in_repo: Path, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    record(in_repo, SID_NEW, "Worth keeping", "2026-11-20T10:00:00Z")
    tip = git(in_repo, "rev-parse", "refs/notes/gitmem").strip()

    code, out, _ = run(capsys, "uninstall")

    assert code == 0 and "kept refs/notes/gitmem" in out
    assert git(in_repo, "rev-parse", "refs/notes/gitmem").strip() == tip
    assert not (common_dir(in_repo) / "gitmem").exists()
    assert run(capsys, "init")[0] == 0
    assert run(capsys, "log", "--json")[1].count("Worth keeping") == 1  # the memory is still there

    git(in_repo, "update-ref", "refs/gitmem/remotes/origin/memory", tip)  # a teammate's memory, fetched
    code, out, _ = run(capsys, "uninstall", "--purge-memory")

    assert code == 0 and "removed ref refs/notes/gitmem" in out
    assert "removed ref refs/gitmem/remotes/origin/memory" in out
    assert git(in_repo, "for-each-ref", "refs/notes/", "refs/gitmem/") == ""


def test_uninstall_keeps_sessions_not_yet_flushed(in_repo: Path, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    spool_file = common_dir(in_repo) / "gitmem" / "spool" / "s1.jsonl"
    spool_file.parent.mkdir(parents=True, exist_ok=True)
    spool_file.write_text('{"ts": 1, "event": {}}\n')

    code, out, _ = run(capsys, "uninstall")

    assert code == 0 and "gitmem flush" in out and spool_file.exists()
    assert not (in_repo / ".claude").exists() and not (in_repo / ".gitmem").exists()


def test_uninstall_keeps_edited_and_committed_team_files(in_repo: Path, capsys) -> None:
    assert run(capsys, "init")[0] == 0
    (in_repo / ".gitmem" / "config.yaml").write_text("summarizer: offline\n")
    git(in_repo, "add", ".gitmem")
    git(in_repo, "commit", "-q", "-m", "gitmem for the team")

    code, out, _ = run(capsys, "uninstall")

    assert code == 0 and "kept .gitmem/config.yaml" in out
    assert git(in_repo, "status", "--porcelain") == ""


def test_uninstall_points_at_a_hook_line_it_could_not_write_itself(in_repo: Path, capsys) -> None:
    git(in_repo, "config", "core.hooksPath", ".githooks")
    code, out, _ = run(capsys, "init")
    assert code == 0 and "gitmem.workers after-push" in out  # the line init asked the user to add

    code, out, _ = run(capsys, "uninstall")

    assert code == 0 and "kept any `gitmem.workers after-push`" in out and ".githooks" in out
    assert git(in_repo, "config", "core.hooksPath").strip() == ".githooks"


def test_init_without_fetching_sees_only_what_was_fetched(team, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = team
    monkeypatch.chdir(b)

    assert run(capsys, "init", "--no-fetch")[0] == 0
    assert (b / ".gitmem" / "config.yaml").exists()  # the stale origin/main has no gitmem files yet
    pull = subprocess.run(["git", "pull", "-q", "--ff-only"], cwd=b, capture_output=True, text=True, timeout=60)
    assert pull.returncode != 0 and "would be overwritten" in pull.stderr  # the reported failure


def test_an_unreachable_remote_is_a_note_and_init_goes_on(in_repo: Path, tmp_path: Path, capsys) -> None:
    gone = tmp_path / "gone.git"
    git(tmp_path, "init", "-q", "--bare", str(gone))
    git(in_repo, "remote", "add", "origin", str(gone))
    git(in_repo, "push", "-q", "-u", "origin", "main")
    import shutil

    shutil.rmtree(gone)

    code, out, err = run(capsys, "init")

    assert code == 0, err
    assert "could not fetch origin" in out and "rm -r .gitmem" in out
    assert (in_repo / ".gitmem" / "config.yaml").exists()


# -- readers merge fetched memory first and create no state (issue 14, items 9 and 10) ----------------------


def test_readers_in_a_never_initialized_repository_create_no_state(three_sessions, in_repo: Path, capsys) -> None:
    state = common_dir(in_repo) / "gitmem"
    assert not state.exists()

    code, out, _ = run(capsys, "log")
    assert code == 0 and "New session: refunds" in out
    code, out, _ = run(capsys, "search", "refunds")
    assert code == 0 and "New session: refunds" in out
    assert run(capsys, "show", SID_NEW[:8])[0] == 0
    assert run(capsys, "why", "README.md")[0] == 0

    code, out, _ = run(capsys, "status", "--json")
    assert code == 0
    assert json.loads(out)["initialized"] is False
    assert not state.exists()


@pytest.mark.parametrize("reader", ["log", "search", "show", "status", "why"])
def test_every_reader_sees_memory_a_plain_git_pull_brought(tmp_path: Path, remote: Path, clone, monkeypatch,
                                                           capsys, reader: str) -> None:
    from conftest import make_repo

    seed = make_repo(tmp_path / "seed")
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "origin", "main")
    a, b = clone("a"), clone("b")
    for path in (a, b):
        monkeypatch.chdir(path)
        assert run(capsys, "init", "--no-hooks")[0] == 0
    record(a, SID_NEW, "Pulled session: ledger rounding", "2026-11-20T10:00:00Z", texts=("ledger rounding",))
    git(a, "push", "-q", "origin", "refs/notes/gitmem")
    monkeypatch.chdir(b)
    git(b, "pull", "-q")  # the refspec init added brings it into the tracking ref, not the local ref
    assert git(b, "rev-parse", "-q", "--verify", "refs/notes/gitmem", check=False).strip() == ""

    args = {"log": ["log"], "search": ["search", "ledger"], "show": ["show", SID_NEW[:8]],
            "status": ["status", "--json"], "why": ["why", "README.md"]}[reader]
    code, out, err = run(capsys, *args)

    assert code == 0, err
    assert git(b, "rev-parse", "refs/notes/gitmem").strip() == git(a, "rev-parse", "refs/notes/gitmem").strip()
    if reader == "status":
        assert json.loads(out)["memory"]["sessions"] == 1
    elif reader != "why":
        assert "ledger rounding" in out.lower()


# -- fetching only recent memory history (issue 14, item 8) -------------------------------------------------------


@pytest.mark.parametrize("limit", [["--depth", "3"], ["--since", "30d"]], ids=["depth", "since"])
def test_sync_can_fetch_only_recent_memory_history_and_still_merge_and_push(tmp_path: Path, remote: Path, clone,
                                                                            monkeypatch, capsys, limit) -> None:
    from conftest import make_repo

    seed = make_repo(tmp_path / "seed")
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "origin", "main")
    a = clone("a")
    monkeypatch.chdir(a)
    assert run(capsys, "init", "--no-hooks")[0] == 0
    for n in range(8):  # old sessions: a year ago, one commit each
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"2025-11-{10 + n:02d}T10:00:00Z")
        record(a, f"old-{n}", f"Old session {n}", f"2025-11-{10 + n:02d}T10:00:00Z")
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    for n in range(3):
        record(a, f"new-{n}", f"New session {n}", "2026-11-20T10:00:00Z")
    assert run(capsys, "sync")[0] == 0
    assert git(remote, "rev-list", "--count", "refs/notes/gitmem").strip() == "11"

    b = clone("b")
    monkeypatch.chdir(b)
    assert run(capsys, "init", "--no-hooks")[0] == 0
    code, _out, err = run(capsys, "sync", *limit)

    assert code == 0, err
    assert git(b, "rev-list", "--count", "refs/notes/gitmem").strip() == "3"       # history: the newest only
    assert git(b, "rev-parse", "--is-shallow-repository").strip() == "true"
    assert git(b, "rev-list", "--count", "main").strip() == "1"                    # code history untouched
    code, out, _ = run(capsys, "log", "--json")
    assert code == 0 and len(json.loads(out)) == 11                              # the tip holds every session
    record(b, "from-b", "Session from the shallow clone", "2026-11-21T10:00:00Z")
    assert run(capsys, "sync")[0] == 0                                            # merge and push still work
    (b / "code.txt").write_text("x\n")
    git(b, "add", "code.txt")
    git(b, "commit", "-q", "-m", "code from b")
    git(b, "push", "-q", "origin", "main")
    git(b, "pull", "-q")
    assert git(b, "rev-list", "--count", "refs/notes/gitmem").strip() == "4"       # plain pulls do not deepen it
    monkeypatch.chdir(a)
    record(a, "new-a", "Another session from a", "2026-11-22T10:00:00Z")
    assert run(capsys, "sync")[0] == 0                                            # a diverged: merged, pushed
    monkeypatch.chdir(b)
    assert run(capsys, "sync")[0] == 0
    code, out, _ = run(capsys, "log", "--json")
    assert {r["id"] for r in json.loads(out)} >= {"from-b", "new-a", "old-0"}


def test_init_never_writes_through_a_committed_link(in_repo: Path, tmp_path: Path, capsys) -> None:
    """Issue 15 item 2: gitmem writes only regular files inside the work tree."""
    target = tmp_path / "outside-config.yaml"
    (in_repo / ".gitmem").mkdir()
    (in_repo / ".gitmem" / "config.yaml").symlink_to(target)   # dangling: a write through it creates `target`
    code, _out, err = run(capsys, "init")
    assert code == 1 and not target.exists()
    assert "gitmem: error: .gitmem/config.yaml: refused: it is a symbolic link to " in err and "hint: " in err
