"""The brief's lines: a session and a decision told in a few lines, what tells most first.

Invariants:
- Every field of memory goes through ``fence.inline`` (``clip``): no tag, one line, bounded.
- What a session did is ranked by what it says, within the same room: a line that states a choice or a
  reason comes first, then what was done or found in words (commit messages among it), and a bare
  "Changed <path>" or "Ran `<command>`" last. The order of equals is the summary's own.
- The user's words beyond the title are shown only where they carry a rule, a choice or a reason (told by
  the sentence's structure: ``offline.kind_of``, a choice set against an alternative, a reason or a rule
  clause), and never when the session's other lines already say the same. What the user says was tried
  and failed is told as a dead end, never as fact.
- A session's title is shown without a later sentence of it that tells of something tried and failed.
- Another person's session is labelled as a teammate's and unreviewed.
"""

from __future__ import annotations

import re

from gitmem import fence
from gitmem.compress import restatement
from gitmem.compress.clauses import gives_reason, states_rule
from gitmem.compress.offline import kind_of, sentences
from gitmem.decisions import decision_files
from gitmem.store import identity
from gitmem.store.records import Decision, SessionSummary

BODY_READ_CHARS = 20_000  # of a decision's body, looked at for its gist
DONE_CHARS = 300
DONE_ITEMS = 4
SAID_CHARS = 240
TRIED_CHARS = 240
# "Changed billing/charge.py (2 edits)", "Ran `pytest -q`": a verb and a path or a command, nothing said.
_BARE = re.compile(r"^\w+\s+(?:`[^`]*(?:`|…)|\S+)(?:\s+\(\d+\s+\w+\))?\.?$")   # a command may be cut short
# What a choice is set against: the words after these, up to the end of the clause.
_AGAINST = re.compile(r"(?:\b(?:over|instead\s+of|rather\s+than|no\s+longer(?:\s+\w+)?|away\s+from)|,\s*(?:and\s+)?not)"
                      r"\s+(?P<alt>[^,;.!?()]{2,80})|\bfrom\s+(?P<was>[^,;.!?()]{2,60}?)\s+to\b|"
                      r"\breplac(?:e|es|ed|ing)\s+(?P<old>[^,;.!?()]{2,60}?)(?:\s+(?:with|by)\b|[,;.!?]|$)",
                      re.IGNORECASE)
_IN_LINE = re.compile(r"(?<=[.!?])\s+")
_QUOTED = re.compile(r"[\"“][^\"”]*\s[^\"”]*[\"”]")   # a message of two words or more, as someone wrote it


def clip(text: str, limit: int) -> str:
    """One line of memory text, fenced (fence.inline): every field of the brief goes through here."""
    return fence.inline(text, limit)


def who(author: str) -> str:
    name = author[:200].split("<", 1)[0].strip()
    return fence.inline(name or author, 40) or "unknown"


def day(ts: str) -> str:
    return fence.inline(ts[:10], 10) if ts else "?"


def whose(s: SessionSummary, me: str | None) -> tuple[str, str]:
    """("teammate's session", ", unreviewed") for another person's session, else ("session", "").

    A teammate's session reached this checkout through the memory ref, which nobody reviews."""
    if me is not None and not identity.is_mine(s.author, me):
        return fence.TEAMMATE, f", {fence.UNREVIEWED}"
    return "session", ""


def source(s: SessionSummary, me: str | None = None) -> str:
    kind, note = whose(s, me)
    return (f"({who(s.author)}, {day(s.ended_at or s.started_at)}, {clip(s.branch, 60) or '?'}, "
            f"{kind} {clip(s.id[:8], 8)}{note})")


# -- what a line says -----------------------------------------------------------------------------


def set_against(text: str) -> list[str]:
    """What ``text`` sets a choice against: the spans after "over", "instead of", ", not", "from ... to"..."""
    return [next(g for g in m.groups() if g) for m in _AGAINST.finditer(text)]


def without_alternatives(text: str) -> str:
    """A choice's own words: ``text`` without the spans it is set against."""
    for m in _AGAINST.finditer(text):
        text = text.replace(m.group(0), " ")
    return text


def telling(item: str) -> int:
    """How much a line of done work tells, as a rank (lower tells more): 0 a choice or a reason, 1 words
    (what was done or found, a commit message), 2 a bare verb and a path or a command."""
    if _BARE.match(item.strip()) and not _QUOTED.search(item):
        return 2
    if gives_reason(item) or set_against(item) or kind_of(item) == "decision":
        return 0
    return 1


def done_items(completed: tuple[str, ...], room: int = DONE_CHARS, most: int = DONE_ITEMS) -> list[str]:
    """The done work worth its room: ranked by ``telling`` (stable), each taken while it fits ``room``
    whole (the first is clipped if it alone is too long), at most ``most``."""
    ranked = sorted(completed, key=telling)
    chosen: list[str] = []
    used = 0
    for item in ranked:
        cost = len(item) + (2 if chosen else 0)
        if chosen and used + cost > room:
            continue
        chosen.append(item)
        used += cost
        if len(chosen) >= most:
            break
    return chosen


