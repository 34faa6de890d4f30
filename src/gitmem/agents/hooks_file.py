"""An agent's own hooks file in Claude Code's shape, added to and removed from a repository: the install steps
every such agent shares (GitHub Copilot's ``.github/hooks/gitmem.json``).

Invariants (those of integrations/install.py for Claude Code's settings):
- Only gitmem's handlers change (``_spots``: recognised by their command); other handlers, keys and bytes stay.
  A file is written only when its content changes, atomically; a second install leaves it byte-identical.
- Uninstall removes what the install created, and only that: the file (when nothing else is left in it), the
  folders made for it, and its exclude line, as recorded in ``<git-common-dir>/gitmem/<agent>-install.json``.
- A file that is not valid JSON, or whose ``hooks`` has the wrong shape, is a ``ConfigError`` naming the file
  and the line, and nothing is written.
- A personal install (absolute interpreter and hook paths) is kept out of commits through ``info/exclude``; a
  shared one (``gitmem hook <Event> <agent>``, works wherever gitmem is on PATH) is meant to be committed.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem.config import state_dir
from gitmem.errors import ConfigError, GitmemError
from gitmem.git import Repo, discover
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.claude_commands import (command_problems, fast_command, hook_file, personal_python,
                                                 portable_command)
from gitmem.integrations.install import InstallResult, _merge, _spots, read_hooks_file, remove_gitmem_hooks
from gitmem.integrations.jsondoc import JsonDoc, read_install_record, write_atomic, write_install_record
from gitmem.integrations.local_exclude import add_exclude, remove_exclude, top_relative

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HooksFile:
    """Where one agent reads gitmem's hooks, and what gitmem puts there."""

    agent: str                   # the word in `gitmem install <agent>` and at the end of the hook command
    rel: str                     # the file, relative to the work tree's root
    label: str                   # how messages name it ("Copilot hooks file")
    events: tuple[str, ...]      # the events gitmem hooks
    config: Callable[[Callable[[str], str]], dict[str, list[dict[str, Any]]]]   # commands -> ``hooks`` mapping

    def read(self, path: Path) -> JsonDoc:
        hint = f"fix it and rerun `gitmem install {self.agent}`; gitmem left {self.rel} unchanged."
        return read_hooks_file(path, f"{self.label} {self.rel}", hint)

    def record_path(self, repo: Repo) -> Path:
        return state_dir(repo.common_dir) / f"{self.agent}-install.json"


def _missing_dirs(root: Path, folder: Path) -> list[str]:
    """The folders from ``folder`` up to (not including) ``root`` that do not exist yet, deepest first."""
    out = []
    while folder != root and not folder.exists():
        out.append(str(folder.relative_to(root)))
        folder = folder.parent
    return out


