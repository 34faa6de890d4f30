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
from typer.testing import CliRunner

from gitmem import __version__, search, store
from gitmem.cli import app, main
from gitmem.git import discover
from gitmem.records import Observation, SessionSummary

from conftest import run, git, make_repo

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
    store.write_session(discover(repo), sid, summary.started_at, obs, summary)
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
    store.write_session(discover(in_repo), SID_NEW, "2026-11-02T08:00:00Z",
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
    import gitmem.project

    monkeypatch.setattr(gitmem.project, "open_repo", _boom)

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



def test_init_never_writes_through_a_committed_link(in_repo: Path, tmp_path: Path, capsys) -> None:
    """Issue 15 item 2: gitmem writes only regular files inside the work tree."""
    target = tmp_path / "outside-config.yaml"
    (in_repo / ".gitmem").mkdir()
    (in_repo / ".gitmem" / "config.yaml").symlink_to(target)   # dangling: a write through it creates `target`
    code, _out, err = run(capsys, "init")
    assert code == 1 and not target.exists()
    assert "gitmem: error: .gitmem/config.yaml: refused: it is a symbolic link to " in err and "hint: " in err
