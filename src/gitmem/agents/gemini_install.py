"""Add and remove gitmem's hooks in a repository's ``.gemini/settings.json``, and say whether the Gemini CLI runs them.

The file is Gemini's project settings, often the team's: only gitmem's handlers change (recognised by their
command, ``integrations.claude_commands.is_gitmem_command``), every other key and byte stays, a second
install leaves the file byte-identical, and install then uninstall gives the original bytes back (what the
install created is recorded in ``<git-common-dir>/gitmem/gemini-install.json``). ``hooks`` also holds
Gemini's own settings (``enabled``, ``disabled``, ``notifications``), which are left alone. A file that is
not JSON, or whose ``hooks`` has the wrong shape, is a ``ConfigError`` naming the file and the line, and
is left unchanged.

Personal by default: the commands name this machine's interpreter and hook file, and the file is kept out
of commits (``info/exclude``; when git tracks it, the person is told). ``--shared`` writes the portable
``gitmem hook <Event>`` commands instead, for the team to commit.

The Gemini CLI reads a project's settings, and so runs its hooks, only in a trusted folder: with
``security.folderTrust.enabled`` (its default) the folder must be trusted in ``~/.gemini/trustedFolders.json``
(a folder nothing says about counts as untrusted), or ``GEMINI_CLI_TRUST_WORKSPACE`` set. gitmem never
decides that for the person; the status reads both and says when the hooks will not run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gitmem.agents import gemini
from gitmem.agents.hooks_file import HooksFile, hooked_events, install_hooks, uninstall_hooks
from gitmem.integrations.install import InstallResult

HOOKS = HooksFile(agent="gemini", rel=gemini.SETTINGS_FILE, label="Gemini settings file", events=tuple(gemini.EVENTS),
                  config=gemini.hooks_config, checked=tuple(gemini.EVENTS))
TRUST_HINT = ("the Gemini CLI runs a project's hooks only in a trusted folder: trust this one when `gemini` "
              "asks (or with `/permissions trust` in it), or turn folder trust off (security.folderTrust.enabled "
              "in ~/.gemini/settings.json)")


@dataclass(frozen=True, slots=True)
class GeminiHooksStatus:
    """Which gitmem events .gemini/settings.json hooks, whether the folder is trusted, and what is wrong."""

    hooked: tuple[str, ...]          # Gemini events hooked by gitmem
    folder_trusted: bool | None      # None: nothing says, and the CLI then treats the folder as untrusted
    problems: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        return all(e in self.hooked for e in gemini.EVENTS) and self.folder_trusted is True

    def to_json(self) -> dict[str, Any]:
        return {"installed": self.installed, "hooked": list(self.hooked), "folder_trusted": self.folder_trusted,
                "problems": list(self.problems)}


def install_gemini(root: Path, shared: bool = False, python: str | None = None, *,
                   hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``.gemini/settings.json``: the fast command (kept out of git), or with ``shared`` the
    portable ``gitmem hook <Event>`` for the team to commit."""
    result = install_hooks(HOOKS, root, shared=shared, python=python, hook_path=hook_path)
    if folder_trusted(Path(root).absolute()) is True:
        return result
    return replace(result, notes=result.notes + (TRUST_HINT,))


def uninstall_gemini(root: Path) -> InstallResult:
    """Remove gitmem's hooks from ``.gemini/settings.json`` (and the file, when the install created it)."""
    return uninstall_hooks(HOOKS, root)


def _json_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def folder_trusted(root: Path) -> bool | None:
    """Whether the Gemini CLI trusts ``root`` as its own checks do: the ``GEMINI_CLI_TRUST_WORKSPACE``
    switch, folder trust turned off in ``~/.gemini/settings.json``, else the nearest entry of
    ``~/.gemini/trustedFolders.json`` (``TRUST_FOLDER``, ``TRUST_PARENT`` for the folders below its parent,
    ``DO_NOT_TRUST``); None when nothing says."""
    switch = os.environ.get("GEMINI_CLI_TRUST_WORKSPACE")
    if switch in ("true", "false"):
        return switch == "true"
    folder = gemini.gemini_home() / ".gemini"
    trust = _json_file(folder / "settings.json").get("security")
    enabled = trust.get("folderTrust", {}).get("enabled", True) if isinstance(trust, dict) and \
        isinstance(trust.get("folderTrust"), dict) else True
    if enabled is False:
        return True
    best: tuple[int, bool] | None = None
    for where, level in _json_file(folder / "trustedFolders.json").items():
        if not isinstance(where, str) or level not in ("TRUST_FOLDER", "TRUST_PARENT", "DO_NOT_TRUST"):
            continue
        base = Path(where).parent if level == "TRUST_PARENT" else Path(where)
        if root == base or base in root.parents:
            if best is None or len(where) > best[0]:
                best = (len(where), level != "DO_NOT_TRUST")
    return best[1] if best else None


def gemini_hooks_status(root: Path) -> GeminiHooksStatus:
    """What the Gemini CLI will run of gitmem's hooks here, and why not; never raises on bad files."""
    root = Path(root).absolute()
    scan = hooked_events(HOOKS, root)
    problems = list(scan.problems)
    hooks = scan.data.get("hooks")
    if isinstance(hooks, dict) and hooks.get("enabled") is False:
        problems.append(f"{gemini.SETTINGS_FILE} sets hooks.enabled to false, so the Gemini CLI runs no hooks")
    trusted = folder_trusted(root)
    if scan.hooked and trusted is not True:
        problems.append(f"the Gemini CLI {'does not trust' if trusted is False else 'has not been told to trust'} "
                        f"{root}, so it skips the project's settings and gitmem's hooks with them; {TRUST_HINT}")
    problems.append(scan.missing(HOOKS))
    return GeminiHooksStatus(hooked=scan.hooked, folder_trusted=trusted,
                             problems=tuple(dict.fromkeys(p for p in problems if p)))
