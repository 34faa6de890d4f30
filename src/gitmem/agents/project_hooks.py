"""An agent's hooks file in the repository: whether the agent is here, and keeping a personal file out of commits.

What the agents besides Claude Code share (Codex's ``.codex/hooks.json``, Gemini's ``.gemini/settings.json``):
``gitmem init`` sets an agent up when the repository has its folder or its command is on PATH, and a hooks
file holding personal commands (absolute paths of this machine) is kept out of commits through
``info/exclude``, or, when git already tracks it, the person is told how to untrack it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gitmem.git import Repo
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.local_exclude import add_exclude, top_relative


def found_here(root: Path, folder: str, command: str) -> str:
    """Why ``gitmem init`` sets an agent up in ``root``: the repository has ``folder``, or ``command`` is on PATH;
    '' when neither."""
    if (Path(root) / folder).is_dir():
        return f"{folder}/ in the repository"
    return f"{command} on PATH" if shutil.which(command) else ""


def keep_personal(repo: Repo, path: Path, rel: str) -> tuple[list[str], bool]:
    """Keep the personal hooks file ``path`` (``rel`` from the work tree's top) out of commits.

    Returns (notes for the person, whether an ``info/exclude`` line was added now).
    """
    top_rel = top_relative(repo, path, rel)
    if is_tracked(repo, top_rel):
        return [f"{rel} is tracked by git, so its absolute paths would be committed; "
                f"untrack it with `git rm --cached {rel}`"], False
    if matches_ignore_rules(repo, top_rel):
        return [], False
    exclude = add_exclude(repo, top_rel)
    return [f"added {top_rel} to {exclude} so git ignores it"], True
