"""Add and remove gitmem's hooks in Claude Code's settings files.

Claude Code reads hooks from ``.claude/settings.local.json`` (personal, never
committed) and ``.claude/settings.json`` (shared through git), each shaped as
``hooks`` → event name → list of matcher groups ``{matcher, hooks: [handler]}``.
The commands gitmem puts there are ``claude_commands``'s; keeping the personal
file out of commits is ``local_exclude``'s.

Invariants this module keeps:

- It touches only gitmem's own handlers, recognised by their command
  (``.../gitmem/_hook.py``, ``.../gitmem/hook.py`` or ``gitmem hook``): other
  tools' hooks, other keys and key order stay as they were. Re-installing with another interpreter
  replaces gitmem's handler in place instead of adding a second one.
- A file is written only when its content changes (a second install leaves it
  byte-identical), atomically (a temporary file in the same folder, then
  ``os.replace``), and only gitmem's entries change: the rest keeps its exact
  bytes, new entries take the file's indentation, escaping and newline style.
- Install then uninstall gives back the original bytes: uninstall removes the
  containers (``hooks``, an event's list, the file, ``.claude/``) that the
  install created, and only those; what was created is recorded in
  ``<git-common-dir>/gitmem/claude-install.json``. Without that record it
  removes only the containers its own removals emptied, and never a file.
- A file that is not valid JSON, or whose ``hooks`` has the wrong shape, is a
  ``ConfigError`` naming the file and the line, and the file is left alone.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from gitmem.config import state_dir
from gitmem.errors import ConfigError, GitmemError
from gitmem.git import Repo, discover
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.claude_commands import (CLAUDE_EVENTS, command_problems, hooks_config, personal_commands,
                                                 portable_command)
from gitmem.integrations.claude_plugin import LOCAL_SETTINGS, SHARED_SETTINGS, PluginState, enabled_plugin
from gitmem.integrations.hooks_merge import (MATCHER_GROUPS, Shape, _spots, default_may_drop, has_gitmem, merge_hooks,
                                             remove_gitmem)
from gitmem.integrations.jsondoc import (JsonDoc, json_kind, read_install_record, read_json_doc, write_atomic,
                                         write_install_record)
from gitmem.integrations.local_exclude import add_exclude, remove_exclude, top_relative

logger = logging.getLogger(__name__)

RECORD_FILE = "claude-install.json"


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What one install or uninstall did to one settings file."""

    path: Path
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: bool = True
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaudeHooksStatus:
    """Which gitmem events are hooked, in which settings files, and what is wrong."""

    events: dict[str, tuple[str, ...]]
    problems: tuple[str, ...] = ()
    plugin: PluginState | None = None   # the gitmem plugin, when it is enabled here: it brings the hooks

    @property
    def installed(self) -> bool:
        return self.plugin is not None or all(self.events.get(e) for e in CLAUDE_EVENTS)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(e for e in CLAUDE_EVENTS if not self.events.get(e))

    def to_json(self) -> dict[str, Any]:
        return {"installed": self.installed, "events": {e: list(f) for e, f in self.events.items()},
                "missing": [] if self.plugin else list(self.missing), "problems": list(self.problems),
                "plugin": self.plugin.to_json() if self.plugin else None}


def settings_path(root: Path, shared: bool) -> Path:
    return Path(root) / (SHARED_SETTINGS if shared else LOCAL_SETTINGS)


# -- reading a settings file ------------------------------------------------------


def _read(path: Path, rel: str) -> JsonDoc:
    """Parse a settings file (missing: empty) and check the parts gitmem edits."""
    hint = f"fix it and rerun `gitmem install claude`; gitmem left {rel} unchanged."
    return read_hooks_file(path, f"settings file {rel}", hint, CLAUDE_EVENTS)


def read_hooks_file(path: Path, label: str, hint: str, events: Iterable[str] | None = None,
                    shape: Shape = MATCHER_GROUPS) -> JsonDoc:
    """Parse a hooks file (missing: empty): ``hooks`` an object of event names, each of ``events`` (every event
    when None) a list (of ``shape.noun``); else an error naming ``label``, key and line."""
    doc = read_json_doc(path, label, hint)
    hooks = doc.data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"{label}: `hooks` must be an object of event names, not "
                          f"{json_kind(hooks)} (line {doc.key_line('hooks')})", hint=hint)
    for event in (hooks if events is None else events):
        if event in hooks and not isinstance(hooks[event], list):
            raise ConfigError(f"{label}: `hooks.{event}` must be a list of {shape.noun}, "
                              f"not {json_kind(hooks[event])} (line {doc.key_line('hooks', event)})",
                              hint=hint)
    return doc


