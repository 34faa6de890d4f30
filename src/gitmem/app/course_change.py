"""A choice a later session changed course on: chose against it, or found that it did not work.

A proposal nobody reviewed yet, or a session's "Decided:" line, is only as current as the sessions after it.
When a later session on the same files sets its own choice against the earlier one, picks what the earlier
one was chosen over, or tells of the earlier choice as a dead end, the brief shows the earlier choice as
history (a ``[superseded ...]`` marker naming that session), never as the current rule.

Invariants:
- Told by structure, not by phrases: the words of the earlier choice (its title, without what it was set
  against) found in what a later choice is set against ("X over Y", "X, not Y", "instead of Y", "rather
  than Y", "from Y to X", "replaced Y with X", and the alternatives a summarizer recorded), the later
  choice's words found in what the earlier one was set against, or a later dead end that names the
  earlier choice by a word the two sessions' shared subject does not explain; or a later move ("switched
  the rates cache to X", "went back to X") on the earlier choice's subject (``SUBJECT_SHARED`` words).
- Only a later session (by its believable end time) that changed a file the earlier choice concerns
  counts; a later choice that restates the earlier one confirms it. An accepted decision is never marked:
  people reviewed it, a session did not.
- No I/O of its own (the proposing session is read through the function given), deterministic.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from gitmem import globs
from gitmem.app.brief_lines import body_section, clip, day, decision_gist, set_against, whose, without_alternatives
from gitmem.compress import restatement
from gitmem.decisions.decision_files import DecisionFiles
from gitmem.store.dates import believable_date
from gitmem.store.records import SessionSummary

_PATH_WORD = re.compile(r"[^\W\d_]+")
# A change of course said as a move: "switched the cache to X", "moved to X", "went back to X", "reverted to X".
_SWITCH = re.compile(r"\b(?:switch(?:ed|es|ing)?|mov(?:ed|es|e|ing)|migrat(?:ed|es|e|ing)|chang(?:ed|es|e|ing)|"
                     r"went|go(?:ing)?|revert(?:ed|s|ing)?|roll(?:ed)?)\b(?:\s+[^\s,;.!?]+){0,4}?\s+(?:back\s+)?to\b",
                     re.IGNORECASE)
SUBJECT_SHARED = 2   # words a later switch must share with the earlier choice to be about the same thing
DISTINCT_SHARE = 1 / 3   # of the earlier choice's own words a later dead end must name


@dataclass(frozen=True, slots=True)
class Choice:
    """An earlier choice: a proposal's or a session's decision."""

    title: str
    text: str
    alternatives: tuple[str, ...]
    files: tuple[str, ...]      # paths or glob patterns it concerns
    when: str                   # when it was made (a timestamp, or a day)
    session: str = ""           # the session that made it
    subject: str = ""           # what that session was about (its title)


@dataclass(frozen=True, slots=True)
class Change:
    """A later session that changed course on a choice, and what it said."""

    session: SessionSummary
    chose: str = ""      # its own choice set against the earlier one
    failed: str = ""     # its dead end that names the earlier one


def _words(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(w for t in texts for w in restatement.content_words(t))


def _path_words(files: Iterable[str]) -> frozenset[str]:
    return _words(" ".join(_PATH_WORD.findall(f)) for f in files)


def _touches(s: SessionSummary, patterns: Sequence[str]) -> list[str]:
    return [f for f in s.files_modified if any(globs.matches(p, f) for p in patterns)]


def _later(s: SessionSummary, when: str) -> bool:
    at = believable_date(s.ended_at, s.started_at)
    return bool(at) and (at[:10] > when if len(when) <= 10 else at > when)


def change_of_course(choice: Choice, later: Sequence[SessionSummary]) -> Change | None:
    """The newest of ``later`` that changed course on ``choice`` (None when none did)."""
    if not choice.files or not choice.when:
        return None
    mine = _words([without_alternatives(choice.title)]) - _words(choice.alternatives)
    against_mine = _words([*choice.alternatives, *set_against(choice.title), *set_against(choice.text)]) - mine
    if not mine:
        return None
    found: Change | None = None
    found_at = ""
    for s in later:
        if s.id == choice.session or not _later(s, choice.when):
            continue
        touched = _touches(s, choice.files)
        if not touched:
            continue
        # The choice's own words, not those of the problem it answered (the proposing session's title) nor
        # of the files: a later dead end or alternative must name the choice, not only its subject.
        distinct = mine - _words([choice.subject]) - _path_words(touched)
        if not distinct:   # the problem was put as the choice ("Use X for Y"): only what both sessions say
            distinct = mine - (_words([choice.subject]) & _words([s.title])) - _path_words(touched)
        change = _chose_against(choice, mine, distinct, against_mine, s) or _failed(distinct, s)
        at = believable_date(s.ended_at, s.started_at)
        if change is not None and at > found_at:
            found, found_at = change, at
    return found


def _chose_against(choice: Choice, mine: frozenset[str], distinct: frozenset[str], against_mine: frozenset[str],
                   s: SessionSummary) -> Change | None:
    """A choice of ``s`` set against the earlier one (its ``distinct`` words), or one that picks what the
    earlier one was set against (``against_mine``) without naming the earlier choice."""
    for note in s.decisions:
        said = [t for t in (note.title, note.decision) if t]
        if any(restatement.title_key(t) == restatement.title_key(choice.title) or restatement.restates(t, old)
               for t in said for old in (choice.title, choice.text) if old):
            return None   # the later session said the same again: the choice stands
        theirs = _words(without_alternatives(t) for t in said)
        against = _words([*note.alternatives, *(a for t in said for a in set_against(t))]) - theirs
        if against & distinct or (theirs & against_mine and not theirs & distinct):
            return Change(s, chose=note.title)
        moved_to = [re.split(r"[,;.!?]", t[m.end():], maxsplit=1)[0] for t in said for m in _SWITCH.finditer(t)]
        if moved_to and not _words(moved_to) & distinct and len(_words(said) & mine) >= SUBJECT_SHARED:
            return Change(s, chose=note.title)   # a move, on the same subject, to something else
    return None


def _failed(distinct: frozenset[str], s: SessionSummary) -> Change | None:
    """A dead end of ``s`` that names the earlier choice by its own words (not those of the shared subject)."""
    if not distinct:
        return None
    need = max(1, math.ceil(len(distinct) * DISTINCT_SHARE))
    for line in s.dead_ends:
        if len(distinct & restatement.content_words(line)) >= need:
            return Change(s, failed=line)
    return None


def _marker(change: Change, me: str | None) -> str:
    """The marker of a choice a later session changed course on: history, never the current rule."""
    kind, note = whose(change.session, me)
    by = f"{kind} {clip(change.session.id[:8], 8)}, {day(change.session.ended_at or change.session.started_at)}{note}"
    if change.chose:
        return f"[superseded by a later {by}, which chose: {clip(change.chose, 100).rstrip('.')}] "
    return f"[superseded: a later {by} found it did not work: {clip(change.failed, 100).rstrip('.')}] "


def stale_choices(found: DecisionFiles, origin: Callable[[str], SessionSummary | None],
                  later: list[SessionSummary], me: str | None) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Markers for what the ``later`` sessions (merged here, newest first) changed course on: by proposal
    path, and by (session, decision key) for the sessions' own "Decided:" lines. ``origin`` reads the
    session that proposed a decision."""
    by_path: dict[str, str] = {}
    by_note: dict[tuple[str, str], str] = {}
    for f in found.files:
        d = f.decision
        if d.status != "proposed" or not any(_touches(s, d.files) for s in later):
            continue   # accepted: people reviewed it; superseded and rejected say so already
        proposer = origin(d.session) if d.session else None
        choice = Choice(
            d.title, decision_gist(d), tuple(x.lstrip("- ") for x in body_section(d, "alternatives").splitlines()),
            d.files, (believable_date(proposer.ended_at, proposer.started_at) if proposer else "") or d.date,
            d.session, proposer.title if proposer else "")
        change = change_of_course(choice, later)
        if change is not None:
            by_path[f.path] = by_note[(d.session, restatement.title_key(d.title))] = _marker(change, me)
    for s in later:
        for note in s.decisions[:2]:
            key = (s.id, restatement.title_key(note.title))
            if key in by_note:
                continue
            choice = Choice(note.title, note.decision, note.alternatives, note.files,
                            believable_date(s.ended_at, s.started_at), s.id, s.title)
            change = change_of_course(choice, later)
            if change is not None:
                by_note[key] = _marker(change, me)
    return by_path, by_note
