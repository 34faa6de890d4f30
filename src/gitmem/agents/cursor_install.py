"""Add and remove gitmem's hooks in a repository's ``.cursor/hooks.json``, and the brief's rules file beside it.

The contract of the Claude Code install (integrations/install.py): only gitmem's
handlers change (recognised by their command), other hooks and the file's layout
keep their bytes, a second install changes nothing, install then uninstall gives
back the original bytes (the containers the install created are recorded in
``<git-common-dir>/gitmem/cursor-install.json``), and a file that is not valid
JSON, or whose ``hooks`` has the wrong shape, is a ``ConfigError`` naming the
file and the line, with nothing written.

The personal commands hold absolute paths, so ``.cursor/hooks.json`` is kept out
of git through ``.git/info/exclude`` unless ``shared`` (portable ``gitmem hook
<Event> cursor`` commands, for the team to commit). The brief goes into
``.cursor/rules/gitmem.mdc`` (agents/rules_file.py), git-ignored the same way.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem.agents.cursor import AGENT, CURSOR_EVENTS, HOOKS_FILE, RULES_FILE, RULES_HEADER, hooks_config, hooks_path
from gitmem.agents.rules_file import RulesResult, install_rules_file, installed_rules_files, uninstall_rules_file
from gitmem.config import state_dir
from gitmem.errors import ConfigError, GitmemError
from gitmem.git import Repo, discover
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.claude_commands import (command_problems, fast_command, hook_file, is_gitmem_command,
                                                 personal_python, portable_command)
from gitmem.integrations.install import InstallResult
from gitmem.integrations.jsondoc import (JsonDoc, json_kind, read_install_record, read_json_doc, write_atomic,
                                         write_install_record)
from gitmem.integrations.local_exclude import add_exclude, remove_exclude, top_relative

logger = logging.getLogger(__name__)

RECORD_FILE = "cursor-install.json"


@dataclass(frozen=True, slots=True)
class CursorStatus:
    """Which Cursor events gitmem hooks, whether the brief's rules file is in place, and what is wrong."""

    hooked: tuple[str, ...]
    rules_file: bool
    problems: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        return all(e in self.hooked for e in CURSOR_EVENTS)

    def to_json(self) -> dict[str, Any]:
        return {"installed": self.installed, "hooked": list(self.hooked), "rules_file": self.rules_file,
                "problems": list(self.problems)}


def _hint(verb: str = "install") -> str:
    return f"fix it and rerun `gitmem {verb} cursor`; gitmem left {HOOKS_FILE} unchanged."


def _read(path: Path, verb: str = "install") -> JsonDoc:
    """Parse .cursor/hooks.json (missing: empty): ``hooks`` an object, each event's value a list of handlers."""
    label = f"Cursor hooks file {HOOKS_FILE}"
    doc = read_json_doc(path, label, _hint(verb))
    hooks = doc.data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"{label}: `hooks` must be an object of event names, not {json_kind(hooks)} "
                          f"(line {doc.key_line('hooks')})", hint=_hint(verb))
    for event, entries in hooks.items():
        if not isinstance(entries, list):
            raise ConfigError(f"{label}: `hooks.{event}` must be a list of hook commands, not {json_kind(entries)} "
                              f"(line {doc.key_line('hooks', event)})", hint=_hint(verb))
    return doc


def _spots(entries: list[Any]) -> list[int]:
    """Positions of gitmem's handlers in one event's list."""
    return [i for i, e in enumerate(entries) if isinstance(e, dict) and isinstance(e.get("command"), str)
            and is_gitmem_command(e["command"])]


def _remove(data: dict[str, Any], keep: set[str], may_drop: Callable[[str], bool]) -> list[str]:
    """Remove gitmem's handlers from every event not in ``keep``; the events it removed them from."""
    hooks = data.get("hooks")
    removed: list[str] = []
    if not isinstance(hooks, dict):
        return removed
    for event in list(hooks):
        spots = _spots(hooks[event]) if event not in keep else []
        if not spots:
            continue
        for i in reversed(spots):
            del hooks[event][i]
        removed.append(event)
        if not hooks[event] and may_drop(f"hooks/{event}"):
            del hooks[event]
    if removed and not hooks and may_drop("hooks"):
        del data["hooks"]
    if not data.get("hooks") and "hooks" not in data and may_drop("version"):
        data.pop("version", None)
    return removed


def _merge(data: dict[str, Any], wanted: dict[str, dict[str, Any]],
           may_drop: Callable[[str], bool]) -> tuple[list[str], list[str], list[str], list[str]]:
    """Put gitmem's handlers into ``data``; (added, replaced, removed, containers created)."""
    added, replaced, created = [], [], []
    if "version" not in data and "hooks" not in data:
        data["version"] = 1
        created.append("version")
    if "hooks" not in data:
        data["hooks"] = {}
        created.append("hooks")
    hooks = data["hooks"]
    for event, handler in wanted.items():
        if event not in hooks:
            hooks[event] = []
            created.append(f"hooks/{event}")
        entries = hooks[event]
        spots = _spots(entries)
        if not spots:
            entries.append(copy.deepcopy(handler))
            added.append(event)
            continue
        if entries[spots[0]] != handler:
            entries[spots[0]] = copy.deepcopy(handler)
            replaced.append(event)
        for i in reversed(spots[1:]):
            del entries[i]
            replaced.append(event)
    removed = _remove(data, set(wanted), may_drop)
    return added, list(dict.fromkeys(replaced)), removed, created


def _record_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / RECORD_FILE


