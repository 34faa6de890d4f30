"""The commands gitmem asks Claude Code to run: one hook command per event, and how any of them starts gitmem.

Invariants:
- A personal command names the interpreter and the hook launcher by absolute
  path (``<venv python> -I -S <_hook.py> <Event>``): no shim, no site, no
  ``-m``, no activated venv (MEASUREMENTS.md). A shared (committed) one is
  ``gitmem hook <Event>``, which works wherever ``gitmem`` is on PATH.
- Every hook command ends in ``|| true``: a broken install never blocks a session.
- ``is_gitmem_command`` is the one test of "gitmem wrote this command": the
  settings editors touch only what it accepts.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Callable

import gitmem
from gitmem.errors import GitmemError

CLAUDE_EVENTS = ("SessionStart", "UserPromptSubmit", "PostToolUse", "PostToolUseFailure", "Stop",
                 "SubagentStop", "PreCompact", "SessionEnd")
# Only tool events filter on a matcher that gitmem must widen to every tool; for the
# others an absent matcher already means "every occurrence".
TOOL_EVENTS = frozenset({"PostToolUse", "PostToolUseFailure"})
# Small on purpose: a stuck hook must not hang Claude (its default is minutes).
DEFAULT_TIMEOUT_SECONDS = 10
TIMEOUT_SECONDS = {"SessionStart": 15}
PORTABLE_COMMAND = "gitmem hook"
HOOK_LAUNCHER = "_hook.py"
# What marks a command as gitmem's: the launcher, or hook.py run directly (older installs).
HOOK_MARKERS = ("gitmem/_hook.py", "gitmem/hook.py")
PLUGIN_DESCRIPTION = "gitmem: record Claude Code sessions into the repository's git memory"


def hook_file() -> Path:
    """The file the fast command runs: the launcher that imports ``hook`` from bytecode.

    Found beside the package without importing it (decision d-e74923c915: a
    script is compiled on every run, an imported module is not).
    """
    return Path(gitmem.__file__).absolute().parent / HOOK_LAUNCHER


# Exit status 2 means "block" to Claude Code (it erases the prompt on UserPromptSubmit); python exits 2
# when the hook file is gone, so the commands end in `|| true`: a broken install never blocks a session.
NEVER_BLOCK = " || true"


def fast_command(event: str, python: str, hook: str | Path, agent: str = "") -> str:
    """``<venv python> -I -S <_hook.py> <Event> [<agent>] || true``: no shim, no site, no -m (MEASUREMENTS.md);
    ``agent`` names an agent other than Claude Code (hook.py: the spool line and the answer's shape)."""
    return f"{shlex.quote(python)} -I -S {shlex.quote(str(hook))} {event}{' ' + agent if agent else ''}{NEVER_BLOCK}"


def personal_commands(python: str | None, hook_path: Path | None, target: str,
                      agent: str = "") -> Callable[[str], str]:
    """The fast command of each event for a personal hooks file: ``python`` (this interpreter when None) and the
    hook launcher ``hook_path`` (this installation's when None), which must exist; ``target`` names the install to
    rerun in the error."""
    py = personal_python(python)
    hook = Path(hook_path) if hook_path is not None else hook_file()
    if not hook.is_file():
        raise GitmemError(f"the hook file {hook} is missing from this gitmem installation",
                          hint=f"reinstall gitmem, then rerun `gitmem install {target}`.")
    return lambda event: fast_command(event, py, hook.absolute(), agent)


def portable_command(event: str, agent: str = "") -> str:
    return f"{PORTABLE_COMMAND} {event}{' ' + agent if agent else ''}{NEVER_BLOCK}"


def is_gitmem_command(command: str) -> bool:
    """True for a command gitmem wrote: it runs ``.../gitmem/_hook.py`` (or ``hook.py``) or ``gitmem hook``."""
    try:
        words = shlex.split(command)
    except ValueError:
        return any(marker in command for marker in HOOK_MARKERS)
    if len(words) >= 2 and os.path.basename(words[0]) == "gitmem" and words[1] == "hook":
        return True
    return any(w.replace("\\", "/").endswith(HOOK_MARKERS) for w in words)


def _group(event: str, command: str) -> dict[str, Any]:
    handler = {"type": "command", "command": command,
               "timeout": TIMEOUT_SECONDS.get(event, DEFAULT_TIMEOUT_SECONDS)}
    if event in TOOL_EVENTS:
        return {"matcher": "*", "hooks": [handler]}
    return {"hooks": [handler]}


def hooks_config(commands: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    """The ``hooks`` mapping gitmem wants, one matcher group per event."""
    return {event: [_group(event, commands(event))] for event in CLAUDE_EVENTS}


def render_plugin_hooks() -> str:
    """The plugin's ``hooks/hooks.json``; a test keeps the committed file equal to it."""
    doc = {"description": PLUGIN_DESCRIPTION, "hooks": hooks_config(portable_command)}
    return json.dumps(doc, indent=2) + "\n"


def personal_python(python: str | None = None) -> str:
    """The interpreter that personal commands run, by absolute path: the one place the hooks and .mcp.json
    decide it, so the MCP server starts wherever the hooks run (issue 14 item 12)."""
    return _check_python(python or sys.executable or "")


def gitmem_argv(shared: bool, python: str | None = None) -> list[str]:
    """How a command Claude Code runs starts gitmem: ``gitmem`` found on PATH in a shared (committed) file,
    else this interpreter by absolute path, which needs no PATH and no activated venv."""
    return ["gitmem"] if shared else [personal_python(python), "-m", "gitmem"]


def _check_python(python: str) -> str:
    if not os.path.isabs(python):
        raise GitmemError(f"the hook interpreter must be an absolute path, not `{python}`",
                          hint="pass the full path of the Python that has gitmem installed.")
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise GitmemError(f"the hook interpreter {python} is not an executable file",
                          hint="pass the full path of the Python that has gitmem installed.")
    # Kept as given, never resolved: a venv's python is a symlink, and its target
    # would run outside the venv, without gitmem.
    return python


def command_problems(rel: str, event: str, command: str) -> tuple[list[str], bool]:
    """What would stop one gitmem command from running, and whether it relies on PATH."""
    try:
        words = shlex.split(command)
    except ValueError:
        return [f"{rel}: gitmem's {event} command cannot be parsed; rerun `gitmem install claude`"], False
    if not words:
        return [], False
    if os.path.basename(words[0]) == "gitmem":
        return [], not os.path.isabs(words[0])
    out = []
    if os.path.isabs(words[0]) and not os.access(words[0], os.X_OK):
        out.append(f"{rel}: the hook interpreter {words[0]} is gone; rerun `gitmem install claude`")
    for word in words[1:]:
        if word.endswith(HOOK_MARKERS) and not os.path.isfile(word):
            out.append(f"{rel}: the hook file {word} is gone; rerun `gitmem install claude`")
    return out, False
