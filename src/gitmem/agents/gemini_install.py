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
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.agents import gemini
from gitmem.agents.project_hooks import keep_personal
from gitmem.config import state_dir
from gitmem.git import Repo, discover
from gitmem.git.worktree import matches_ignore_rules
from gitmem.integrations.claude_commands import command_problems, personal_commands, portable_command
from gitmem.integrations.install import InstallResult, _spots, merge_hooks, read_hooks_file, remove_gitmem_hooks
from gitmem.integrations.jsondoc import JsonDoc, read_install_record, write_atomic, write_install_record
from gitmem.integrations.local_exclude import top_relative

logger = logging.getLogger(__name__)

RECORD_FILE = "gemini-install.json"
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


def _read(path: Path) -> JsonDoc:
    hint = f"fix it and rerun `gitmem install gemini`; gitmem left {gemini.SETTINGS_FILE} unchanged."
    return read_hooks_file(path, f"Gemini settings file {gemini.SETTINGS_FILE}", hint, gemini.EVENTS)


def _record_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / RECORD_FILE


def _has_gitmem(data: dict[str, Any]) -> bool:
    hooks = data.get("hooks")
    return isinstance(hooks, dict) and any(_spots(g) for g in hooks.values() if isinstance(g, list))


def install_gemini(root: Path, shared: bool = False, python: str | None = None, *,
                   hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``.gemini/settings.json``: the fast command (kept out of git), or with ``shared`` the
    portable ``gitmem hook <Event>`` for the team to commit."""
    root = Path(root).absolute()
    repo = discover(root)
    path = gemini.settings_path(root)
    wanted = gemini.hooks_config(portable_command if shared else personal_commands(python, hook_path, "gemini"))
    doc = _read(path)
    record = read_install_record(_record_path(repo))
    entry = record["files"].get(str(path))
    had_gitmem = _has_gitmem(doc.data)
    merged = merge_hooks(doc, wanted, entry)
    if merged.changed:
        write_atomic(path, doc.render())
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, merged.added, merged.replaced)

    notes: list[str] = []
    if not had_gitmem or entry is not None:
        new_entry: dict[str, Any] | None = {
            "created": sorted(set(entry["created"] if entry and had_gitmem else []) | set(merged.created)),
            "exclude": bool(entry and had_gitmem and entry.get("exclude"))}
    else:
        new_entry = None  # installed by someone else: keep uninstall's conservative mode
    if not shared:
        kept, excluded = keep_personal(repo, path, gemini.SETTINGS_FILE)
        notes += kept
        if excluded and new_entry is not None:
            new_entry["exclude"] = True
    elif matches_ignore_rules(repo, top_relative(repo, path, gemini.SETTINGS_FILE)):
        notes.append(f"{gemini.SETTINGS_FILE} is ignored by git, so teammates will not receive it; commit it "
                     f"with `git add -f {gemini.SETTINGS_FILE}`")
    if folder_trusted(root) is not True:
        notes.append(TRUST_HINT)
    if new_entry is not None and new_entry != entry:
        record["files"][str(path)] = new_entry
        write_install_record(_record_path(repo), record)
    return InstallResult(path=path, added=merged.added, replaced=merged.replaced, removed=merged.removed,
                         unchanged=not merged.changed, notes=tuple(notes))


def uninstall_gemini(root: Path) -> InstallResult:
    """Remove gitmem's hooks from ``.gemini/settings.json`` (and the file, when the install created it)."""
    root = Path(root).absolute()
    repo = discover(root)
    path = gemini.settings_path(root)
    doc = _read(path) if path.exists() else None  # an invalid file stops here, before anything changes
    record = read_install_record(_record_path(repo))
    entry = record["files"].pop(str(path), None)
    removed, notes = (remove_gitmem_hooks(repo, path, gemini.SETTINGS_FILE, doc, entry) if doc is not None
                      else ([], []))
    if entry is not None:
        write_install_record(_record_path(repo), record)
    return InstallResult(path=path, removed=tuple(removed), unchanged=not removed, notes=tuple(notes))


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
    from gitmem.errors import ConfigError

    root = Path(root).absolute()
    path = gemini.settings_path(root)
    hooked: list[str] = []
    problems: list[str] = []
    if path.exists():
        try:
            data = _read(path).data
        except ConfigError as exc:
            problems.append(exc.message)
            data = {}
        hooks = data.get("hooks", {})
        if isinstance(hooks, dict) and hooks.get("enabled") is False:
            problems.append(f"{gemini.SETTINGS_FILE} sets hooks.enabled to false, so the Gemini CLI runs no hooks")
        for event, groups in hooks.items() if isinstance(hooks, dict) else ():
            for gi, hi in _spots(groups) if isinstance(groups, list) else ():
                hooked.append(event)
                problems.extend(command_problems(gemini.SETTINGS_FILE, event, groups[gi]["hooks"][hi]["command"])[0])
    trusted = folder_trusted(root)
    if hooked:
        if trusted is not True:
            problems.append(f"the Gemini CLI {'does not trust' if trusted is False else 'has not been told to trust'} "
                            f"{root}, so it skips the project's settings and gitmem's hooks with them; {TRUST_HINT}")
        missing = [e for e in gemini.EVENTS if e not in hooked]
        if missing:
            problems.append(f"gitmem's Gemini hooks are incomplete (missing {', '.join(missing)}); "
                            "rerun `gitmem install gemini`")
    return GeminiHooksStatus(hooked=tuple(dict.fromkeys(hooked)), folder_trusted=trusted,
                             problems=tuple(dict.fromkeys(problems)))
