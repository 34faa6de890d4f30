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

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.agents.cursor import AGENT, CURSOR_EVENTS, HOOKS_FILE, RULES_FILE, RULES_HEADER, hooks_config
from gitmem.agents.hooks_file import HooksFile, hooked_events, install_hooks, uninstall_hooks
from gitmem.agents.rules_file import RulesResult, install_rules_file, installed_rules_files, uninstall_rules_file
from gitmem.errors import GitmemError
from gitmem.git import discover
from gitmem.integrations.hooks_merge import HANDLER_LIST
from gitmem.integrations.install import InstallResult
from gitmem.integrations.jsondoc import read_install_record

HOOKS = HooksFile(agent=AGENT, rel=HOOKS_FILE, label="Cursor hooks file", events=tuple(CURSOR_EVENTS),
                  config=hooks_config, shape=HANDLER_LIST, command_agent=AGENT)


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


def install_cursor(root: Path, shared: bool = False, python: str | None = None, *, hook_path: Path | None = None,
                   brief: str = "") -> tuple[InstallResult, RulesResult]:
    """Hook gitmem into ``.cursor/hooks.json`` and put the brief (``brief``) into ``.cursor/rules/gitmem.mdc``."""
    result = install_hooks(HOOKS, root, shared=shared, python=python, hook_path=hook_path)
    rules = install_rules_file(discover(Path(root).absolute()), RULES_FILE, brief, header=RULES_HEADER, shared=shared,
                               agent=AGENT)
    return result, rules


def uninstall_cursor(root: Path) -> tuple[InstallResult, RulesResult]:
    """Remove gitmem's handlers from ``.cursor/hooks.json`` and the brief from its rules file."""
    repo = discover(Path(root).absolute())
    entry = read_install_record(HOOKS.record_path(repo))["files"].get(str(Path(root).absolute() / HOOKS_FILE))
    result = uninstall_hooks(HOOKS, root)
    rules = uninstall_rules_file(repo, RULES_FILE)
    folder = result.path.parent
    if rules.changed and "dir" in (entry or {}).get("created", []) and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # .cursor/, once the rules folder in it is gone too
    return result, rules


def cursor_status(root: Path) -> CursorStatus:
    """What of gitmem's Cursor set-up is in place here, and what is wrong; never raises on bad files."""
    root = Path(root).absolute()
    scan = hooked_events(HOOKS, root)
    problems = list(scan.problems)
    try:
        listed = RULES_FILE in installed_rules_files(discover(root))
    except GitmemError as exc:
        problems.append(exc.message)
        listed = False
    rules = listed and (root / RULES_FILE).is_file()
    problems.append(scan.missing(HOOKS))
    if scan.hooked and not rules:
        problems.append(f"the brief's rules file {RULES_FILE} is missing, so Cursor starts without memory; "
                        "rerun `gitmem install cursor`")
    return CursorStatus(hooked=scan.hooked, rules_file=rules, problems=tuple(dict.fromkeys(p for p in problems if p)))
