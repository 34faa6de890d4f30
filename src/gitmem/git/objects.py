"""Objects and trees by name: reading blobs and listings, writing trees and commits (cat-file, ls-tree, mktree, commit-tree, hash-object)."""

from __future__ import annotations

import os
import tempfile
from typing import Iterable, Mapping, Sequence

from gitmem.errors import GitError
from gitmem.git.repo import PLACEHOLDER_EMAIL, PLACEHOLDER_NAME, Repo, TreeEntry, run_git_bytes
from gitmem.git.trees import (DiffEntry, MergeTree, diff_argv, merge_tree_argv, parse_merge_tree, parse_raw_diff,
                              run_git_parallel)

PLACEHOLDER_IDENTITY = ("-c", f"user.name={PLACEHOLDER_NAME}", "-c", f"user.email={PLACEHOLDER_EMAIL}")


def tree_ids(repo: Repo, *commits: str) -> list[str]:
    """The root tree of each commit, in order, from one ``rev-parse``."""
    return repo.git_bytes("rev-parse", *(f"{c}^{{tree}}" for c in commits)).stdout.decode().split()


def blob_ids(repo: Repo, specs: Sequence[str]) -> list[str | None]:
    """For each ``<tree-ish>:<path>``, the blob id there, or None when the path holds no blob (absent, a folder);
    one ``cat-file --batch-check``."""
    if not specs:
        return []
    query = "".join(f"{s}\n" for s in specs).encode()
    out = repo.git_bytes("cat-file", "--batch-check=%(objecttype) %(objectname)", input=query).stdout
    ids: list[str | None] = []
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        kind, _, oid = line.partition(" ")
        ids.append(oid if kind == "blob" else None)
    return ids


def object_infos(repo: Repo, specs: Sequence[str]) -> list[tuple[str, str, int] | None]:
    """For each object name (an id or ``<tree-ish>:<path>``), its ``(id, type, size)``, or None when it does not
    exist; one ``cat-file --batch-check``."""
    if not specs:
        return []
    return _parse_infos(repo.git_bytes("cat-file", "--batch-check", input=_infos_query(specs)).stdout)


def _infos_query(specs: Sequence[str]) -> bytes:
    return ("\n".join(specs) + "\n").encode()


def _parse_infos(out: bytes) -> list[tuple[str, str, int] | None]:
    infos: list[tuple[str, str, int] | None] = []
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split(" ")
        infos.append((parts[0], parts[1], int(parts[2])) if len(parts) == 3 and parts[2].isdigit() else None)
    return infos


def folder_paths(repo: Repo, treeish: str, path: str) -> list[str]:
    """``path`` (``dir/``) in ``treeish`` and every folder under it, at any depth, from one ``ls-tree -r -d -z``."""
    out = repo.git_bytes("ls-tree", "-d", "-r", "-z", "--name-only", treeish, path).stdout
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def make_tree(repo: Repo, entries: Sequence[tuple[str, str, str, str]]) -> str:
    """One tree object of ``(mode, type, id, name)`` entries (``mktree -z``); its id."""
    data = "".join(f"{mode} {kind} {oid}\t{name}\0" for mode, kind, oid, name in entries).encode()
    return repo.git_bytes("mktree", "-z", input=data).stdout.decode().strip()


def write_tree(repo: Repo, entries: Mapping[str, tuple[str, str]]) -> str:
    """A tree holding exactly ``{path: (mode, blob oid)}``, built with a temporary index (no work tree touched)."""
    fd, index = tempfile.mkstemp(prefix="gitmem-index-", dir=repo.git_dir)
    os.close(fd)
    os.unlink(index)
    env_index = {"GIT_INDEX_FILE": index}
    try:
        data = "".join(f"{mode} {oid}\t{path}\0" for path, (mode, oid) in sorted(entries.items())).encode()
        run_git_bytes("update-index", "--add", "-z", "--index-info", cwd=repo.cwd, input=data, env=env_index)
        return run_git_bytes("write-tree", cwd=repo.cwd, env=env_index).stdout.decode().strip()
    finally:
        if os.path.exists(index):
            os.unlink(index)


