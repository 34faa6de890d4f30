"""The same thing said again: a decision a later session restates, a next step a later session did.

Memory is written session by session, so the same fact arrives more than once
in different words. This module decides, by the content words two texts share
(case-folded, stopwords dropped, light suffix stripping, as a person would
compare them), when one text restates another, when a reported piece of done
work covers an open next step, and when a "step" says nothing at all.

Invariants:
- Pure functions of the texts and records given: no I/O, deterministic.
- General rules, never lists of phrases: a next step is closed when one item
  a later session reports done (its completed work, which names its commits
  and the files it changed) holds most of the step's content words.
"""

from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

from gitmem.recall import STOPWORDS
from gitmem.store.records import SessionSummary

RESTATED_AT = 0.8       # Jaccard similarity of content words from which two texts say the same
DONE_SHARE = 0.75       # share of a step's content words one done item must hold to close it
_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = ("ing", "ed", "es", "s")
# Words that, first in a short "step", say there is no step: "None.", "Nothing left", "N/A".
_NOTHING = frozenset({"none", "nothing", "nil", "n", "na", "tbd"})
_NOTHING_MAX_WORDS = 4


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def title_key(title: str) -> str:
    """A title case-folded with punctuation as spaces: two titles with one key name the same decision."""
    return " ".join(re.sub(r"[^\w\s]", " ", title.casefold()).split())


def content_words(text: str) -> frozenset[str]:
    """The words that carry meaning: three letters or more, no stopwords, suffixes stripped."""
    return frozenset(_stem(w) for w in _WORD.findall(text.casefold()) if len(w) >= 3 and w not in STOPWORDS)


def restates(a: str, b: str) -> bool:
    """Do ``a`` and ``b`` say the same (nearly the same content words)?"""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= RESTATED_AT


def says_nothing(step: str) -> bool:
    """A "step" that is no step: no content words at all ("-", "n/a"), or a short one that opens with a
    word for nothing ("None.", "Nothing left to do")."""
    words = _WORD.findall(step.casefold())
    if not content_words(step) or not words:
        return True
    return words[0] in _NOTHING and len(words) <= _NOTHING_MAX_WORDS


def done_by(step: str, done: Iterable[str]) -> bool:
    """Does one of the ``done`` items do ``step``: hold most of its content words (all, for a step of up to
    three: "Add tests for client.py" is not done by "Added logging to client.py")?"""
    want = content_words(step)
    if not want:
        return False
    need = len(want) if len(want) <= 3 else math.ceil(len(want) * DONE_SHARE)
    return any(len(want & content_words(item)) >= need for item in done)


def open_next_steps(sessions: Sequence[SessionSummary], *, recent: int = 3,
                    per_session: int = 4) -> list[tuple[SessionSummary, str]]:
    """The next steps still open, as ``(session, step)``, from the ``recent`` newest of ``sessions`` (one
    branch, newest first): a step a newer session reports done is closed, one a newer session lists
    again is given once (from the newer), and a step that says nothing is no step."""
    out: list[tuple[SessionSummary, str]] = []
    for i, s in enumerate(sessions[:recent]):
        done = [item for newer in sessions[:i] for item in newer.completed]
        steps = [step for step in s.next_steps if not says_nothing(step)][:per_session]
        for step in steps:
            if done_by(step, done) or any(restates(step, shown) for _, shown in out):
                continue
            out.append((s, step))
    return out
