"""Objects and trees by name: reading blobs and listings, writing trees and commits (cat-file, ls-tree, mktree, commit-tree, hash-object)."""

from __future__ import annotations

from typing import Sequence

from gitmem.git.repo import Repo, TreeEntry

# -- used by store/ --


def object_types(repo: Repo, names: Sequence[str]) -> list[str | None]:
    """The type of each object ``names`` names (an id, or ``<tree-ish>:<path>``), in order; None when it does not
    exist. One ``cat-file --batch-check`` for all of them. A name holding a line break (read from a record, it
    could shift every answer after it) is not asked about: None."""
    asked = [n for n in names if n and "\n" not in n and "\r" not in n]
    if not asked:
        return [None] * len(names)
    proc = repo.git_bytes("cat-file", "--batch-check=%(objecttype)", input="".join(f"{n}\n" for n in asked).encode(),
                          check=False)
    lines = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    # git answers "<name> missing" (or "ambiguous") for a name it cannot resolve, and a bare type otherwise.
    answers = {n: line for n, line in zip(asked, lines) if line and " " not in line}
    return [answers.get(n) for n in names]


def subtree_paths(repo: Repo, treeish: str, path: str) -> list[str]:
    """Paths of every tree under ``path`` in ``treeish``, at any depth, the folder ``path`` names first
    (``ls-tree -r -d``: no blob is listed)."""
    out = repo.git_bytes("ls-tree", "-r", "-d", "-z", "--name-only", treeish, path).stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def blob_paths(repo: Repo, treeish: str, path: str) -> list[str]:
    """Paths of every file under ``path`` in ``treeish``, at any depth (``ls-tree -r --name-only``)."""
    out = repo.git_bytes("ls-tree", "-r", "-z", "--name-only", treeish, path).stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def tree_entries(repo: Repo, treeish: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Every entry, at any depth, under any of ``paths`` (pathspecs from the root of ``treeish``), from one
    ``ls-tree -r``; a path that does not exist lists nothing."""
    out = repo.git_bytes("ls-tree", "-r", "-z", "--full-tree", treeish, "--", *paths).stdout
    entries = []
    for item in out.split(b"\0"):
        meta, _, name = item.partition(b"\t")
        if not name:
            continue
        mode, otype, oid = meta.decode().split(" ")
        entries.append(TreeEntry(mode, otype, oid, name.decode("utf-8", "surrogateescape")))
    return entries


def note_count(repo: Repo, notes_ref: str) -> int:
    """How many commits ``notes_ref`` annotates (``git notes list``); 0 when the ref does not exist."""
    out = repo.git_bytes("notes", f"--ref={notes_ref}", "list", check=False).stdout
    return len([line for line in out.splitlines() if line.strip()])
