"""What gitmem knows about the Gemini CLI: its settings file, its events, and where it keeps transcripts.

Observed on the real client (``@google/gemini-cli`` 0.61.0, tests/data/gemini-cli/README.md):

- Hooks live under ``hooks`` in the project's ``.gemini/settings.json``, shaped like Claude Code's
  (event → matcher groups ``{matcher?, hooks: [handler]}``); a handler is ``{"type": "command", "command",
  "timeout"}`` with the timeout in milliseconds. The payloads carry ``session_id`` first, ``cwd`` and
  ``transcript_path``, so gitmem's one hook script spools them as they are; each Gemini event is installed
  as the gitmem event it stands for (the command names gitmem's event, the payload Gemini's), and the
  flush worker reads Gemini's payload shapes (``gemini_events``).
- The SessionStart ``additionalContext`` reaches the model with ``<`` and ``>`` escaped as ``&lt;`` and
  ``&gt;``, wrapped in ``<hook_context>`` in front of the first prompt (headless) or as a user message of
  its own (interactive); BeforeAgent's is appended to the prompt the same way.
- ``PreCompress`` fires before every model request, compressed or not (its ``ChatCompressionService``
  calls the hook before it checks the threshold), so gitmem does not hook it: a flush per model request
  would cost a worker start each time and record nothing.
- Project hooks run only in a trusted folder (``security.folderTrust``); an untrusted project hook is not
  skipped but announced on stderr, run, and remembered in ``~/.gemini/trusted_hooks.json``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from gitmem.agents import hooks_file

AGENT = "gemini-cli"                 # what a session's ``agent`` says
SETTINGS_FILE = ".gemini/settings.json"
# Gemini's event -> the gitmem event its hook command names (the hook's own vocabulary).
EVENTS = {"SessionStart": "SessionStart", "BeforeAgent": "UserPromptSubmit", "AfterTool": "PostToolUse",
          "AfterAgent": "Stop", "SessionEnd": "SessionEnd"}
TOOL_EVENTS = frozenset({"AfterTool"})
DEFAULT_TIMEOUT_MS = 10_000
TIMEOUT_MS = {"SessionStart": 15_000}


def gemini_home() -> Path:
    """``$GEMINI_CLI_HOME`` (the folder that holds ``.gemini``), else the home folder."""
    home = os.environ.get("GEMINI_CLI_HOME")
    return Path(home) if home and os.path.isabs(home) else Path.home()


def found_here(root: Path) -> str:
    """Why ``gitmem init`` sets Gemini up in ``root``: the repository has ``.gemini/``, or ``gemini`` is on PATH."""
    return hooks_file.found_here(root, ".gemini", "gemini")


def settings_path(root: Path) -> Path:
    return Path(root).absolute() / SETTINGS_FILE


def hooks_config(commands: Callable[[str], str]) -> dict[str, list[dict[str, Any]]]:
    """The ``hooks`` mapping gitmem wants in .gemini/settings.json: one group per Gemini event, running
    ``commands(<gitmem event>)``; the tool event matches every tool."""
    def group(event: str) -> dict[str, Any]:
        handler = {"type": "command", "command": commands(EVENTS[event]),
                   "timeout": TIMEOUT_MS.get(event, DEFAULT_TIMEOUT_MS)}
        return {"matcher": "*", "hooks": [handler]} if event in TOOL_EVENTS else {"hooks": [handler]}
    return {event: [group(event)] for event in EVENTS}


def is_gemini_transcript(path: str) -> bool:
    """True for a transcript the Gemini CLI wrote: ``~/.gemini/tmp/<project>/chats/session-<time>-<id>.jsonl``."""
    parts = PurePosixPath(path).parts
    return (len(parts) >= 5 and parts[-1].startswith("session-") and parts[-1].endswith(".jsonl")
            and parts[-2] == "chats" and parts[-4] == "tmp" and parts[-5] == ".gemini")


def transcript_folders() -> tuple[Path, ...]:
    """Where the Gemini CLI keeps transcripts: ``<GEMINI_CLI_HOME or ~>/.gemini/tmp``."""
    return tuple(dict.fromkeys([gemini_home() / ".gemini" / "tmp", Path.home() / ".gemini" / "tmp"]))
