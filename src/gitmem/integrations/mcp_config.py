"""Register gitmem's MCP server for Claude Code in the project's ``.mcp.json``.

``.mcp.json`` at the top of the work tree is Claude Code's project scope. The
entry runs gitmem the way the hooks do (``claude_commands.gitmem_argv``): a personal
``gitmem init`` writes ``<absolute python> -m gitmem mcp``, which starts with
no venv on PATH, and keeps a ``.mcp.json`` it created out of git through
``.git/info/exclude``; ``gitmem init --shared`` writes the portable
``{"type": "stdio", "command": "gitmem", "args": ["mcp"]}`` for the team to
commit, which needs ``gitmem`` on the PATH Claude Code starts with. Claude Code
starts the server with the project folder as its working directory, which is
where ``gitmem mcp`` finds the repository.

Invariants this module keeps (the same as ``install`` for the hooks):

- It touches only ``mcpServers.gitmem``: other servers, other keys and their
  order stay as they were. An entry of that name that does not run gitmem is
  left alone and reported. A portable entry in a file git tracks is the team's
  and is never swapped for a personal path; in an untracked file it is (a
  ``gitmem`` found on PATH at init, e.g. in an activated venv, is not on the
  PATH Claude Code starts with). ``--shared`` turns a personal path portable.
- A file is written only when its content changes (a second register leaves it
  byte-identical), atomically, keeping the bytes of everything but gitmem's entry.
- Register then unregister gives back the original bytes: unregister removes
  the ``mcpServers`` object, the file and its exclude line only when register
  created them, as recorded in ``<git-common-dir>/gitmem/mcp-install.json``.
  Without a record it removes only what its own removal emptied, and never the file.
- A file that is not valid JSON, or whose ``mcpServers`` has the wrong shape, is
  a ``ConfigError`` naming the file and the line, and the file is left alone.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.config import state_dir
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.claude_commands import gitmem_argv
from gitmem.integrations.jsondoc import (JsonDoc, json_kind, read_install_record, read_json_doc, write_atomic,
                                         write_install_record)
from gitmem.integrations.local_exclude import add_exclude, remove_exclude, top_relative

logger = logging.getLogger(__name__)

MCP_FILE = ".mcp.json"
SERVER_NAME = "gitmem"
RECORD_FILE = "mcp-install.json"


@dataclass(frozen=True, slots=True)
class McpConfigResult:
    """What one register or unregister did to ``.mcp.json``."""

    path: Path
    action: str                 # added | updated | unchanged | kept | removed | absent
    entry: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.action in ("added", "updated", "removed")

    def report(self) -> tuple[str, ...]:
        """What ``gitmem init`` lists as set up: one line when the entry was added or updated, else nothing."""
        if self.action not in ("added", "updated") or self.entry is None:
            return ()
        shown = " ".join([str(self.entry.get("command", "")), *map(str, self.entry.get("args", []))])
        prefix = "updated " if self.action == "updated" else ""
        personal = "" if is_portable(self.entry) else (
            "; this machine's interpreter, so Claude Code needs no venv on PATH; `gitmem init --shared` "
            "writes a portable `gitmem mcp` for the team")
        return (f"{prefix}MCP server `{SERVER_NAME}` in {MCP_FILE} (runs `{shown}`{personal})",)


def wanted_entry(portable: bool = False, python: str | None = None) -> dict[str, Any]:
    """The entry gitmem writes: the same command choice as the hooks' (``claude_commands.gitmem_argv``)."""
    command, *args = gitmem_argv(portable, python)
    return {"type": "stdio", "command": command, "args": [*args, "mcp"]}


def _command(entry: Any) -> tuple[str, list[str]] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str):
        return None
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return None
    return entry["command"], args


def is_gitmem_entry(entry: Any) -> bool:
    """True for an entry that runs ``gitmem mcp`` or ``<python> -m gitmem mcp``."""
    found = _command(entry)
    if found is None:
        return False
    command, args = found
    if os.path.basename(command) == "gitmem":
        return args[:1] == ["mcp"]
    return args[:3] == ["-m", "gitmem", "mcp"]


def is_portable(entry: Any) -> bool:
    found = _command(entry)
    return found is not None and found[0] == "gitmem" and found[1][:1] == ["mcp"]


def mcp_path(root: Path) -> Path:
    return Path(root) / MCP_FILE


def _read(path: Path) -> JsonDoc:
    hint = f"fix it and rerun `gitmem init`; gitmem left {MCP_FILE} unchanged."
    doc = read_json_doc(path, f"MCP settings file {MCP_FILE}", hint)
    servers = doc.data.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError(f"MCP settings file {MCP_FILE}: `mcpServers` must be an object of server names, not "
                          f"{json_kind(servers)} (line {doc.key_line('mcpServers')})", hint=hint)
    return doc


