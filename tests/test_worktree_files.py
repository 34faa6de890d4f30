"""Files people own, read and written only as regular files inside the work tree (issue 15, items 1 and 2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitmem import worktree_files
from gitmem.worktree_files import RefusedFileError


def test_a_regular_file_is_read_whole(repo: Path) -> None:
    (repo / ".gitmem").mkdir()
    (repo / ".gitmem" / "config.yaml").write_bytes(b"summarizer: offline\r\n")
    assert worktree_files.read_file(repo, ".gitmem/config.yaml", 100) == b"summarizer: offline\r\n"
    with pytest.raises(FileNotFoundError):
        worktree_files.read_file(repo, ".gitmem/missing.yaml", 100)


def test_a_link_to_a_device_is_refused_without_reading_it(repo: Path) -> None:
    (repo / ".gitmem").mkdir()
    (repo / ".gitmem" / "config.yaml").symlink_to("/dev/zero")
    with pytest.raises(RefusedFileError) as info:
        worktree_files.read_file(repo, ".gitmem/config.yaml", 64 * 1024)
    assert str(info.value) == ".gitmem/config.yaml: refused: it is a symbolic link to /dev/zero"
    assert "git rm .gitmem/config.yaml" in (info.value.hint or "")


def test_a_link_to_a_file_inside_the_work_tree_is_refused_too(repo: Path) -> None:
    (repo / ".gitmem").mkdir()
    (repo / ".gitmem" / "config.yaml").symlink_to("../README.md")
    with pytest.raises(RefusedFileError, match="symbolic link to ../README.md"):
        worktree_files.read_file(repo, ".gitmem/config.yaml", 1000)


@pytest.mark.parametrize("linked", [".gitmem", ".gitmem/decisions"])
def test_a_linked_folder_on_the_way_is_refused(repo: Path, tmp_path: Path, linked: str) -> None:
    outside = tmp_path / "outside"
    (outside / "decisions").mkdir(parents=True)
    (outside / "decisions" / "2026-11-24-x.md").write_text("outside content\n")
    (outside / "2026-11-24-x.md").write_text("outside content\n")
    if linked != ".gitmem":
        (repo / ".gitmem").mkdir()
    (repo / linked).symlink_to(outside if linked == ".gitmem" else outside / "decisions")
    with pytest.raises(RefusedFileError) as info:
        worktree_files.read_file(repo, ".gitmem/decisions/2026-11-24-x.md", 1000)
    assert info.value.path == linked
    with pytest.raises(RefusedFileError):
        worktree_files.list_folder(repo, ".gitmem/decisions", ".md")
    with pytest.raises(RefusedFileError):
        worktree_files.create_new(repo, ".gitmem/decisions", ["2026-11-24-y.md"], b"new\n")
    assert sorted(p.name for p in outside.rglob("*")) == ["2026-11-24-x.md", "2026-11-24-x.md", "decisions"]


def test_a_fifo_is_refused_without_waiting_for_a_writer(repo: Path) -> None:
    (repo / ".gitmem").mkdir()
    os.mkfifo(repo / ".gitmem" / "config.yaml")
    with pytest.raises(RefusedFileError, match=r"refused: it is a named pipe \(FIFO\), not a regular file"):
        worktree_files.read_file(repo, ".gitmem/config.yaml", 1000)


def test_a_file_over_the_cap_is_refused(repo: Path) -> None:
    (repo / ".gitmem").mkdir()
    (repo / ".gitmem" / "config.yaml").write_bytes(b"#" * 1025)
    with pytest.raises(RefusedFileError, match="larger than 1 KiB"):
        worktree_files.read_file(repo, ".gitmem/config.yaml", 1024)
    assert len(worktree_files.read_file(repo, ".gitmem/config.yaml", 1025)) == 1025


def test_listing_names_regular_files_and_refuses_links(repo: Path) -> None:
    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True)
    (folder / "2026-11-24-a.md").write_text("a")
    (folder / "2026-11-24-b.md").symlink_to("/etc/passwd")
    (folder / ".hidden.md").write_text("x")
    (folder / "notes.txt").write_text("x")
    (folder / "sub.md").mkdir()
    listing = worktree_files.list_folder(repo, ".gitmem/decisions", ".md")
    assert listing.names == ("2026-11-24-a.md",)
    assert [str(e) for e in listing.refused] == [
        ".gitmem/decisions/2026-11-24-b.md: refused: it is a symbolic link to /etc/passwd"]
    assert worktree_files.list_folder(repo, ".gitmem/nothing-here", ".md") == worktree_files.Listing()


def test_create_new_never_overwrites_and_never_follows_a_link(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True)
    (folder / "a.md").symlink_to(target)   # dangling: writing through it would create `target`
    (folder / "b.md").write_text("kept")
    rel = worktree_files.create_new(repo, ".gitmem/decisions", ["a.md", "b.md", "c.md"], b"new")
    assert rel == ".gitmem/decisions/c.md" and (folder / "c.md").read_bytes() == b"new"
    assert not target.exists() and (folder / "b.md").read_text() == "kept"
    assert sorted(p.name for p in folder.iterdir()) == ["a.md", "b.md", "c.md"]   # no temporary file left


def test_replace_file_keeps_the_mode_and_refuses_a_link(repo: Path, tmp_path: Path) -> None:
    folder = repo / ".gitmem" / "decisions"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("old")
    (folder / "a.md").chmod(0o640)
    worktree_files.replace_file(repo, ".gitmem/decisions/a.md", b"new")
    assert (folder / "a.md").read_text() == "new" and (folder / "a.md").stat().st_mode & 0o777 == 0o640
    outside = tmp_path / "outside.md"
    outside.write_text("outside")
    (folder / "b.md").symlink_to(outside)
    with pytest.raises(RefusedFileError):
        worktree_files.replace_file(repo, ".gitmem/decisions/b.md", b"new")
    assert outside.read_text() == "outside"


@pytest.mark.parametrize("text, expected", [
    ("a\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n", [(2, "<<<<<<<"), (4, "======="), (6, ">>>>>>>")]),
    ("a\n<<<<<<< HEAD\nours\n||||||| base\nold\n=======\ntheirs\n>>>>>>> b\n",
     [(2, "<<<<<<<"), (4, "|||||||"), (6, "======="), (8, ">>>>>>>")]),
    ("Title\n=======\n\ntext\n", []),                       # a Markdown heading underline
    ("text\n>>>>>>> half-resolved\n", [(2, ">>>>>>>")]),
    ("<<<<<<<<< not a marker\n  <<<<<<< indented\n", []),
])
def test_conflict_markers(text: str, expected: list[tuple[int, str]]) -> None:
    assert worktree_files.conflict_markers(text) == expected