def _has_gitmem(doc: JsonDoc) -> bool:
    return has_gitmem(doc.data)


# -- the install record ------------------------------------------------------------


def _record_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / RECORD_FILE


def _load_record(repo: Repo) -> dict[str, Any]:
    return read_install_record(_record_path(repo))


def _save_record(repo: Repo, record: dict[str, Any]) -> None:
    write_install_record(_record_path(repo), record)


# -- the public operations ----------------------------------------------------------


def install_claude(root: Path, shared: bool = False, python: str | None = None, *,
                   hook_path: Path | None = None, force: bool = False) -> InstallResult:
    """Hook gitmem into ``.claude/settings.local.json`` (or ``settings.json`` with ``shared``).

    The local file gets the fast command with absolute paths and is kept out of
    git through ``.git/info/exclude``; the shared one gets ``gitmem hook <Event>``,
    which works on any machine where ``gitmem`` is on PATH. Where the gitmem
    plugin is enabled it already runs the hooks: refused unless ``force``.
    """
    root = Path(root).absolute()
    plugin = enabled_plugin(root)
    if plugin is not None and not force:
        raise GitmemError(f"the gitmem plugin ({plugin.describe()}) already provides Claude Code's hooks; "
                          f"installing them in {SHARED_SETTINGS if shared else LOCAL_SETTINGS} too would record "
                          "every event twice",
                          hint="keep the plugin (nothing to do), or disable it with `claude plugin disable "
                               f"{plugin.key}` first; `--force` installs the hooks anyway.")
    repo = discover(root)
    rel = SHARED_SETTINGS if shared else LOCAL_SETTINGS
    path = root / rel
    wanted = hooks_config(portable_command if shared else personal_commands(python, hook_path, "claude"))
    doc = _read(path, rel)
    record = _load_record(repo)
    entry = record["files"].get(str(path))
    had_gitmem = _has_gitmem(doc)
    merged = merge_hooks(doc, wanted, entry)
    notes: list[str] = []
    changed = merged.changed
    if changed:
        write_atomic(path, doc.render())
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, merged.added, merged.replaced)

    if not had_gitmem or entry is not None:
        new_entry = {"created": sorted(set(entry["created"] if entry and had_gitmem else []) | set(merged.created)),
                     "exclude": bool(entry and had_gitmem and entry.get("exclude"))}
    else:
        new_entry = None  # installed by someone else: keep uninstall's conservative mode

    top_rel = top_relative(repo, path, rel)
    if not shared:
        if is_tracked(repo, top_rel):
            notes.append(f"{rel} is tracked by git, so its absolute paths would be committed; "
                         f"untrack it with `git rm --cached {rel}`")
        elif not matches_ignore_rules(repo, top_rel):
            exclude = add_exclude(repo, top_rel)
            notes.append(f"added {top_rel} to {exclude} so git ignores it")
            if new_entry is not None:
                new_entry["exclude"] = True
    elif matches_ignore_rules(repo, top_rel):
        notes.append(f"{rel} is ignored by git, so teammates will not receive it; commit it with "
                     f"`git add -f {rel}`")
    other = settings_path(root, not shared)
    if other.exists():
        try:
            other_rel = LOCAL_SETTINGS if shared else SHARED_SETTINGS
            if _has_gitmem(_read(other, other_rel)):
                notes.append(f"{other_rel} also runs gitmem's hooks, so each event is recorded by "
                             "both; remove one with `gitmem uninstall claude"
                             f"{' --shared' if not shared else ' --local'}`")
        except ConfigError:
            pass

    if new_entry is not None and new_entry != entry:
        record["files"][str(path)] = new_entry
        _save_record(repo, record)
    return InstallResult(path=path, added=merged.added, replaced=merged.replaced, removed=merged.removed,
                         unchanged=not changed, notes=tuple(notes))


def _uninstall_file(repo: Repo, root: Path, shared: bool, record: dict[str, Any]) -> InstallResult:
    rel = SHARED_SETTINGS if shared else LOCAL_SETTINGS
    path = root / rel
    entry = record["files"].pop(str(path), None)
    if not path.exists():
        return InstallResult(path=path)
    removed, notes = remove_gitmem_hooks(repo, path, rel, _read(path, rel), entry)
    if not removed:
        return InstallResult(path=path)
    return InstallResult(path=path, removed=tuple(removed), unchanged=False, notes=tuple(notes))