def _commit_tree_argv(tree: str, parents: Iterable[str], message: str) -> list[str]:
    return ["commit-tree", tree, *(a for p in parents for a in ("-p", p)), "-m", message]


def try_commit_tree(repo: Repo, tree: str, parents: Sequence[str], message: str) -> str | None:
    """``git commit-tree`` with the user's identity; None when git has none configured (or refuses)."""
    proc = repo.git_bytes(*_commit_tree_argv(tree, parents, message), check=False)
    return proc.stdout.decode().strip() if proc.returncode == 0 else None


def commit_tree(repo: Repo, tree: str, parents: Iterable[str], message: str) -> str:
    """``git commit-tree`` with the user's identity, or gitmem's placeholder when none is configured."""
    parents = list(parents)
    commit = try_commit_tree(repo, tree, parents, message)
    if commit is None:
        argv = _commit_tree_argv(tree, parents, message)
        commit = repo.git_bytes(*PLACEHOLDER_IDENTITY, *argv).stdout.decode().strip()
    return commit


def _folder_diff_argv(a: str, b: str) -> list[str]:
    return ["diff-tree", "-r", "-t", "-z", "--raw", "--no-renames", "--no-abbrev", a, b]


def diff_tree_with_folders(repo: Repo, a: str, b: str) -> list[DiffEntry]:
    """Every entry that differs between two trees, folders included (``diff-tree -r -t``)."""
    return parse_raw_diff(repo.git_bytes(*_folder_diff_argv(a, b)).stdout)


def diff_and_merge_tree(repo: Repo, diff_from: str, diff_to: str, ours: str, theirs: str
                        ) -> tuple[list[DiffEntry], MergeTree | GitError]:
    """``diff_tree_with_folders(diff_from, diff_to)`` and ``merge_tree(ours, theirs)`` run side by side.

    The diff's failure raises; the merge's comes back as the GitError it would raise, for a caller that
    uses the merge only when the diff shows nothing wrong (a name with ``/`` aborts merge-tree)."""
    merge_proc, diff_proc = run_git_parallel(repo, [merge_tree_argv(ours, theirs), _folder_diff_argv(diff_from,
                                                                                                      diff_to)])
    if diff_proc.returncode != 0:
        raise GitError(diff_proc.args, diff_proc.returncode, diff_proc.stderr.decode("utf-8", "replace"))
    try:
        merged: MergeTree | GitError = parse_merge_tree(merge_proc)
    except GitError as exc:
        merged = exc
    return parse_raw_diff(diff_proc.stdout), merged


def infos_diff_and_commit(repo: Repo, specs: Sequence[str], diff_from: str, diff_to: str,
                          commit: tuple[str, Sequence[str], str] | None
                          ) -> tuple[list[tuple[str, str, int] | None], list[DiffEntry], str | None]:
    """``object_infos(specs)``, ``diff_tree(diff_from, diff_to)`` and, when ``commit`` is ``(tree, parents,
    message)``, ``try_commit_tree`` of it, run side by side: one ``cat-file --batch-check``, one ``diff-tree``
    and one ``commit-tree``. The commit is None when git refused it (no identity) or was not asked for."""
    argvs: list[list[str]] = [["cat-file", "--batch-check"], diff_argv(diff_from, diff_to)]
    if commit is not None:
        argvs.append(_commit_tree_argv(*commit))
    procs = run_git_parallel(repo, argvs, inputs=[_infos_query(specs) if specs else b""])
    for proc in procs[:2]:
        if proc.returncode != 0:
            raise GitError(proc.args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    made = procs[2].stdout.decode().strip() if len(procs) > 2 and procs[2].returncode == 0 else None
    return (_parse_infos(procs[0].stdout) if specs else []), parse_raw_diff(procs[1].stdout), made or None


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
