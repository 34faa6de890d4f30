"""The brief in a rules file an agent reads: for agents whose start-of-session context is missing or dropped.

Every agent reads project instructions from a file in the repository (Cursor
``.cursor/rules/*.mdc``, GitHub Copilot ``.github/copilot-instructions.md``,
Gemini CLI ``GEMINI.md``, ``AGENTS.md``). gitmem writes the brief there between
two marker lines and keeps it current: every render of the brief (after a
flush, a sync, ``gitmem context``) rewrites the block of each rules file
installed here, listed in ``<git-common-dir>/gitmem/rules-files.json``.

Invariants:
- Only the text between the markers is gitmem's; the person's text around it
  keeps its bytes. Install then uninstall gives back the original bytes: the
  file, the folders and the exclude line that the install created go, and only those.
- Never into a tracked file without ``shared``: the install refuses one, and a
  refresh skips a file that became tracked since. A personal rules file is kept
  out of commits through ``.git/info/exclude``.
- A refresh never creates a file: a rules file the person deleted stays deleted
  until the next install.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitmem.atomic import write_atomic
from gitmem.config import state_dir
from gitmem.errors import GitmemError
from gitmem.git import Repo
from gitmem.git.worktree import is_tracked, matches_ignore_rules
from gitmem.integrations.jsondoc import read_install_record, write_install_record
from gitmem.integrations.local_exclude import add_exclude, remove_exclude

logger = logging.getLogger(__name__)

RECORD_FILE = "rules-files.json"
BEGIN = "<!-- gitmem:begin (rewritten by gitmem at every flush and sync; edit outside these lines) -->"
END = "<!-- gitmem:end -->"
EMPTY = "(gitmem has recorded no sessions or decisions in this repository yet.)"
EXCLUDE_COMMENT = "# gitmem: the brief in an agent's rules file (personal, rewritten by gitmem)"


@dataclass(frozen=True, slots=True)
class RulesResult:
    """What one install or uninstall did to one rules file."""

    path: Path
    changed: bool = False
    notes: tuple[str, ...] = ()


def block(body: str) -> str:
    """The marked block holding ``body`` (the brief's text, or a line saying there is none yet)."""
    return f"{BEGIN}\n{body.strip() or EMPTY}\n{END}\n"


def _span(text: str) -> tuple[int, int] | None:
    """Where gitmem's block is in ``text`` (from its first marker to the end of its last line), or None."""
    start = text.find(BEGIN)
    if start < 0 or (start > 0 and text[start - 1] != "\n"):
        return None
    end = text.find(END, start)
    if end < 0:
        return None
    end += len(END)
    return start, end + 1 if text[end:end + 1] == "\n" else end


def _read(path: Path) -> str | None:
    """The file's text with its line ends as they are (``read_text`` would turn CRLF into LF), or None."""
    return path.read_bytes().decode("utf-8") if path.is_file() else None


def _record_path(repo: Repo) -> Path:
    return state_dir(repo.common_dir) / RECORD_FILE


def _root(repo: Repo) -> Path:
    if repo.root is None:
        raise GitmemError(f"{repo.git_dir} is a bare repository", hint="run gitmem in a clone with a work tree.")
    return Path(repo.root)


def install_rules_file(repo: Repo, rel: str, body: str, *, header: str = "", shared: bool = False,
                       agent: str = "") -> RulesResult:
    """Put the brief's block into ``rel`` (created with ``header`` when missing) and list it for refreshes."""
    root = _root(repo)
    path = root / rel
    if not shared and is_tracked(repo, rel):
        raise GitmemError(f"{rel} is tracked by git, so the brief written into it would be committed",
                          hint=f"pass --shared to write it there on purpose, or untrack it with `git rm --cached "
                               f"{rel}`.")
    record = read_install_record(_record_path(repo))
    entry = record["files"].get(rel)
    text = _read(path)
    notes: list[str] = []
    created: list[str] = list(entry["created"]) if entry else []
    prefix = entry.get("prefix", "") if entry else ""
    if text is None:
        missing = [p for p in reversed(path.relative_to(root).parents) if str(p) != "." and not (root / p).exists()]
        made_before = [c for c in created if c.startswith("dir:") and (root / c[4:]).is_dir()]
        created = ["file"] + list(dict.fromkeys(made_before + [f"dir:{p.as_posix()}" for p in missing]))
        path.parent.mkdir(parents=True, exist_ok=True)
        new = header + block(body)
    else:
        span = _span(text)
        if span is not None:
            new = text[:span[0]] + block(body) + text[span[1]:]
        else:
            prefix = ("" if not text or text.endswith("\n") else "\n") + ("\n" if text.strip() else "")
            new = text + prefix + block(body)
    changed = new != text
    if changed:
        write_atomic(path, new.encode("utf-8"))
    excluded = bool(entry and entry.get("exclude"))
    if not shared and not excluded and not matches_ignore_rules(repo, rel):
        notes.append(f"added {rel} to {add_exclude(repo, rel, EXCLUDE_COMMENT)} so git ignores it")
        excluded = True
    new_entry = {"created": created, "header": header if "file" in created else "", "exclude": excluded,
                 "prefix": prefix, "shared": shared, "agent": agent}
    if new_entry != entry:
        record["files"][rel] = new_entry
        write_install_record(_record_path(repo), record)
    return RulesResult(path=path, changed=changed, notes=tuple(notes))


def uninstall_rules_file(repo: Repo, rel: str) -> RulesResult:
    """Take the brief's block out of ``rel``; delete what the install created once nothing else is left."""
    root = _root(repo)
    path = root / rel
    record = read_install_record(_record_path(repo))
    had = rel in record["files"]
    entry: dict[str, Any] = record["files"].pop(rel, None) or {"created": [], "prefix": ""}
    notes: list[str] = []
    changed = False
    text = _read(path)
    span = _span(text) if text is not None else None
    if text is not None and span is not None:
        start, end = span
        prefix = entry.get("prefix", "")
        if prefix and text[:start].endswith(prefix) and not text[end:]:
            start -= len(prefix)
        rest = text[:start] + text[end:]
        if "file" in entry["created"] and rest == entry.get("header", ""):
            path.unlink()  # only gitmem's front matter was left: the file gitmem created
            notes.append(f"deleted {rel}, which gitmem had created")
            for made in sorted((c[4:] for c in entry["created"] if c.startswith("dir:")), key=len, reverse=True):
                with contextlib.suppress(OSError):
                    (root / made).rmdir()  # only when empty
        else:
            write_atomic(path, rest.encode("utf-8"))
        changed = True
    if entry.get("exclude") and remove_exclude(repo, rel):
        notes.append(f"removed {rel} from .git/info/exclude")
    if had:
        write_install_record(_record_path(repo), record)
    return RulesResult(path=path, changed=changed, notes=tuple(notes))


def installed_rules_files(repo: Repo) -> dict[str, dict[str, Any]]:
    """The rules files installed here: path from the top of the work tree -> its install entry."""
    return dict(read_install_record(_record_path(repo))["files"])


def refresh_rules_files(repo: Repo, body: str) -> list[Path]:
    """Rewrite the block of every installed rules file with ``body``; the files it rewrote. Never raises."""
    written: list[Path] = []
    if repo.root is None:
        return written
    try:
        files = installed_rules_files(repo)
    except GitmemError as exc:
        logger.warning("rules files not refreshed: %s", exc.message)
        return written
    for rel, entry in files.items():
        path = Path(repo.root) / rel
        try:
            text = _read(path)
            span = _span(text) if text is not None else None
            if text is None or span is None:
                continue  # deleted, or the block taken out by hand: left so until the next install
            if not entry.get("shared") and is_tracked(repo, rel):
                logger.warning("not refreshing the brief in %s: it is tracked by git now", rel)
                continue
            new = text[:span[0]] + block(body) + text[span[1]:]
            if new != text:
                write_atomic(path, new.encode("utf-8"))
                written.append(path)
        except (OSError, GitmemError) as exc:
            logger.warning("could not refresh the brief in %s: %s", rel, exc)
    return written
