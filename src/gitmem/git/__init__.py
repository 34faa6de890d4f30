"""The only code that runs git.

Everything goes through ``run_git``: an argv list (never a shell), a deadline,
and a ``GitError`` carrying argv, return code and stderr on failure. Above it
sit small typed functions named after the plumbing they run. Output that holds
paths is requested with ``-z`` and split on NUL, so no path is ever unquoted
by hand. Nothing here touches the index, the work tree or HEAD unless a
function's name says so.

The modules: ``repo`` (running git, the repository handle, object reads),
``trees`` (diff and merge of trees), ``transport`` (fetch and push),
``quarantine`` (objects kept only when a merge succeeds). The names below are
what the rest of gitmem imports, as ``from gitmem.git import Repo``.
"""

from gitmem.git.quarantine import Quarantine, missing_objects, quarantine
from gitmem.git.repo import (GIT_TIMEOUT_SECONDS, ZERO_OID, ObjectReader, Repo, TreeEntry, discover, git_version,
                             read_reflog, run_git, run_git_bytes)
from gitmem.git.transport import PushStatus, fetch, push
from gitmem.git.trees import (ConflictStage, DiffEntry, MergeTree, diff_tree, diff_trees, empty_tree, merge_base,
                              merge_tree, merge_tree_argv, parse_merge_tree, parse_raw_diff, run_git_parallel)

__all__ = ["GIT_TIMEOUT_SECONDS", "ZERO_OID", "ConflictStage", "DiffEntry", "MergeTree", "ObjectReader", "PushStatus",
           "Quarantine", "Repo", "TreeEntry", "diff_tree", "diff_trees", "discover", "empty_tree", "fetch",
           "git_version", "merge_base", "merge_tree", "merge_tree_argv", "parse_merge_tree", "parse_raw_diff", "missing_objects", "push", "quarantine", "read_reflog",
           "run_git", "run_git_bytes", "run_git_parallel"]
