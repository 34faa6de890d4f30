"""The brief in a rules file an agent reads (agents/rules_file.py), and events seen per agent (agents/activity.py),
on real repositories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import git

from gitmem.agents import activity
from gitmem.agents.rules_file import (BEGIN, EMPTY, END, install_rules_file, refresh_rules_files,
                                      uninstall_rules_file)
from gitmem.app.project import init_repository
from gitmem.config import state_dir
from gitmem.errors import GitmemError
from gitmem.git import discover

AGENTS_MD = "AGENTS.md"


def test_block_goes_after_the_persons_text_and_uninstall_gives_back_its_bytes(repo: Path) -> None:
    gm = discover(repo)
    init_repository(gm)
    original = b"# Project rules\r\nNo tabs."   # no final newline, CRLF: kept byte for byte
    (repo / AGENTS_MD).write_bytes(original)
    result = install_rules_file(gm, AGENTS_MD, "<gitmem-memory>one</gitmem-memory>")
    text = (repo / AGENTS_MD).read_bytes().decode()
    assert result.changed and text.startswith(original.decode()) and text.endswith(f"{END}\n")
    assert git(repo, "check-ignore", AGENTS_MD).strip() == AGENTS_MD
    refresh_rules_files(gm, "<gitmem-memory>two</gitmem-memory>")
    assert "two" in (repo / AGENTS_MD).read_text() and "one" not in (repo / AGENTS_MD).read_text()
    (repo / AGENTS_MD).write_bytes((repo / AGENTS_MD).read_bytes().replace(b"No tabs.", b"No tabs, ever."))
    uninstall_rules_file(gm, AGENTS_MD)
    assert (repo / AGENTS_MD).read_bytes() == original.replace(b"No tabs.", b"No tabs, ever.")
    assert git(repo, "check-ignore", AGENTS_MD, check=False) == ""


def test_a_file_gitmem_created_goes_with_its_folders_and_a_refresh_never_recreates_it(repo: Path) -> None:
    gm = discover(repo)
    init_repository(gm)
    rel = "deep/er/GEMINI.md"
    install_rules_file(gm, rel, "", header="# header\n")
    assert (repo / rel).read_text() == f"# header\n{BEGIN}\n{EMPTY}\n{END}\n"
    (repo / rel).unlink()
    assert refresh_rules_files(gm, "x") == [] and not (repo / rel).exists()
    install_rules_file(gm, rel, "", header="# header\n")
    uninstall_rules_file(gm, rel)
    assert not (repo / "deep").exists()


def test_a_tracked_file_is_refused_and_one_tracked_later_is_left_alone(repo: Path) -> None:
    gm = discover(repo)
    init_repository(gm)
    with pytest.raises(GitmemError, match="README.md is tracked by git"):
        install_rules_file(gm, "README.md", "x")
    assert (repo / "README.md").read_text() == "hello\n"
    install_rules_file(gm, AGENTS_MD, "first")
    git(repo, "add", "-f", AGENTS_MD)
    assert refresh_rules_files(gm, "second") == []
    assert "first" in (repo / AGENTS_MD).read_text()


def test_events_are_counted_per_agent_once_flushed_and_waiting_ones_from_the_spool(repo: Path) -> None:
    gm = discover(repo)
    init_repository(gm)
    state = state_dir(gm.common_dir)
    activity.Tally(state, "cursor", 5, 1800000000.0).count()
    activity.Tally(state, "cursor", 2, 1700000000.0).count()
    folder = state / "spool"
    folder.mkdir()
    (folder / "s1.jsonl").write_bytes(b'{"ts":1.0,"event":"PostToolUse","payload":{"session_id":"s1"}}\n' * 3)
    (folder / "s2.jsonl").write_bytes(
        b'{"ts":1.0,"event":"Stop","agent":"cursor","payload":{"conversation_id":"s2"}}\n')
    seen = activity.activity(state)
    assert (seen["cursor"].flushed, seen["cursor"].pending, seen["cursor"].last_ts) == (7, 1, 1800000000.0)
    assert (seen["claude-code"].flushed, seen["claude-code"].pending) == (0, 3)
    assert json.loads((state / activity.SEEN_FILE).read_text())["cursor"]["events"] == 7
