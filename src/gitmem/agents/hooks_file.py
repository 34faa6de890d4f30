"""An agent's own hooks file in a repository, added to and removed from: the install steps every agent shares
(Codex's ``.codex/hooks.json``, Copilot's ``.github/hooks/gitmem.json``, Cursor's ``.cursor/hooks.json``,
Gemini's ``.gemini/settings.json``), and whether ``gitmem init`` finds the agent here.

Invariants (those of integrations/install.py for Claude Code's settings):
- Only gitmem's handlers change (recognised by their command, ``integrations/hooks_merge.py``, in the file's
  ``Shape``); other handlers, keys and bytes stay. A file is written only when its content changes, atomically;
  a second install leaves it byte-identical.
- Uninstall removes what the install created, and only that: the file (when nothing else is left in it), the
  folders made for it, and its exclude line, as recorded in ``<git-common-dir>/gitmem/<agent>-install.json``.
  Without a record (gitmem's hooks installed by someone else) it removes only the containers its own removals
  emptied, and never the file.
- A file that is not valid JSON, or whose ``hooks`` has the wrong shape, is a ``ConfigError`` naming the file
  and the line, and nothing is written.
- A personal install (absolute interpreter and hook paths) is kept out of commits through ``info/exclude`` (or,
  when git tracks the file, the person is told how to untrack it); a shared one (``gitmem hook <Event>
  <agent>``, works wherever gitmem is on PATH) is meant to be committed.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem.config import state_dir
from gitmem.errors import ConfigError
from gitmem.git import Repo, discover
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.claude_commands import command_problems, personal_commands, portable_command
from gitmem.integrations.hooks_merge import MATCHER_GROUPS, Shape, gitmem_spots, has_gitmem, merge_hooks
from gitmem.integrations.install import InstallResult, read_hooks_file, remove_gitmem_hooks
from gitmem.integrations.jsondoc import JsonDoc, read_install_record, write_atomic, write_install_record
from gitmem.integrations.local_exclude import add_exclude, remove_exclude, top_relative

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HooksFile:
    """Where one agent reads gitmem's hooks, and what gitmem puts there."""

    agent: str                   # the word in `gitmem install <agent>`
    rel: str                     # the file, relative to the work tree's root
    label: str                   # how messages name it ("Copilot hooks file")
    events: tuple[str, ...]      # the events gitmem hooks, as the file names them
    config: Callable[[Callable[[str], str]], dict[str, Any]]   # commands -> gitmem's item per event
    shape: Shape = MATCHER_GROUPS
    command_agent: str = ""      # the word at the end of the hook command ('' where the payload tells the agent)
    checked: tuple[str, ...] | None = None   # the events whose shape reading checks (None: every event)
    shareable: bool = True       # whether `--shared` installs portable commands

    def read(self, path: Path) -> JsonDoc:
        hint = f"fix it and rerun `gitmem install {self.agent}`; gitmem left {self.rel} unchanged."
        return read_hooks_file(path, f"{self.label} {self.rel}", hint, self.checked, self.shape)

    def record_path(self, repo: Repo) -> Path:
        return state_dir(repo.common_dir) / f"{self.agent}-install.json"

    def commands(self, shared: bool, python: str | None, hook_path: Path | None) -> Callable[[str], str]:
        if shared:
            return lambda event: portable_command(event, self.command_agent)
        return personal_commands(python, hook_path, self.agent, self.command_agent)


def found_here(root: Path, folder: str, command: str) -> str:
    """Why ``gitmem init`` sets an agent up in ``root``: the repository has ``folder``, or ``command`` is on PATH;
    '' when neither."""
    if (Path(root) / folder).is_dir():
        return f"{folder}/ in the repository"
    return f"{command} on PATH" if shutil.which(command) else ""


def _missing_dirs(root: Path, folder: Path) -> list[str]:
    """The folders from ``folder`` up to (not including) ``root`` that do not exist yet, deepest first."""
    out = []
    while folder != root and not folder.exists():
        out.append(str(folder.relative_to(root)))
        folder = folder.parent
    return out


def keep_out_of_commits(spec: HooksFile, repo: Repo, path: Path, shared: bool, excluded: bool) -> tuple[list[str],
                                                                                                        bool]:
    """A personal file kept out of commits (``info/exclude``, or a note when git tracks it); a shared one let in.

    ``excluded``: an exclude line of gitmem's install is there. Returns (notes for the person, whether it is now).
    """
    top_rel = top_relative(repo, path, spec.rel)
    notes: list[str] = []
    if shared:
        if excluded and remove_exclude(repo, top_rel):
            notes.append(f"removed {top_rel} from .git/info/exclude so it can be committed")
        if matches_ignore_rules(repo, top_rel):
            notes.append(f"{spec.rel} is ignored by git, so teammates will not receive it; commit it with "
                         f"`git add -f {spec.rel}`")
        return notes, False
    if is_tracked(repo, top_rel):
        share = f", or share portable commands with `gitmem install {spec.agent} --shared`" if spec.shareable else ""
        notes.append(f"{spec.rel} is tracked by git, so its absolute paths would be committed; untrack it with "
                     f"`git rm --cached {spec.rel}`{share}")
    elif not matches_ignore_rules(repo, top_rel):
        notes.append(f"added {top_rel} to {add_exclude(repo, top_rel)} so git ignores it")
        return notes, True
    return notes, excluded


