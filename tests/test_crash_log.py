"""The crash log both the CLI's error renderer and the MCP server write: where it goes, what it holds, and that
writing it never raises. Real git repositories throughout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import git

from gitmem.app.crash_log import append_crash, crash_log_path


def _raised(message: str) -> BaseException:
    try:
        raise RuntimeError(message)
    except RuntimeError as exc:
        return exc


def _state_folder(repo: Path) -> Path:
    common = (repo / git(repo, "rev-parse", "--git-common-dir").strip()).resolve()
    folder = common / "gitmem"
    folder.mkdir()
    return folder


def test_a_set_up_repository_logs_in_its_state_folder_and_appends(repo: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _state_folder(repo)
    monkeypatch.chdir(repo)

    first = append_crash(_raised("first failure"), "gitmem 9.9, header one")
    second = append_crash(_raised("second failure"), "gitmem 9.9, header two")

    assert first == second == folder / "gitmem.log"
    text = first.read_text(encoding="utf-8")
    assert text.startswith("--- gitmem 9.9, header one\nTraceback (most recent call last):\n")
    assert "RuntimeError: first failure" in text
    assert text.index("RuntimeError: first failure") < text.index("--- gitmem 9.9, header two")
    assert text.rstrip().endswith("RuntimeError: second failure")
    assert not (Path(os.environ["GITMEM_HOME"]) / "gitmem.log").exists()


def test_a_repository_without_gitmem_logs_under_gitmem_home(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)

    path = append_crash(_raised("not set up"), "header")

    assert path == Path(os.environ["GITMEM_HOME"]) / "gitmem.log"
    assert "RuntimeError: not set up" in path.read_text(encoding="utf-8")
    assert not (repo / ".git" / "gitmem").exists()  # the log creates no state in the repository


def test_outside_any_repository_the_path_is_gitmem_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(plain)

    assert crash_log_path() == Path(os.environ["GITMEM_HOME"]) / "gitmem.log"


def test_start_names_the_repository_whatever_the_current_folder(repo: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _state_folder(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(elsewhere)

    (repo / "sub").mkdir()

    assert crash_log_path(repo / "sub") == folder / "gitmem.log"
    assert crash_log_path() == Path(os.environ["GITMEM_HOME"]) / "gitmem.log"


def test_a_log_that_cannot_be_written_is_given_up_without_raising(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the GITMEM_HOME folder should be\n")
    monkeypatch.setenv("GITMEM_HOME", str(blocked))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(tmp_path)

    path = append_crash(_raised("nowhere to go"), "header")

    assert path == blocked / "gitmem.log"
    assert blocked.read_text() == "a file where the GITMEM_HOME folder should be\n"


def test_an_mcp_tool_that_fails_unexpectedly_logs_in_the_served_repository(repo: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import anyio
    from mcp.server.mcpserver.exceptions import ToolError

    from gitmem.integrations import mcp_server

    def boom(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in a tool")

    folder = _state_folder(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(elsewhere)  # the server answers for --repo, not for the folder it was started in
    monkeypatch.setattr(mcp_server.MemoryTools, "timeline", boom)
    server = mcp_server.build_server(repo)

    async def call() -> None:
        await server.call_tool("timeline", {})

    with pytest.raises(ToolError) as raised:
        anyio.run(call)

    log = folder / "gitmem.log"
    assert f"details in {log}" in str(raised.value)
    text = log.read_text(encoding="utf-8")
    assert text.startswith("--- ") and " mcp server, Python " in text.splitlines()[0]
    assert "RuntimeError: boom in a tool" in text
