"""The offline summarizer: an extractive summary built only from the observations.

Deterministic (same input, same output) and needs no network: it is what every
other backend falls back to. The assistant's replies (from the transcript when
there is one: every reply whole) are read sentence by sentence, bullet by bullet
and row by row, and sorted into dead ends, decisions, things learned and open
next steps; files changed and commands run become the completed work. A choice
is known by a cue or by its structure: set against an alternative ("X, not Y",
"picked X over Y"), with its reason ("because", "since", ", so"), and a later
"back to Y" takes the choice before it back (a dead end, never a decision).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Sequence

from gitmem import fence
from gitmem.capture.code_comments import comments_in
from gitmem.compress import restatement
from gitmem.compress.commands import command_outcomes
from gitmem.compress.commits import commit_message, reverted_subject
from gitmem.compress.draft import Draft, SessionInput, new_draft, unique
from gitmem.compress.statements import (IN_LINE, REVERSAL, TRAILING_LINK, decision_note, explains, is_choice,
                                        kind_of, leaves_open, replaces, sentences, with_next)
from gitmem.store.records import DecisionNote, Observation

OFFLINE = "offline"

# "Next steps:", "Still to do: ...", "Remaining work: ...": what follows (inline, or as a list) is left open.
_NEXT_HEAD = re.compile(
    r"^(?:\*\*|__)?(?:next steps?|still to do|still open|remaining(?: work| steps)?|left to do|to ?do|"
    r"follow[- ]?ups?|open (?:items|questions|points)|pendientes?|falta|(?:noch )?offen|(?:reste )?à faire|pendentes?|"
    r"da fare)(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\s*(?:[-*•]\s+)?\[([ xX])\]\s+(.*)$")
# A heading over a list of open work: "Next steps:", "**Not done yet**", "Left a few TODOs:", "## Follow-ups".
_STEPS_HEADING = re.compile(r"\b(?:next steps?|to-?dos?|to do|not (?:yet )?done|left (?:to do|open)|remaining|"
                            r"still open|open (?:items|questions|points)|follow[- ]?ups?|pending|pendientes?|offen|"
                            r"à faire|pendentes?|da fare)\b", re.IGNORECASE)
_THEN = re.compile(r";\s*(?:and\s+)?(?:then\s+)?")
_LEAD_SENTENCES = 2
_OPEN_TODO = ("[ ]", "[>]", "[pending]", "[in_progress]")


def _step(text: str) -> str:
    text = text.strip(" -*•\t")
    box = _CHECKBOX.match(text)
    text = (box.group(2) if box else text).removeprefix("then ").rstrip(".")
    return fence.one_line(text[:1].upper() + text[1:], 200)


def _steps_heading(line: str) -> bool:
    """A short line that announces a list of open work (ends with ':' or is a heading or bold)."""
    text = line.strip()
    bare = text.strip("#*_ ").rstrip(":").strip("*_ ")
    return (0 < len(bare) <= 50 and _STEPS_HEADING.search(bare) is not None
            and (text.endswith(":") or text.startswith(("#", "**", "__"))))


def _open_steps(message: str) -> tuple[list[str], str]:
    """Work the message leaves open, and the message without it: unchecked boxes ("- [ ] x"), the list under
    a heading such as "Next steps:" or "**Not done yet**", and inline "Still to do: a; then b"."""
    steps: list[str] = []
    kept: list[str] = []
    lines = message.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        box = _CHECKBOX.match(line)
        if box is not None:
            if box.group(1) == " ":
                steps.append(_step(box.group(2)))
            else:
                kept += [box.group(2), "\n"]
            continue
        if _steps_heading(line):
            j = i
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and _BULLET.match(lines[j]):
                i = j
                while i < len(lines) and _BULLET.match(lines[i]):
                    steps.append(_step(_BULLET.match(lines[i]).group(1)))  # type: ignore[union-attr]
                    i += 1
                continue
        parts = IN_LINE.split(line.strip())
        for n, part in enumerate(parts):
            m = _NEXT_HEAD.match(part.strip(" -*•\t"))
            if m is None:
                kept.append(part)
                continue
            rest = " ".join([m.group(1), *parts[n + 1:]]).strip()
            steps += [_step(p) for p in _THEN.split(rest) if len(p.strip()) > 3]
            break
        kept.append("\n")
    return [s for s in steps if s and not restatement.says_nothing(s)], " ".join(kept)


@dataclass(frozen=True, slots=True)
class _Said:
    """One sentence of the session, where it was said: ``at`` orders the session (turns, then tool calls by time)."""

    text: str
    at: float
    by_user: bool = False
    following: str = ""             # the next sentence on the same line (a reason often follows its choice)
    files: tuple[str, ...] = ()     # a code comment's file
    para: int = -1                  # the paragraph of the final reply it is in (-1: not in the final reply)


def _leads(x: _Said) -> bool:
    """A plain statement of the final reply that may say what was done: no heading, question or list head."""
    return x.para >= 0 and not x.text.endswith((":", "?")) and not x.text.startswith("#")


def _reversed(decided: Sequence[_Said]) -> tuple[list[_Said], list[str]]:
    """The session's choices in the order said, split into those still standing and those taken back: a "back to
    Y" undoes the choice said just before it, or the one it names before "back to" in the same sentence ("went with
    X for a day, then back to Y"); a choice said in a later turn that replaces an earlier one (statements.replaces:
    the same file or "for ..." subject, another pick, said as a change) undoes it."""
    standing: list[_Said] = []
    undone: list[str] = []
    for said in decided:
        sentence = said.text
        reversal = REVERSAL.search(sentence)
        if reversal is not None:
            before = sentence[: reversal.start()]
            if is_choice(before):
                undone.append(f"{TRAILING_LINK.sub('', before)} (taken back: {reversal.group(0).strip()})")
            elif standing:
                undone.append(f"{standing.pop().text.rstrip('.')} (taken back: {reversal.group(0).strip()})")
        else:
            for earlier in list(standing):
                if int(earlier.at) < int(said.at) and replaces(sentence, earlier.text):
                    standing.remove(earlier)
                    undone.append(f"{earlier.text.rstrip('.')} (taken back: {sentence.split(',')[0].rstrip('.')})")
        standing.append(said)
    return standing, undone


def _told(inp: SessionInput) -> tuple[list[tuple[str, str, str]], str]:
    """The session's turns as (role, text, time) and the final reply: from the transcript, every one whole;
    without it, the prompts and the Stop observations (clipped), the last reply whole."""
    if inp.transcript:
        turns = [(t.role, t.text, t.ts) for t in inp.transcript]
        last = max((n for n, t in enumerate(turns) if t[0] == "assistant"), default=None)
        return ([t for n, t in enumerate(turns) if n != last], turns[last][1] if last is not None else "")
    turns = [("user" if o.kind == "prompt" else "assistant", o.text, o.ts) for o in inp.observations
             if o.kind in ("prompt", "stop") and o.text]
    replies = [n for n, t in enumerate(turns) if t[0] == "assistant"]
    final = inp.last_message or (turns[replies[-1]][1] if replies else "")
    if replies and final.startswith(turns[replies[-1]][1].rstrip("…")):
        turns.pop(replies[-1])
    return turns, final


def _code_and_commits(obs: Sequence[Observation], times: list[str], end: float) -> tuple[list[_Said], list[str]]:
    """Sentences of the comments edits added and of commit bodies, placed by time among the turns; and the
    subjects of the commits that revert one."""
    out: list[_Said] = []
    reverted: list[str] = []
    for o in obs:
        at = bisect.bisect_right(times, o.ts) - 0.5 if times and o.ts else end
        if o.kind in ("edit", "write") and o.outcome != "attempted":
            out += [_Said(s, at, files=o.files) for c in comments_in(o.detail) for s in sentences(c)]
        elif o.kind == "command" and o.outcome != "error" and (message := commit_message(o.command)):
            subject, _, body = message.partition("\n")
            if (undone := reverted_subject(subject)) is not None:
                reverted.append(f"{undone} (reverted)")
            # A subject is written in the imperative ("Use X for Y"): read as a directive, as the user's words are.
            out += [_Said(subject.strip(), at, by_user=True)] + [_Said(s, at, following=f) for s, f in with_next(body)]
    return out, reverted


def _committed(message: str) -> str:
    """A commit as done work: its subject, and its body without what it tells as given up."""
    subject, _, body = message.partition("\n")
    kept = [s for s in sentences(body) if kind_of(s) != "dead_end"]
    return fence.one_line(f"Committed \"{' '.join([subject.strip(), *kept])}\"", 160)


def summarize_offline(inp: SessionInput) -> Draft:
    """An extractive summary built only from the observations (and the transcript): same input, same output.

    Every sentence the session holds is read: the user's whole words, every reply, the bodies of its commits and
    the comments its edits added. What was tried and given up goes to dead ends (never to decisions, done work or
    the title), choices to decisions (a choice taken back later is a dead end), statements about the code to
    learned, what the final reply leaves open to next steps, and the first plain sentences of the final reply lead
    the completed list, then the commits, the files changed and the commands that passed."""
    obs = inp.observations
    prompts = [o.text for o in obs if o.kind == "prompt" and o.text]
    modified = unique([f for o in obs if o.kind in ("edit", "write") and o.outcome != "attempted" for f in o.files], 50)
    read = unique([f for o in obs if o.kind == "read" for f in o.files], 50)
    searches = unique([fence.one_line(o.text, 120) for o in obs if o.kind == "search" and o.text], 8)
    fetches = unique([fence.one_line(o.text or o.command, 120) for o in obs if o.kind == "fetch"], 5)

    turns, final = _told(inp)
    steps_said, final_rest = _open_steps(final)
    said: list[_Said] = [_Said(s, n, role == "user", f) for n, (role, text, _) in enumerate(turns)
                         for s, f in with_next(text)]
    for n, paragraph in enumerate(re.split(r"\n\s*\n", final_rest.strip())):
        said += [_Said(s, len(turns), False, f, para=n) for s, f in with_next(paragraph)]
    times = [ts for _, _, ts in turns] if all(ts for _, _, ts in turns) else []
    extra, reverted = _code_and_commits(obs, times, len(turns) + 1)
    said = sorted([*said, *extra], key=lambda x: x.at)   # stable: the order within a turn stays
    kinds: dict[str, list[_Said]] = {"dead_end": [], "decision": [], "learned": [], "other": []}
    for x in said:
        kind = kind_of(x.text, x.by_user)
        if x.by_user and kind not in ("dead_end", "decision"):
            continue   # the user's other words are the request, not facts
        kinds[kind].append(x)
    lead: list[str] = []
    left_open: list[str] = []
    explained: list[_Said] = []
    opening = min((x.para for x in kinds["other"] if _leads(x)), default=-1)  # its first paragraph of plain statements
    for x in kinds["other"]:
        if x.para == opening and len(lead) < _LEAD_SENTENCES and _leads(x):
            lead.append(fence.one_line(x.text.rstrip("."), 240))
        elif explains(x.text):
            explained.append(x)     # after the statements about the code: an explanation may be only a plan
        elif x.para > opening and leaves_open(x.text):
            left_open.append(_step(x.text))

    standing, undone = _reversed(kinds["decision"])
    notes: dict[str, DecisionNote] = {}
    for x in standing:
        note = decision_note(x.text, modified, read, x.following, x.by_user, x.files)
        notes.setdefault(restatement.title_key(note.title), note)
    dead_ends = [fence.one_line(x.text, 240) for x in kinds["dead_end"]] + \
        [fence.one_line(u, 240) for u in [*undone, *reverted]]

    outcomes = command_outcomes(obs)
    commits, ran = [], []
    for o in outcomes.passed:
        message = commit_message(o.command)
        if message:
            commits.append(_committed(message))
        else:
            ran.append(fence.one_line(f"Ran `{o.command}`", 160))
    completed: list[str] = [*lead, *commits]
    for f in modified:
        kinds_of_f = [o for o in obs if f in o.files and o.kind in ("edit", "write")]
        created = any(o.kind == "write" and "created" in (o.text or "").lower() for o in kinds_of_f)
        completed.append(f"{'Created' if created else 'Changed'} {f}" +
                         (f" ({len(kinds_of_f)} edits)" if len(kinds_of_f) > 1 else ""))
    completed += ran
    for o in outcomes.failed:
        dead_ends.append(fence.one_line(f"Tried `{o.command}`: failed" + (f" ({o.detail})" if o.detail else ""), 240))
    for o in obs:
        if o.kind == "error" or (o.kind != "command" and o.outcome == "error"):
            dead_ends.append(fence.one_line(f"Tried {o.tool or o.kind}: failed ({o.detail or o.text})", 240))

    next_steps: list[str] = []
    todos = [o for o in obs if o.kind == "todo" and o.detail]
    for line in (todos[-1].detail.splitlines() if todos else []):  # the last list is the current one
        if line.startswith(_OPEN_TODO):
            next_steps.append(fence.one_line(line.split("]", 1)[1], 200))
    next_steps += steps_said + left_open
    learned = outcomes.fixed[:2] + [fence.one_line(x.text, 240) for x in [*kinds["learned"], *explained]]
    investigated = [f"Read {f}" for f in read[:10]] + [f"Searched {s}" for s in searches] + \
        [f"Fetched {f}" for f in fetches]
    return new_draft(
        title=_title(prompts, turns, modified, inp),
        request=fence.one_line(" / ".join(dict.fromkeys(prompts)), 600),
        investigated=unique(investigated, 12),
        learned=unique(learned, 8),
        completed=unique(completed, 15),
        next_steps=unique(next_steps, 10),
        dead_ends=unique(dead_ends, 8),
        decisions=tuple(notes.values())[:5],
        tags=(),
        summarizer=OFFLINE,
    )


def _title(prompts: Sequence[str], turns: Sequence[tuple[str, str, str]], modified: Sequence[str],
           inp: SessionInput) -> str:
    """The first prompt without what it tells as tried and failed; else the files changed, or the session id."""
    first = next((text for role, text, _ in turns if role == "user"), prompts[0] if prompts else "")
    title = fence.one_line(" ".join(s for s in IN_LINE.split(" ".join(first.split())) if kind_of(s, True) != "dead_end"),
                           80)
    if not title:
        title = f"Changed {', '.join(modified[:3])}" if modified else f"Session {inp.session_id[:8]}"
    if inp.previous is not None and inp.previous.title and not prompts:
        title = inp.previous.title
    return title