def shown_title(title: str, request: str = "") -> str:
    """The title without what it tells of as tried and failed: a title cut from the user's words may go on
    into "I already tried X" (told on the session's "Tried, did not work" line instead); the first sentence
    always stays. A sentence the title cuts short is judged whole, as ``request`` has it."""
    parts = _IN_LINE.split(title.strip())
    said = _IN_LINE.split(request)
    for n, part in enumerate(parts[1:], 1):
        head = part.rstrip(fence.ELLIPSIS)
        whole = next((x for x in said if x.startswith(head)), part) if head != part else part
        if kind_of(whole) == "dead_end":
            return " ".join(parts[:n])
    return title


def _beyond_title(title: str, request: str) -> list[str]:
    """The sentences of the user's words that the title does not already show whole."""
    head = title.rstrip(fence.ELLIPSIS).strip()
    out = []
    for prompt in request.split(" / "):
        for sentence in sentences(prompt):
            if head and (sentence in head or head.startswith(sentence.rstrip("."))):
                continue
            out.append(sentence)
    return out


def users_words(s: SessionSummary, shown: list[str]) -> tuple[list[str], list[str]]:
    """The user's sentences beyond the title that carry a rule, a choice or a reason, and those that tell
    of something tried that failed, each left out when ``shown`` already holds most of its words."""
    said: list[str] = []
    tried: list[str] = []
    for sentence in _beyond_title(s.title, s.request):
        if restatement.done_by(sentence, [*shown, *said, *tried]):
            continue
        kind = kind_of(sentence)
        if kind == "dead_end":
            tried.append(sentence)
        elif kind != "other" or set_against(sentence) or gives_reason(sentence) or states_rule(sentence):
            said.append(sentence)
    return said, tried


def session_line(s: SessionSummary, detail: bool, reviewed: dict[tuple[str, str], str] | None = None,
                 me: str | None = None) -> str:
    parts = [f"- {clip(shown_title(s.title, s.request), 100)} {source(s, me)}"]
    if not detail:
        return parts[0]
    done = done_items(s.completed)
    shown = [*done, *s.learned[:3], *s.dead_ends[:2], *(d.decision or d.title for d in s.decisions[:2])]
    said, tried = users_words(s, shown)
    if said:
        parts.append(f"  The user said: {clip(' '.join(said), SAID_CHARS)}")
    if done:
        parts.append(f"  Done: {clip('; '.join(done), DONE_CHARS)}")
    if s.learned:
        parts.append(f"  Learned: {clip('; '.join(s.learned[:3]), 320)}")
    if s.dead_ends or tried:
        parts.append(f"  Tried, did not work: {clip('; '.join([*s.dead_ends[:2], *tried[:1]]), TRIED_CHARS)}")
    for d in s.decisions[:2]:
        what = clip(d.decision or d.title, 160).rstrip(".")
        why = f"; why: {clip(d.rationale, 120)}" if d.rationale and d.rationale not in what else ""
        marker = (reviewed or {}).get((s.id, restatement.title_key(d.title)), "")
        parts.append(f"  Decided: {marker}{what}{why}")
    return "\n".join(parts)


# -- decisions ------------------------------------------------------------------------------------


def review_marker(d: Decision, replaced_by: dict[str, tuple[str, ...]]) -> str:
    if d.status == "superseded":
        by = clip(', '.join(replaced_by.get(d.id, ())[:4]), 80)
        return f"[superseded by {by or 'a later decision'}; no longer applies] "
    return "[rejected in review; does not apply] "


def decision_line(path: str, d: Decision, note: str = "") -> str:
    files = f" Files: {clip(', '.join(d.files[:5]), 200)}." if d.files else ""
    gist = clip(decision_gist(d), 220).rstrip(".")
    why = clip(body_section(d, "rationale"), 160).rstrip(".")
    why = f" Why: {why}." if why and why not in gist else ""
    marker = {"accepted": "", "proposed": "[proposed, not yet accepted] "}.get(d.status, f"[{d.status}] ")
    return (f"- {marker}{clip(d.title, 120).rstrip('.')}{': ' + gist if gist else ''}.{why}{files}{note} "
            f"({', '.join(who(a) for a in d.authors[:2]) or 'unknown'}, {day(d.date)}, {clip(d.id, 24)}, "
            f"{clip(path, 120)})")


def body_section(d: Decision, name: str) -> str:
    """The first paragraph under the body's ``## <name>`` heading ('' when there is none or it says nothing)."""
    body = decision_files.without_comments(d.body[:BODY_READ_CHARS]).strip()   # a template's prompts are not the decision; a huge body costs what its start costs
    at = body.lower().find(f"## {name}")
    if at < 0:
        return ""
    rest = body[at:].split("\n", 1)[1] if "\n" in body[at:] else ""
    para = rest.strip().split("\n\n", 1)[0].strip()
    return "" if para.startswith(("#", "_Not stated")) else para


def decision_gist(d: Decision) -> str:
    """The body's "Decision" paragraph, else its first paragraph."""
    gist = body_section(d, "decision")
    if gist:
        return gist
    for para in decision_files.without_comments(d.body[:BODY_READ_CHARS]).strip().split("\n\n"):
        para = para.strip()
        if para and not para.startswith(("#", "<!--")):
            return para
    return ""
