"""Objects and trees by name: reading blobs and listings, writing trees and commits (cat-file, ls-tree, mktree, commit-tree, hash-object)."""

from __future__ import annotations

from typing import Sequence

from gitmem.git.repo import Repo

# -- used by app/ --


def tree_of(repo: Repo, commit: str) -> str:
    """The id of the tree ``commit`` records; ``GitError`` when it is not a commit here."""
    return repo.git("rev-parse", "--verify", "--end-of-options", f"{commit}^{{tree}}").strip()


def hash_blob(repo: Repo, data: bytes) -> str:
    """Write ``data`` as a blob into the object store; its id."""
    return repo.git_bytes("hash-object", "-w", "--stdin", input=data).stdout.decode().strip()


def paths_in_tree(repo: Repo, treeish: str, paths: Sequence[str]) -> list[str]:
    """Which of ``paths`` (from the top of the tree, files or folders) ``treeish`` holds, in its order;
    [] when ``treeish`` does not exist (before the first commit)."""
    proc = repo.git_bytes("ls-tree", "-z", "--name-only", "--full-tree", treeish, "--", *paths, check=False)
    if proc.returncode != 0:
        return []
    return [name for name in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def delete_unreachable_objects(repo: Repo) -> str:
    """Repack what is reachable into one pack and delete every unreachable object now (``repack -a -d``,
    ``prune --expire=now``); '' when both succeeded, else git's complaints."""
    repack = repo.git_bytes("repack", "-a", "-d", "-q", check=False)
    prune = repo.git_bytes("prune", "--expire=now", check=False)
    if repack.returncode or prune.returncode:
        return f"{repack.stderr.decode('utf-8', 'replace')} {prune.stderr.decode('utf-8', 'replace')}"
    return ""