def install_hooks(spec: HooksFile, root: Path, *, shared: bool = False, python: str | None = None,
                  hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``spec``'s file: the fast command (git-ignored), or with ``shared`` the portable one."""
    root = Path(root).absolute()
    repo = discover(root)
    path = root / spec.rel
    if shared:
        wanted = spec.config(lambda event: portable_command(event, spec.agent))
    else:
        py = personal_python(python)
        hook = Path(hook_path) if hook_path is not None else hook_file()
        if not hook.is_file():
            raise GitmemError(f"the hook file {hook} is missing from this gitmem installation",
                              hint=f"reinstall gitmem, then rerun `gitmem install {spec.agent}`.")
        wanted = spec.config(lambda event: fast_command(event, py, hook.absolute(), spec.agent))
    doc = spec.read(path)
    record = read_install_record(spec.record_path(repo))
    entry = record["files"].get(str(path))
    before = copy.deepcopy(doc.data)
    had_gitmem = any(_spots(g) for g in doc.data.get("hooks", {}).values() if isinstance(g, list))
    dirs = [] if doc.existed else _missing_dirs(root, path.parent)
    created = [] if doc.existed else ["file"] + (["dir"] if dirs else [])
    may_drop = (lambda c: c in entry["created"]) if entry else (lambda c: True)
    added, replaced, removed, made = _merge(doc.data, wanted, may_drop)
    changed = doc.data != before or not doc.existed
    if changed:
        write_atomic(path, doc.render())
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, added, replaced)

    kept = entry if entry and had_gitmem else {}
    new_entry = {"created": sorted(set(kept.get("created", [])) | set(created + made)),
                 "dirs": list(kept.get("dirs", [])) + dirs, "exclude": bool(kept.get("exclude"))}
    notes: list[str] = []
    top_rel = top_relative(repo, path, spec.rel)
    if shared:
        if new_entry["exclude"] and remove_exclude(repo, top_rel):
            notes.append(f"removed {top_rel} from .git/info/exclude so it can be committed")
        new_entry["exclude"] = False
        if matches_ignore_rules(repo, top_rel):
            notes.append(f"{spec.rel} is ignored by git, so teammates will not receive it; commit it with "
                         f"`git add -f {spec.rel}`")
    elif is_tracked(repo, top_rel):
        notes.append(f"{spec.rel} is tracked by git, so its absolute paths would be committed; untrack it with "
                     f"`git rm --cached {spec.rel}`, or share portable commands with `gitmem install {spec.agent} "
                     "--shared`")
    elif not matches_ignore_rules(repo, top_rel):
        notes.append(f"added {top_rel} to {add_exclude(repo, top_rel)} so git ignores it")
        new_entry["exclude"] = True
    if new_entry != entry:
        record["files"][str(path)] = new_entry
        write_install_record(spec.record_path(repo), record)
    return InstallResult(path=path, added=tuple(added), replaced=tuple(replaced), removed=tuple(removed),
                         unchanged=not changed, notes=tuple(notes))


def uninstall_hooks(spec: HooksFile, root: Path) -> InstallResult:
    """Remove gitmem's hooks from ``spec``'s file, and the file and folders the install created."""
    root = Path(root).absolute()
    repo = discover(root)
    path = root / spec.rel
    doc = spec.read(path) if path.exists() else None   # an invalid file stops here, before anything changes
    record = read_install_record(spec.record_path(repo))
    entry = record["files"].pop(str(path), None)
    removed, notes = remove_gitmem_hooks(repo, path, spec.rel, doc, entry) if doc is not None else ([], [])
    if removed and not path.exists():
        for folder in (entry or {}).get("dirs", []):
            with contextlib.suppress(OSError):
                (root / folder).rmdir()   # only when empty
    if entry is not None:
        write_install_record(spec.record_path(repo), record)
    return InstallResult(path=path, removed=tuple(removed), unchanged=not removed, notes=tuple(notes))


def hooked_events(spec: HooksFile, root: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the events gitmem's handlers hook in ``spec``'s file, the problems that would stop them); never raises on
    a bad file."""
    path = Path(root).absolute() / spec.rel
    if not path.exists():
        return (), ()
    try:
        data = spec.read(path).data
    except ConfigError as exc:
        return (), (exc.message,)
    hooked: list[str] = []
    problems: list[str] = []
    for event, groups in data.get("hooks", {}).items():
        for gi, hi in _spots(groups) if isinstance(groups, list) else ():
            hooked.append(event)
            found, _ = command_problems(spec.rel, event, groups[gi]["hooks"][hi]["command"])
            problems += [p.replace("`gitmem install claude`", f"`gitmem install {spec.agent}`") for p in found]
    hooked = list(dict.fromkeys(hooked))
    missing = [e for e in spec.events if e not in hooked]
    if hooked and missing:
        problems.append(f"gitmem's {spec.agent} hooks in {spec.rel} are incomplete (missing {', '.join(missing)}); "
                        f"rerun `gitmem install {spec.agent}`")
    return tuple(hooked), tuple(dict.fromkeys(problems))