def install_cursor(root: Path, shared: bool = False, python: str | None = None, *, hook_path: Path | None = None,
                   brief: str = "") -> tuple[InstallResult, RulesResult]:
    """Hook gitmem into ``.cursor/hooks.json`` and put the brief (``brief``) into ``.cursor/rules/gitmem.mdc``."""
    root = Path(root).absolute()
    repo = discover(root)
    path = hooks_path(root)
    if shared:
        wanted = hooks_config(lambda event: portable_command(f"{event} {AGENT}"))
    else:
        py = personal_python(python)
        hook = Path(hook_path) if hook_path is not None else hook_file()
        if not hook.is_file():
            raise GitmemError(f"the hook file {hook} is missing from this gitmem installation",
                              hint="reinstall gitmem, then rerun `gitmem install cursor`.")
        wanted = hooks_config(lambda event: fast_command(f"{event} {AGENT}", py, hook.absolute()))
    doc = _read(path)
    record = read_install_record(_record_path(repo))
    entry = record["files"].get(str(path))
    before = copy.deepcopy(doc.data)
    had_gitmem = any(_spots(v) for v in doc.data.get("hooks", {}).values())
    created = [] if doc.existed else ["file"] + ([] if path.parent.exists() else ["dir"])
    may_drop = (lambda c: c in entry["created"]) if entry else (lambda c: c != "version")
    added, replaced, removed, made = _merge(doc.data, wanted, may_drop)
    changed = doc.data != before or not doc.existed
    if changed:
        write_atomic(path, doc.render())
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, added, replaced)
    notes: list[str] = []
    new_entry = {"created": sorted(set(entry["created"] if entry and had_gitmem else []) | set(created + made)),
                 "exclude": bool(entry and had_gitmem and entry.get("exclude"))}
    top_rel = top_relative(repo, path, HOOKS_FILE)
    if shared:
        if matches_ignore_rules(repo, top_rel):
            notes.append(f"{HOOKS_FILE} is ignored by git, so teammates will not receive it; commit it with "
                         f"`git add -f {HOOKS_FILE}`")
    elif is_tracked(repo, top_rel):
        notes.append(f"{HOOKS_FILE} is tracked by git, so its absolute paths would be committed; "
                     f"untrack it with `git rm --cached {HOOKS_FILE}`, or use `--shared`")
    elif not matches_ignore_rules(repo, top_rel):
        notes.append(f"added {top_rel} to {add_exclude(repo, top_rel)} so git ignores it")
        new_entry["exclude"] = True
    if new_entry != entry:
        record["files"][str(path)] = new_entry
        write_install_record(_record_path(repo), record)
    rules = install_rules_file(repo, RULES_FILE, brief, header=RULES_HEADER, shared=shared, agent=AGENT)
    return (InstallResult(path=path, added=tuple(added), replaced=tuple(replaced), removed=tuple(removed),
                          unchanged=not changed, notes=tuple(notes)), rules)


def uninstall_cursor(root: Path) -> tuple[InstallResult, RulesResult]:
    """Remove gitmem's handlers from ``.cursor/hooks.json`` and the brief from its rules file."""
    root = Path(root).absolute()
    repo = discover(root)
    path = hooks_path(root)
    doc = _read(path, "uninstall") if path.exists() else None  # checked before anything is written
    record = read_install_record(_record_path(repo))
    entry = record["files"].pop(str(path), None)
    removed: list[str] = []
    notes: list[str] = []
    if doc is not None:
        may_drop = (lambda c: c in entry["created"]) if entry else (lambda c: c != "version")
        removed = _remove(doc.data, set(), may_drop)
        if removed and not doc.data and entry and "file" in entry["created"]:
            path.unlink()
            notes.append(f"deleted {HOOKS_FILE}, which gitmem had created")
            if "dir" in entry["created"] and not any(path.parent.iterdir()):
                path.parent.rmdir()
        elif removed:
            write_atomic(path, doc.render())
    if entry and entry.get("exclude") and remove_exclude(repo, top_relative(repo, path, HOOKS_FILE)):
        notes.append(f"removed {HOOKS_FILE} from .git/info/exclude")
    if entry is not None:
        write_install_record(_record_path(repo), record)
    rules = uninstall_rules_file(repo, RULES_FILE)
    if rules.changed and "dir" in (entry or {}).get("created", []) and path.parent.is_dir() \
            and not any(path.parent.iterdir()):
        path.parent.rmdir()  # .cursor/, once the rules folder in it is gone too
    return InstallResult(path=path, removed=tuple(removed), unchanged=not removed, notes=tuple(notes)), rules


def cursor_status(root: Path) -> CursorStatus:
    """What of gitmem's Cursor set-up is in place here, and what is wrong; never raises on bad files."""
    root = Path(root).absolute()
    path = hooks_path(root)
    problems: list[str] = []
    hooked: list[str] = []
    if path.exists():
        try:
            hooks = _read(path).data.get("hooks", {})
        except ConfigError as exc:
            problems.append(exc.message)
            hooks = {}
        for event, entries in hooks.items():
            for i in _spots(entries):
                hooked.append(event)
                problems.extend(command_problems(HOOKS_FILE, event, entries[i]["command"])[0])
    try:
        listed = RULES_FILE in installed_rules_files(discover(root))
    except GitmemError as exc:
        problems.append(exc.message)
        listed = False
    rules = listed and (root / RULES_FILE).is_file()
    if hooked:
        missing = [e for e in CURSOR_EVENTS if e not in hooked]
        if missing:
            problems.append(f"gitmem's Cursor hooks are incomplete (missing {', '.join(missing)}); "
                            "rerun `gitmem install cursor`")
        if not rules:
            problems.append(f"the brief's rules file {RULES_FILE} is missing, so Cursor starts without memory; "
                            "rerun `gitmem install cursor`")
    return CursorStatus(hooked=tuple(dict.fromkeys(hooked)), rules_file=rules,
                        problems=tuple(dict.fromkeys(problems)))
