"""The life of a decision: proposed -> accepted | rejected, accepted -> superseded.

Invariants:
- A status change edits the front matter in place (``frontmatter``): only the
  ``status:`` value changes, or one item is added to ``supersedes``; every
  other byte of the file stays as the person wrote it.
- The edited text must read back as exactly the expected record before it
  replaces the file, and it replaces it whole (temp file, then ``os.replace``),
  in the work tree only: a symbolic link is refused, never followed.
- Superseding is recorded on both sides: the old decision's status says
  ``superseded`` and the new one's ``supersedes`` names the old id, so the
  brief, the search index and ``gitmem why`` agree on what replaced what.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from gitmem import worktree_files
from gitmem.decisions import frontmatter
from gitmem.decisions.decision_files import DecisionFile, create_decision, find_decision, read_decisions
from gitmem.errors import GitmemError, RecordError
from gitmem.store.records import Decision
from gitmem.worktree_files import DECISION_LIMIT

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Edit:
    """One change made to one decision file (or found unnecessary)."""

    path: str
    id: str
    title: str
    change: str         # "proposed -> accepted", "supersedes += d-...", "already accepted", "created (proposed)"
    changed: bool = True


@dataclass(frozen=True, slots=True)
class EditResult:
    edits: tuple[Edit, ...] = ()
    warnings: tuple[str, ...] = ()

    def then(self, other: "EditResult") -> "EditResult":
        return EditResult(self.edits + other.edits, self.warnings + other.warnings)


def _rewrite(root: Path, df: DecisionFile, edit: Callable[[str], str], change: Callable[[Decision], Decision],
             what: str) -> DecisionFile:
    """Apply a textual front matter edit, and keep it only when the file then reads as ``change`` of what it
    read as before: the edit touched nothing else."""
    # bytes: universal newlines would hide a CR in the body; a link or an oversized file is refused
    text = worktree_files.read_file(root, df.path, DECISION_LIMIT).decode("utf-8")
    expected = change(Decision.from_text(text, df.path))
    new_text = edit(text)
    try:
        parsed = Decision.from_text(new_text, df.path)
    except (RecordError, ValueError):
        parsed = None
    if parsed != expected:
        raise frontmatter.FrontMatterEditError(f"{df.path}: cannot {what} without rewriting more of the file")
    # A new file moved over the old one (never a write in place): readers see the old or the new text,
    # and the new inode changes the folder signature the search index checks even when the size and
    # the mtime stay the same ("proposed" and "accepted" are both 8 characters).
    worktree_files.replace_file(root, df.path, new_text.encode("utf-8"))
    logger.info("%s: %s", df.path, what)
    return DecisionFile(df.path, expected)


def _set_status(root: Path, df: DecisionFile, status: str) -> tuple[DecisionFile, Edit]:
    d = df.decision
    if d.status == status:
        return df, Edit(df.path, d.id, d.title, f"already {status}", False)
    new = _rewrite(root, df, lambda t: frontmatter.set_value(t, "status", status, df.path, after="title"),
                   lambda old: dataclasses.replace(old, status=status), f"set status to {status}")
    return new, Edit(df.path, d.id, d.title, f"{d.status} -> {status}")


def _add_supersedes(root: Path, df: DecisionFile, old_id: str) -> tuple[DecisionFile, Edit | None]:
    d = df.decision
    if old_id in d.supersedes:
        return df, None
    item = frontmatter.yaml_scalar(old_id)
    new = _rewrite(root, df, lambda t: frontmatter.add_list_item(t, "supersedes", item, df.path),
                   lambda old: dataclasses.replace(old, supersedes=(*old.supersedes, old_id)),
                   f"add {old_id} to supersedes")
    return new, Edit(df.path, d.id, d.title, f"supersedes += {old_id}")


def _supersede_olds(root: Path, df: DecisionFile) -> EditResult:
    """Mark the decisions an accepted decision supersedes as superseded."""
    found = read_decisions(root)
    ids = {f.decision.id: f for f in found.files}
    edits, warnings = [], []
    for old_id in df.decision.supersedes:
        old = ids.get(old_id)
        if old is None:
            warnings.append(f"{df.path}: supersedes `{old_id}`, which no decision file has")
        elif old.decision.status in ("proposed", "accepted"):
            edits.append(_set_status(root, old, "superseded")[1])
    return EditResult(tuple(edits), tuple(warnings))


def _refuse_superseded(df: DecisionFile, action: str) -> None:
    if df.decision.status == "superseded":
        raise GitmemError(f"{df.path}: {df.decision.id} is superseded; {action} it would contradict the decision "
                          "that replaced it",
                          hint="change that decision instead, or edit the status line by hand if it was undone.")


def accept(root: Path, ref: str) -> EditResult:
    """Set a decision's status to accepted; the decisions it supersedes become superseded."""
    df = find_decision(root, ref)
    _refuse_superseded(df, "accepting")
    df, edit = _set_status(root, df, "accepted")
    return EditResult((edit,)).then(_supersede_olds(root, df))


def reject(root: Path, ref: str) -> EditResult:
    """Set a decision's status to rejected."""
    df = find_decision(root, ref)
    _refuse_superseded(df, "rejecting")
    return EditResult((_set_status(root, df, "rejected")[1],))


def supersede(root: Path, ref: str, by: str | None = None) -> EditResult:
    """Mark decision ``ref`` superseded; with ``by``, add it to that decision's supersedes and accept that one."""
    found = read_decisions(root)
    old = find_decision(root, ref, found)
    if old.decision.status == "rejected":
        raise GitmemError(f"{old.path}: {old.decision.id} was rejected, so nothing can supersede it",
                          hint="only proposed or accepted decisions are superseded.")
    edits: list[Edit] = []
    warnings: list[str] = []
    if by is not None:
        new = find_decision(root, by, found)
        if new.path == old.path:
            raise GitmemError(f"{old.decision.id} cannot supersede itself", hint="name the decision that replaces it.")
        if new.decision.status in ("rejected", "superseded"):
            raise GitmemError(f"{new.path}: {new.decision.id} is {new.decision.status}; it cannot supersede another",
                              hint="name an accepted or proposed decision with --by.")
        new, added = _add_supersedes(root, new, old.decision.id)
        edits += [added] if added else []
        new, accepted = _set_status(root, new, "accepted")
        edits += [accepted] if accepted.changed else []
    elif not found.superseded_by().get(old.decision.id):
        warnings.append(f"nothing supersedes {old.decision.id}; name its replacement with --by so readers can "
                        "find it")
    edits.append(_set_status(root, old, "superseded")[1])
    return EditResult(tuple(edits), tuple(warnings))


def decide(root: Path, title: str, **fields: Any) -> EditResult:
    """Create a decision file (``decisions.create_decision`` takes the fields); one created as accepted
    marks the decisions it supersedes as superseded."""
    df = create_decision(root, title, **fields)
    result = EditResult((Edit(df.path, df.decision.id, df.decision.title, f"created ({df.decision.status})"),))
    if df.decision.status == "accepted":
        result = result.then(_supersede_olds(root, df))
    return result
