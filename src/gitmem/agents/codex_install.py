"""Add and remove gitmem's hooks in a repository's ``.codex/hooks.json``, and trust them in Codex's settings.

The same contract as the Claude Code install (integrations/install.py), whose
merge it uses: only gitmem's handlers change, other hooks and the file's layout
keep their bytes, a second install changes nothing, install then uninstall gives
back the original bytes (the containers the install created are recorded in
``<git-common-dir>/gitmem/codex-install.json``), and a file that is not valid
JSON, or whose ``hooks`` has the wrong shape, is a ``ConfigError`` naming the
file and the line, with nothing written.

The hook commands hold absolute paths, so the file is personal: kept out of git
through ``.git/info/exclude`` like ``.claude/settings.local.json``.

Trust (agents/codex.py): Codex runs each hook only when ``$CODEX_HOME/config.toml``
holds its hash; the install writes that entry for gitmem's own handlers and
removes the entries it wrote when they move or go. Whether the project itself is
trusted is the person's decision: the install reads it and says how to give it.

Both files are read and the edits of both checked before either is written; the
install writes config.toml first and gives it its old text back when writing
hooks.json fails, so a failure of either leaves both as they were. The uninstall
removes the hooks first. Either order, stopped between its two writes, leaves
trust for hooks that are not there (Codex ignores it), never hooks Codex skips.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem.agents.codex import CODEX_EVENTS, HOOKS_FILE, codex_home, hooks_config, trust_hash, trust_key
from gitmem.agents.codex_config import TrustState, plan_hook_trust, read_trust
from gitmem.agents.hooks_file import HooksFile, hooked_events, keep_out_of_commits, uninstall_hooks
from gitmem.errors import ConfigError
from gitmem.git import discover
from gitmem.integrations.hooks_merge import _spots, merge_hooks
from gitmem.integrations.install import InstallResult
from gitmem.integrations.jsondoc import JsonDoc, read_install_record, write_atomic, write_install_record

logger = logging.getLogger(__name__)

HOOKS = HooksFile(agent="codex", rel=HOOKS_FILE, label="Codex hooks file", events=CODEX_EVENTS, config=hooks_config,
                  shareable=False)
TRUST_PROJECT_HINT = ("Codex loads .codex/hooks.json only in a trusted project: trust this one once with "
                      "`codex exec --trust` here, or accept the folder when `codex` asks")


@dataclass(frozen=True, slots=True)
class CodexHooksStatus:
    """Which gitmem events .codex/hooks.json hooks, which of them Codex will run, and what is wrong."""

    events: dict[str, bool]            # event -> hooked by gitmem and trusted (Codex runs it)
    hooked: tuple[str, ...]
    project_trusted: bool
    problems: tuple[str, ...] = ()

    @property
    def installed(self) -> bool:
        return all(self.events.get(e) for e in CODEX_EVENTS) and self.project_trusted

    def to_json(self) -> dict[str, Any]:
        return {"installed": self.installed, "hooked": list(self.hooked),
                "trusted": [e for e, ok in self.events.items() if ok], "project_trusted": self.project_trusted,
                "problems": list(self.problems)}


def gitmem_handlers(path: Path, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(event, trust key, hash) of each gitmem handler in ``data``: the ``[hooks.state]`` entries that make
    Codex run it."""
    found = []
    hooks = data.get("hooks")
    for event, groups in (hooks.items() if isinstance(hooks, dict) else ()):
        if event not in CODEX_EVENTS or not isinstance(groups, list):
            continue
        for gi, hi in _spots(groups):
            found.append((event, trust_key(path, event, gi, hi),
                          trust_hash(event, groups[gi], groups[gi]["hooks"][hi])))
    return found


def gitmem_trust(path: Path, data: dict[str, Any]) -> dict[str, str]:
    return {key: value for _, key, value in gitmem_handlers(path, data)}


def _project_trusted(trust: TrustState, root: Path) -> bool:
    return trust.projects.get(str(root)) == "trusted"