def _record_path(root: Path) -> Path:
    return state_dir(discover(root).common_dir) / RECORD_FILE


def _kept(path: Path, current: Any, note: str) -> McpConfigResult:
    logger.warning("%s", note)  # `gitmem init` shows warnings; the result carries the note for other callers
    return McpConfigResult(path, "kept", current, (note,))


def register_mcp_server(root: Path, *, portable: bool = False, python: str | None = None) -> McpConfigResult:
    """Add (or bring up to date) ``mcpServers.gitmem`` in ``<root>/.mcp.json``.

    ``portable`` (``init --shared``) writes ``gitmem mcp``; otherwise this interpreter's absolute path.
    """
    root = Path(root).absolute()
    path = mcp_path(root)
    doc = _read(path)
    wanted = wanted_entry(portable, python)
    repo = discover(root)
    rel = top_relative(repo, path, MCP_FILE)
    created: list[str] = [] if doc.existed else ["file"]
    if "mcpServers" not in doc.data:
        doc.data["mcpServers"] = {}
        created.append("mcpServers")
    servers = doc.data["mcpServers"]
    current = servers.get(SERVER_NAME)
    notes: list[str] = []
    if current is None:
        servers[SERVER_NAME] = wanted
        action, entry = "added", wanted
    elif not is_gitmem_entry(current):
        return _kept(path, current, f"{MCP_FILE} already has a server named `{SERVER_NAME}` that does not run "
                                    "gitmem; gitmem left it alone")
    elif is_portable(current) and not portable and is_tracked(repo, rel):
        # The committed, portable entry is the team's; a personal path must not replace it.
        if shutil.which("gitmem") is not None:
            return McpConfigResult(path, "unchanged", current)
        return _kept(path, current, f"{MCP_FILE} is committed with `gitmem mcp`, but `gitmem` is not on PATH "
                                    "here, so Claude Code cannot start it; put gitmem on PATH (e.g. `pipx "
                                    "install gitmem`)")
    else:
        entry = {**current, "command": wanted["command"], "args": wanted["args"]}
        if entry == current:
            return McpConfigResult(path, "unchanged", current)
        servers[SERVER_NAME] = entry
        action = "updated"
    if not is_portable(entry) and is_tracked(repo, rel):
        notes.append(f"{MCP_FILE} is tracked by git and now runs {entry['command']}, a path on this machine; "
                     f"do not commit that change, or run `gitmem init --shared` for a portable `gitmem mcp`")
    write_atomic(path, doc.render())
    logger.info("%s: %s MCP server %s", path, action, SERVER_NAME)
    if "file" in created and not portable and not matches_ignore_rules(repo, rel):
        exclude = add_exclude(repo, rel)  # a personal path must not reach a commit by accident
        notes.append(f"added {rel} to {exclude} so git ignores it")
        created.append("exclude")
    record_path = _record_path(root)
    record = read_install_record(record_path)
    made = record["files"].get(str(path), {}).get("created", [])
    if portable and "exclude" in made and remove_exclude(repo, rel):
        # Now a shared entry, for the team to commit: git must see the file again.
        notes.append(f"removed {rel} from .git/info/exclude: commit it to share the entry")
        created = [c for c in made if c != "exclude"] + created
    elif created:
        created = made + created
    if created:
        record["files"][str(path)] = {"created": sorted(set(created))}
        write_install_record(record_path, record)
    return McpConfigResult(path, action, entry, tuple(notes))


def unregister_mcp_server(root: Path) -> McpConfigResult:
    """Remove gitmem's entry from ``<root>/.mcp.json``, and what register created along with it."""
    root = Path(root).absolute()
    path = mcp_path(root)
    if not path.exists():
        return McpConfigResult(path, "absent")
    doc = _read(path)
    servers = doc.data.get("mcpServers", {})
    current = servers.get(SERVER_NAME)
    if not is_gitmem_entry(current):
        return McpConfigResult(path, "absent" if current is None else "kept", current)
    record_path = _record_path(root)
    record = read_install_record(record_path)
    entry = record["files"].pop(str(path), None)
    made = set(entry["created"]) if isinstance(entry, dict) and isinstance(entry.get("created"), list) else set()
    del servers[SERVER_NAME]
    notes: list[str] = []
    if not servers and (not made or "mcpServers" in made):
        del doc.data["mcpServers"]
    repo = discover(root)
    if not doc.data and "file" in made and not is_tracked(repo, top_relative(repo, path, MCP_FILE)):
        path.unlink()
        notes.append(f"deleted {MCP_FILE}, which gitmem had created")
        if "exclude" in made and remove_exclude(repo, top_relative(repo, path, MCP_FILE)):
            notes.append(f"removed {MCP_FILE} from .git/info/exclude")
    else:
        write_atomic(path, doc.render())
    if entry is not None:
        write_install_record(record_path, record)
    return McpConfigResult(path, "removed", current, tuple(notes))