def install_hooks(spec: HooksFile, root: Path, *, shared: bool = False, python: str | None = None,
                  hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``spec``'s file: the fast command (git-ignored), or with ``shared`` the portable one."""
    root = Path(root).absolute()
    repo = discover(root)
    path = root / spec.rel
    wanted = spec.config(spec.commands(shared, python, hook_path))
    doc = spec.read(path)
    record = read_install_record(spec.record_path(repo))
    entry = record["files"].get(str(path))
    had_gitmem = has_gitmem(doc.data, spec.shape)
    dirs = [] if doc.existed else _missing_dirs(root, path.parent)
    merged = merge_hooks(doc, wanted, entry, spec.shape)
    if merged.changed:
        write_atomic(path, doc.render())
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, merged.added, merged.replaced)

    new_entry: dict[str, Any] | None = None  # gitmem's hooks installed by someone else: uninstall stays conservative
    if not had_gitmem or entry is not None:
        kept = entry if entry and had_gitmem else {}
        new_entry = {"created": sorted(set(kept.get("created", [])) | set(merged.created)),
                     "dirs": list(kept.get("dirs", [])) + dirs, "exclude": bool(kept.get("exclude"))}
    notes, excluded = keep_out_of_commits(spec, repo, path, shared, bool(new_entry and new_entry["exclude"]))
    if new_entry is not None:
        new_entry["exclude"] = excluded
        if new_entry != entry:
            record["files"][str(path)] = new_entry
            write_install_record(spec.record_path(repo), record)
    return InstallResult(path=path, added=merged.added, replaced=merged.replaced, removed=merged.removed,
                         unchanged=not merged.changed, notes=tuple(notes))


# Checks what else an uninstall changes, before anything is written: (file, its hooks, install record) -> the
# change to make once the hooks are gone, which returns its notes.
Plan = Callable[[Path, JsonDoc | None, dict[str, Any] | None], Callable[[], list[str]]]


def uninstall_hooks(spec: HooksFile, root: Path, plan: Plan | None = None) -> InstallResult:
    """Remove gitmem's hooks from ``spec``'s file, and the file and folders the install created; then ``plan``'s
    change."""
    root = Path(root).absolute()
    repo = discover(root)
    path = root / spec.rel
    doc = spec.read(path) if path.exists() else None   # an invalid file stops here, before any write
    record = read_install_record(spec.record_path(repo))
    entry = record["files"].pop(str(path), None)
    after = plan(path, doc, entry) if plan is not None else None
    removed, notes = remove_gitmem_hooks(repo, path, spec.rel, doc, entry, spec.shape) if doc is not None else ([], [])
    if removed and not path.exists():
        for folder in (entry or {}).get("dirs", []):
            with contextlib.suppress(OSError):
                (root / folder).rmdir()   # only when empty
    if after is not None:
        notes += after()
    if entry is not None:
        write_install_record(spec.record_path(repo), record)
    return InstallResult(path=path, removed=tuple(removed), unchanged=not removed, notes=tuple(notes))


@dataclass(frozen=True, slots=True)
class HooksScan:
    """What ``spec``'s file holds of gitmem's: its data (empty when missing or unreadable), the events hooked, and
    the problems that would stop them."""

    data: dict[str, Any]
    hooked: tuple[str, ...]
    problems: tuple[str, ...]

    def missing(self, spec: HooksFile) -> str:
        """The problem of hooks some events lack, '' when all are there (or none)."""
        missing = [e for e in spec.events if e not in self.hooked]
        if not self.hooked or not missing:
            return ""
        return (f"gitmem's {spec.agent} hooks in {spec.rel} are incomplete (missing {', '.join(missing)}); "
                f"rerun `gitmem install {spec.agent}`")


def hooked_events(spec: HooksFile, root: Path) -> HooksScan:
    """Which events gitmem's handlers hook in ``spec``'s file, and what would stop them; never raises on a bad
    file."""
    path = Path(root).absolute() / spec.rel
    if not path.exists():
        return HooksScan({}, (), ())
    try:
        data = spec.read(path).data
    except ConfigError as exc:
        return HooksScan({}, (), (exc.message,))
    hooked: list[str] = []
    problems: list[str] = []
    for event, items, spot in gitmem_spots(data, spec.shape):
        hooked.append(event)
        found, _ = command_problems(spec.rel, event, spec.shape.handler(items, spot)["command"])
        problems += [p.replace("`gitmem install claude`", f"`gitmem install {spec.agent}`") for p in found]
    return HooksScan(data, tuple(dict.fromkeys(hooked)), tuple(dict.fromkeys(problems)))
