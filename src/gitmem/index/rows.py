"""Rows of the search index: what one session folder or one decision file becomes in the tables.

Invariants:
- A source row stands for one whole session folder of the memory ref or one decision file of a work tree;
  its entries are the records it holds. Rows are built from parsed records only (``SessionRecord``,
  ``Decision``); nothing here reads the ref or writes the index.
- Dates are stored as text that sorts and compares (``norm_date``: the form ``since.parse_since`` gives), and a
  session dated in the future (``store.dates.believable_date``) sorts as the oldest, never as the newest work.
- Filter tokens (``facet``) are letters then digits, so the porter stemmer leaves them whole and no user word
  spells one.
- Decision files differ per work tree while the index is shared by all work trees of a repository, so a
  decision row carries its work tree root and a query sees only its own work tree's decisions.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from gitmem import fence
from gitmem.config import DECISIONS_DIR
from gitmem.index.identifiers import split_text
from gitmem.since import utc_time
from gitmem.store.dates import believable_date
from gitmem.store.layout import folder_month

if TYPE_CHECKING:   # a query (``gitmem search``) imports this module for its constants: no YAML, no git behind it
    from gitmem.store.memory_ref import SessionRecord
    from gitmem.store.records import Decision, Observation

logger = logging.getLogger(__name__)

TITLE_CHARS = 120                        # an index title is one line of at most this many characters
TYPES = ("session", "observation", "decision")
SOURCE_COLUMNS = ("worktree", "folder", "session_id", "author", "branch", "facets")
ENTRY_COLUMNS = ("kind", "seq", "rid", "date", "label", "title", "body", "files", "tags", "idents")
KINDS = {"session": 1, "observation": 2, "decision": 3}   # entries.kind; `zzt<kind>` is the type's filter token
TYPE_FACETS = {name: f"zzt{kind}" for name, kind in KINDS.items()}
_OBSERVATION_ID = re.compile(r"o1-[0-9a-f]{16}")   # stored as its 8 bytes; the view `records` spells it again

Source = tuple[str, str, str, str, str, str]                    # as SOURCE_COLUMNS
Entry = tuple[int, int, str | bytes, str, str | int, str, str, str, str, str]   # as ENTRY_COLUMNS
Rows = tuple[Source, list[Entry]]                                # one source and its records


# -- records -> rows -------------------------------------------------------------------------------


def norm_date(value: str) -> str:
    """A record's date in a form that sorts and compares as text: a bare date as is, a time in UTC,
    anything else unchanged."""
    value = value.strip()
    if len(value) == 10:
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(value).isoformat()
    return utc_time(value) or value


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _observation_label(o: Observation) -> str:
    head = " ".join(x for x in (o.kind, o.tool) if x)
    first = next((x for x in (o.command, o.text, o.detail) if x.strip()), "")
    if not first and o.files:
        first = ", ".join(o.files[:3])
    return fence.one_line(f"{head}: {first}" if first else head, TITLE_CHARS)


def facet(kind: str, value: str) -> str:
    """A filter token: digits after the prefix, so the porter stemmer leaves it alone."""
    digest = hashlib.blake2b(value.encode("utf-8", "surrogateescape"), digest_size=8).digest()
    return f"zz{kind}{int.from_bytes(digest, 'big')}"


def _label_candidates(rid: str, title: str, body: str, files: str, tags: str) -> Iterator[str]:
    """Labels a record's other columns spell: its title (or id), then "<kind> <tool>: <line>" for each of the
    first lines of its body and for its first files (an observation's label, mostly)."""
    yield fence.one_line(title, TITLE_CHARS) or rid
    head = " ".join(tags.split()[:2])
    for part in body.split("\n")[:3]:
        yield fence.one_line(f"{head}: {part}", TITLE_CHARS)
    yield fence.one_line(f"{head}: {', '.join(files.split(chr(10))[:3])}", TITLE_CHARS)


def _stored_label(label: str, rid: str, title: str, body: str, files: str, tags: str) -> str | int:
    """What ``entries.label`` holds: the number of the first candidate equal to ``label`` (so the label is
    computed again when read, and not stored), else ``label``."""
    for i, candidate in enumerate(_label_candidates(rid, title, body, files, tags)):
        if candidate == label:
            return i
    return label


def expand_label(stored: str | int, rid: str, title: str, body: str, files: str, tags: str) -> str:
    """The label ``_stored_label`` stored."""
    if isinstance(stored, str):
        return stored
    return next(itertools.islice(_label_candidates(rid, title, body, files, tags), stored, None), "")


def _source(worktree: str, folder: str, session_id: str, author: str, branch: str) -> Source:
    """A source row with the filter tokens its records share: its branch and its author, each led by a space
    (the view ``records`` adds the type and date tokens of each record)."""
    tokens = [facet("b", branch)] if branch else []
    if author:
        tokens.append(facet("a", author))   # the whole name: an author filter names each author it matches
    return (worktree, folder, session_id, author, branch, "".join(f" {t}" for t in tokens))


def _entry(kind: int, seq: int, rid: str, date: str, label: str, title: str, body: str, files: str,
           tags: str) -> Entry:
    return (kind, seq, bytes.fromhex(rid[3:]) if _OBSERVATION_ID.fullmatch(rid) else rid, date,
            _stored_label(label, rid, title, body, files, tags), title, body, files, tags,
            split_text(title, body, files, tags))


def session_rows(record: SessionRecord) -> Rows:
    """The rows of one session folder: its source row, its summary (when it has one) and each observation."""
    s = record.summary
    author = s.author if s else ""
    branch = s.branch if s else ""
    rows: list[Entry] = []
    if s is not None:
        decisions = [part for d in s.decisions
                     for part in (d.title, d.decision, d.context, d.rationale, *d.alternatives) if part]
        body = "\n".join(x for x in (s.request, *s.investigated, *s.learned, *s.completed, *s.next_steps,
                                     *s.dead_ends, *decisions) if x)
        files = _unique((*s.files_modified, *s.files_read, *(f for d in s.decisions for f in d.files)))
        # A date in the future (forged, or a broken clock) sorts as the oldest, never as the newest work.
        date = norm_date(believable_date(s.ended_at, s.started_at))
        rows.append(_entry(KINDS["session"], 0, s.id, date, fence.one_line(s.title, TITLE_CHARS) or s.id, s.title, body,
                           "\n".join(files), " ".join(s.tags)))
    for batch in record.batches:
        for o in batch.observations:
            rows.append(_entry(KINDS["observation"], batch.seq, o.id, norm_date(o.ts), _observation_label(o),
                               "", "\n".join(x for x in (o.text, o.command, o.detail) if x),
                               "\n".join(_unique(o.files)), " ".join(x for x in (o.kind, o.tool, o.outcome) if x)))
    return _source("", record.path, record.session_id, author, branch), rows


def decision_row(worktree: str, path: str, d: Decision, replaces: Sequence[str] = ()) -> Rows:
    """The row of one decision file; ``path`` is relative to the work tree root. ``replaces`` are the titles of
    the decisions it supersedes: a search in the words of an old decision also finds what replaced it."""
    stem = path.rsplit("/", 1)[-1].removesuffix(".md")
    date, authors = norm_date(d.date), ", ".join(d.authors)
    body = d.body + "".join(f"\n{title}" for title in replaces)  # the titles alone: no status word to match
    return _source(worktree, path, d.session, authors, ""), [
        _entry(KINDS["decision"], 0, d.id or stem, date, fence.one_line(d.title, TITLE_CHARS) or stem, d.title, body,
               "\n".join(_unique(d.files)), " ".join((d.status, *d.tags)))]


def decision_rows(worktree: str, decisions: Iterable[tuple[str, Decision]]) -> Iterator[Rows]:
    """The rows of a work tree's decision files, each naming the titles of the decisions it supersedes."""
    found = list(decisions)
    titles = {d.id: d.title for _, d in found if d.id}
    for path, d in found:
        yield decision_row(worktree, path, d, [titles[i] for i in d.supersedes if i in titles])


def by_date(sessions: Iterable[SessionRecord]) -> list[SessionRecord]:
    """Oldest first, so rowid order is roughly time order (the newest-matches window relies on it)."""
    def key(rec: SessionRecord) -> tuple[str, str]:
        s = rec.summary
        return (norm_date(believable_date(s.started_at)) if s else folder_month(rec.path), rec.path)
    return sorted(sessions, key=key)


# -- decision files ---------------------------------------------------------------------------------


def _decision_entries(root: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(root / DECISIONS_DIR) as it:
            return sorted((e for e in it if e.name.endswith(".md") and not e.name.startswith(".")
                           and e.is_file()), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []


def decisions_signature(root: Path | None) -> str:
    """Changes whenever a decision file is added, removed, renamed or rewritten (no file is read)."""
    if root is None:
        return ""
    parts = []
    for entry in _decision_entries(root):
        with contextlib.suppress(OSError):
            st = entry.stat()
            parts.append(f"{entry.name}\0{st.st_mtime_ns}\0{st.st_size}\0{st.st_ino}")
    return hashlib.sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def read_decision_files(root: Path) -> list[tuple[str, Decision]]:
    """(path relative to ``root``, decision) of every readable decision file, by name; broken, conflicted
    and refused ones (links, files over the size cap) are logged and left out (``decisions.read_decisions``)."""
    from gitmem.decisions.decision_files import read_decisions

    found = read_decisions(root)
    for err in found.errors:
        logger.warning("search index skips %s", err.message)
    return [(f.path, f.decision) for f in sorted(found.files, key=lambda f: f.path)]
