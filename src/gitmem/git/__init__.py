"""The only code that runs git.

Everything goes through ``run_git_bytes`` (``git/repo.py``): an argv list (never
a shell), a deadline, and a ``GitError`` carrying argv, return code and stderr
on failure. Above it sit small typed functions named after what they do, one
module per concern: ``repo`` (running git, the repository handle, reading
objects), ``refs``, ``objects`` (trees, blobs, commits), ``history`` (rev-list,
log), ``trees`` (diff and merge of trees), ``config``, ``worktree`` (queries
about the work tree, which gitmem never changes), ``transport`` (fetch, push),
``quarantine`` (fetched objects kept only when a merge succeeds) and
``scratch`` (the demo's throw-away repository). Output that holds paths is
requested with ``-z`` and split on NUL, so no path is ever unquoted by hand.
No module outside this package builds a git command line
(``tests/test_architecture.py`` checks it).

The names below are the ones most of gitmem needs (``from gitmem.git import
Repo, discover``); everything else is imported from its module.
"""

from gitmem.git.quarantine import Quarantine, missing_objects, quarantine
from gitmem.git.repo import (GIT_TIMEOUT_SECONDS, ObjectReader, Repo, TreeEntry, discover, git_version, read_reflog)
from gitmem.git.transport import PushStatus, fetch, push
from gitmem.git.trees import (ConflictStage, DiffEntry, MergeTree, diff_tree, diff_trees, empty_tree, merge_base,
                              merge_tree)

__all__ = ["GIT_TIMEOUT_SECONDS", "ConflictStage", "DiffEntry", "MergeTree", "ObjectReader", "PushStatus", "Quarantine",
           "Repo", "TreeEntry", "diff_tree", "diff_trees", "discover", "empty_tree", "fetch", "git_version",
           "merge_base", "merge_tree", "missing_objects", "push", "quarantine", "read_reflog"]
