"""A transcript's turns fitted to the model's input budget: every turn kept, the longest ones cut first.

The model backends send the user's words and the assistant's replies from the
transcript in place of the hooks' clipped copies. Their share of the request is
bounded by the raw transcript's size (``TRANSCRIPT_SHARE``), so what a session
costs grows with what it said, never past a fixed fraction of it. When the
turns are longer than their budget, one common length is found that every turn
is cut to (short turns stay whole). A cut turn keeps the sentences the offline
extractor reads as a decision, a dead end or a fact learned (up to half its
length), then its head and its tail, where a reply states what it will do and
what it concluded.
"""

from __future__ import annotations

from typing import Sequence

from gitmem.capture.transcript import Turn
from gitmem.compress.offline import kind_of, sentences

TRANSCRIPT_SHARE = 0.08   # characters of turns sent per byte of raw transcript
MIN_TURN_CHARS = 80
_HEAD_SHARE = 0.4


def turn_budget(raw_bytes: int, floor: int) -> int:
    """Characters of turn text a request may carry: a share of the raw transcript, never less than ``floor``
    (what the hooks' own copies of the prompts and replies would have taken)."""
    return max(int(raw_bytes * TRANSCRIPT_SHARE), floor, 0)


def _common_length(lengths: Sequence[int], budget: int) -> int:
    """The largest length L with sum(min(n, L)) <= budget (at least MIN_TURN_CHARS)."""
    if sum(lengths) <= budget:
        return max(lengths, default=0)
    left, count = budget, len(lengths)
    for n in sorted(lengths):
        if n * count > left:
            return max(left // count, MIN_TURN_CHARS)
        left -= n
        count -= 1
    return max(lengths, default=0)


def cut_ends(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: its telling sentences between its head and its tail,
    " … " between the parts."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    told = ""
    for sentence in (s for s in sentences(text) if kind_of(s) != "other"):
        more = (told + " … " if told else "") + " ".join(sentence.split())
        if len(more) > limit // 2:
            break
        told = more
    room = limit - 3 - (len(told) + 3 if told else 0)
    head = int(room * _HEAD_SHARE)
    tail = room - head
    middle = " … " + told + " … " if told else " … "
    return flat[:head].rstrip() + middle + flat[len(flat) - tail:].lstrip()


def fit_turns(turns: Sequence[Turn], budget: int) -> list[tuple[Turn, str]]:
    """Each turn and its text as sent: all of them, together within ``budget`` characters when possible."""
    flat = [" ".join(t.text.split()) for t in turns]
    limit = _common_length([len(f) for f in flat], budget)
    return [(t, cut_ends(f, limit)) for t, f in zip(turns, flat)]