def remove_gitmem_hooks(repo: Repo, path: Path, rel: str, doc: JsonDoc, entry: dict[str, Any] | None,
                        shape: Shape = MATCHER_GROUPS) -> tuple[list[str], list[str]]:
    """Remove gitmem's handlers from the hooks file ``doc`` and write it back, or delete it (with its folder and
    its exclude line) when the install recorded in ``entry`` created it and nothing else is left.

    Returns (events removed, notes). Every agent's hooks file uses it, with its ``shape``.
    """
    removed = remove_gitmem(doc.data, set(), default_may_drop(entry, shape), shape)
    notes: list[str] = []
    if not removed:
        return removed, notes
    if not doc.data and entry and "file" in entry["created"]:
        path.unlink()
        notes.append(f"deleted {rel}, which gitmem had created")
        if "dir" in entry["created"]:
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty
    else:
        write_atomic(path, doc.render())
    if entry and entry.get("exclude") and remove_exclude(repo, top_relative(repo, path, rel)):
        notes.append(f"removed {rel} from .git/info/exclude")
    return removed, notes


def uninstall_claude(root: Path, shared: bool | None = None) -> tuple[InstallResult, ...]:
    """Remove gitmem's hooks from the local file, the shared one, or (None) both.

    Every file is parsed before any is written, so an invalid one stops the
    whole operation with nothing changed.
    """
    root = Path(root).absolute()
    repo = discover(root)
    targets = [False, True] if shared is None else [shared]
    for target in targets:
        path = settings_path(root, target)
        _read(path, SHARED_SETTINGS if target else LOCAL_SETTINGS)
    record = _load_record(repo)
    had = dict(record["files"])
    results = tuple(_uninstall_file(repo, root, target, record) for target in targets)
    if record["files"] != had:
        _save_record(repo, record)
    return results


def claude_hooks_status(root: Path) -> ClaudeHooksStatus:
    """Where each gitmem event is hooked, and problems that would stop capture; never raises on bad files."""
    root = Path(root).absolute()
    events: dict[str, list[str]] = {e: [] for e in CLAUDE_EVENTS}
    problems: list[str] = []
    plugin = enabled_plugin(root)
    needs_gitmem_on_path = plugin is not None  # the plugin's hooks run `gitmem hook`
    for rel in (LOCAL_SETTINGS, SHARED_SETTINGS):
        path = root / rel
        if not path.exists():
            continue
        try:
            doc = _read(path, rel)
        except ConfigError as exc:
            problems.append(exc.message)
            continue
        if doc.data.get("disableAllHooks") is True:
            problems.append(f"{rel} sets disableAllHooks, so Claude Code runs no hooks at all")
        for event, groups in doc.data.get("hooks", {}).items():
            if not isinstance(groups, list):
                continue
            for gi, hi in _spots(groups):
                command = groups[gi]["hooks"][hi]["command"]
                if event not in events:
                    problems.append(f"{rel} hooks {event}, which gitmem no longer uses; "
                                    "rerun `gitmem install claude`")
                    events[event] = []
                if rel not in events[event]:
                    events[event].append(rel)
                found, on_path = command_problems(rel, event, command)
                problems.extend(found)
                needs_gitmem_on_path |= on_path
    for event in CLAUDE_EVENTS:
        if len(events[event]) > 1:
            problems.append(f"{event} is hooked in both {LOCAL_SETTINGS} and {SHARED_SETTINGS}, so it "
                            "is recorded twice; remove one with `gitmem uninstall claude --local` or "
                            "`--shared`")
    hooked = sorted({f for files in events.values() for f in files})
    if plugin is not None and hooked:
        problems.append(f"the gitmem plugin ({plugin.describe()}) records every event and {', '.join(hooked)} "
                        "hook gitmem too, so events are recorded twice; remove those with `gitmem uninstall claude`")
    elif any(events.values()) and not all(events[e] for e in CLAUDE_EVENTS):
        missing = ", ".join(e for e in CLAUDE_EVENTS if not events[e])
        problems.append(f"gitmem's hooks are incomplete (missing {missing}); rerun `gitmem install claude`")
    if needs_gitmem_on_path and shutil.which("gitmem") is None:
        problems.append(f"{'the gitmem plugin runs' if plugin is not None else 'the shared hooks run'} `gitmem hook`, "
                        "but `gitmem` is not on PATH here")
    return ClaudeHooksStatus(events={e: tuple(f) for e, f in events.items()},
                             problems=tuple(dict.fromkeys(problems)), plugin=plugin)