def install_codex(root: Path, python: str | None = None, *, hook_path: Path | None = None) -> InstallResult:
    """Hook gitmem into ``.codex/hooks.json`` with the fast command, and trust those hooks in Codex's settings."""
    root = Path(root).absolute()
    repo = discover(root)
    path = root / HOOKS_FILE
    wanted = hooks_config(HOOKS.commands(False, python, hook_path))
    config = codex_home() / "config.toml"
    doc = HOOKS.read(path)
    trust = read_trust(config)  # an unreadable config.toml stops here, before anything is written
    record = read_install_record(HOOKS.record_path(repo))
    entry = record["files"].get(str(path))
    had_gitmem = bool(gitmem_trust(path, doc.data))
    merged = merge_hooks(doc, wanted, entry)
    changed = merged.changed
    keys = gitmem_trust(path, doc.data)
    stale = {k for k in (entry or {}).get("trusted", []) if k not in keys}
    edit = plan_hook_trust(config, keys, drop=stale)  # both files checked before either is written
    # config.toml first: stopped between the two writes, Codex finds trust for hooks not there yet (unused), never
    # new hooks it would skip silently; a failed hooks.json write gives config.toml its old text back
    trust_changed = edit.write()
    if changed:
        try:
            write_atomic(path, doc.render())
        except BaseException:
            edit.undo()
            if "dir" in merged.created:
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
            raise
        logger.info("gitmem hooks in %s: added %s, replaced %s", path, merged.added, merged.replaced)

    notes: list[str] = []
    if trust_changed:
        notes.append(f"trusted gitmem's {len(keys)} hooks in {config} (Codex skips an untrusted hook silently)")
    if not _project_trusted(trust, root):
        notes.append(TRUST_PROJECT_HINT)
    new_entry = {"created": sorted(set(entry["created"] if entry and had_gitmem else []) | set(merged.created)),
                 "exclude": bool(entry and had_gitmem and entry.get("exclude")), "trusted": sorted(keys)}
    kept, excluded = keep_out_of_commits(HOOKS, repo, path, False, bool(new_entry["exclude"]))
    notes += kept
    new_entry["exclude"] = excluded
    if new_entry != entry:
        record["files"][str(path)] = new_entry
        write_install_record(HOOKS.record_path(repo), record)
    return InstallResult(path=path, added=merged.added, replaced=merged.replaced, removed=merged.removed,
                         unchanged=not changed, notes=tuple(notes))


def uninstall_codex(root: Path) -> InstallResult:
    """Remove gitmem's hooks from ``.codex/hooks.json`` and the trust entries gitmem wrote for them."""
    config = codex_home() / "config.toml"

    def untrust(path: Path, doc: JsonDoc | None, entry: dict[str, Any] | None) -> Callable[[], list[str]]:
        drop = set((entry or {}).get("trusted", [])) | (set(gitmem_trust(path, doc.data)) if doc else set())
        # checked before the hooks go; config.toml is not even read when gitmem trusted nothing
        edit = plan_hook_trust(config, {}, drop=drop) if drop else None
        # hooks.json first: stopped in between, trust entries are left for hooks that are gone (unused)
        return lambda: [f"removed gitmem's hook trust entries from {config}"] if edit is not None and edit.write() \
            else []

    return uninstall_hooks(HOOKS, root, untrust)


def codex_hooks_status(root: Path) -> CodexHooksStatus:
    """What Codex will run of gitmem's hooks here, and why not; never raises on bad files."""
    root = Path(root).absolute()
    problems: list[str] = []
    try:
        trust = read_trust(codex_home() / "config.toml")
    except ConfigError as exc:
        problems.append(exc.message)
        trust = TrustState()
    scan = hooked_events(HOOKS, root)
    problems += scan.problems
    events = {e: False for e in CODEX_EVENTS}
    hooked: list[str] = []
    for event, key, want in gitmem_handlers(root / HOOKS_FILE, scan.data):
        hooked.append(event)
        events[event] = events[event] or trust.hooks.get(key) == want
    project = _project_trusted(trust, root)
    if hooked:
        untrusted = [e for e in dict.fromkeys(hooked) if not events[e]]
        if untrusted:
            problems.append(f"Codex will skip gitmem's {', '.join(untrusted)} hooks without a word: they are not "
                            "trusted (or changed since); rerun `gitmem install codex`")
        if not project:
            problems.append(TRUST_PROJECT_HINT)
        problems.append(scan.missing(HOOKS))
    return CodexHooksStatus(events=events, hooked=tuple(dict.fromkeys(hooked)), project_trusted=project,
                            problems=tuple(dict.fromkeys(p for p in problems if p)))
