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

import re
from typing import Sequence

from gitmem import fence
from gitmem.compress import restatement
from gitmem.compress.draft import Draft, SessionInput, new_draft, unique
from gitmem.store.records import DecisionNote, Observation

OFFLINE = "offline"

_DECISION_CUE = re.compile(
    r"\b(decided|decide to|we will|we'll go|let's go with|going with|went with|chose|settled on|switch(?:ed)? to|"
    r"(?:instead of|rather than)(?!\s+[\d~≈<>]))\b", re.IGNORECASE)  # "40 s instead of 3 minutes" is a measurement
_DECISION_LEAD = re.compile(r"^(?:so,?\s+)?(?:(?:we|i)(?:'ve| have)?\s+decided\s+to|(?:we|i)'ll\s+go\s+with|"
                            r"let's\s+go\s+with|going\s+with|(?:we|i)\s+(?:chose|picked|went\s+with)(?:\s+to)?|"
                            r"settled\s+on)\s+", re.IGNORECASE)
# A choice said by its structure: "integer cents, not floats", "prefer SKIP LOCKED over a Redis list".
_NOT_ALTERNATIVE = re.compile(r"^(?P<choice>[^,;:]{6,}?),\s+(?:and\s+)?not\s+(?!sure\b|yet\b|only\b|just\b|even\b)"
                              r"(?P<alt>[^,;:.!?]{2,60})[.!]?$", re.IGNORECASE)
_OVER = re.compile(r"\b(?:chose|choose|picked|pick|prefer(?:red|s)?|went with|go(?:ing)? with|favou?r(?:ed|s)?|"
                   r"use[sd]?|using|kept|keep)\s+(?P<choice>[^,;]{2,60}?)\s+over\s+(?!time\b|the (?:network|wire)\b)"
                   r"(?P<alt>[^,;.!?]{2,60})", re.IGNORECASE)
# A choice taken back: "went back to Y", "reverted to Y", "switched back to Y". The choice before it is a dead end.
_REVERSAL = re.compile(r"\b(?:(?:went|go(?:ing)?|switch(?:ed)?|mov(?:ed|e)|chang(?:ed|e)|came|fell|roll(?:ed)?)\s+back"
                       r"\s+to|revert(?:ed)?\s+to|back\s+to)\s+(?P<choice>[^,;.!?]{2,80})", re.IGNORECASE)
_TRAILING_LINK = re.compile(r"(?:[\s,;:–—-]|\b(?:and|then|but|so)\b)*$", re.IGNORECASE)
_BECAUSE = re.compile(r"(?:\b(?:because|since|so that|as it|due to)|,\s+so(?!\s+far))\b(.+)$", re.IGNORECASE)
# Something tried and given up: told as a dead end, never as a decision or a fact learned.
_DEAD_END_CUE = re.compile(
    r"\b(?:did not|didn't|does not|doesn't|do not|don't)\s+(?:work|help|fix|solve|improve|change anything)\b|"
    r"\bno luck\b|\bdead end\b|\bgave up on\b|\babandoned\b|\bmade (?:it|things|\w+ \w+) (?:worse|slower)\b|"
    r"\b(?:backed|rolled) (?:it|that|this|them) (?:out|back)\b|\breverted (?:it|that|this|them)\b|"
    r"\btried\b.*\bbut\b", re.IGNORECASE)
_LEARNED_CUE = re.compile(
    r"\b(turns out|turned out|found that|learned|the cause|root cause|it seems|note that|must|always|never|requires?|"
    r"convention|lives? (?:in|under)|owns|owned by|responsible for|only module|talks to|"
    r"(?:is|are) (?:defined|sent|configured|kept|stored|built|handled|read|set)(?: only)? (?:in|from|by|through))\b",
    re.IGNORECASE)
# "`billing/charge.py` creates charges": a file and what it does, a map of the code.
_FILE_DOES = re.compile(r"^`?(?:[\w.-]+/)*[\w-]+\.[A-Za-z]{1,5}`?\s+(?:\([^)]*\)\s+)?[a-z]+s\b")
# "Next steps:", "Still to do: ...", "Remaining work: ...": what follows (inline, or as a list) is left open.
_NEXT_HEAD = re.compile(
    r"^(?:\*\*|__)?(?:next steps?|still to do|still open|remaining(?: work| steps)?|left to do|to ?do|"
    r"follow[- ]?ups?|open (?:items|questions|points))(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*(.*)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.*)$")
_CHECKBOX = re.compile(r"^\s*(?:[-*•]\s+)?\[([ xX])\]\s+(.*)$")
# A heading over a list of open work: "Next steps:", "**Not done yet**", "Left a few TODOs:", "## Follow-ups".
_STEPS_HEADING = re.compile(r"\b(?:next steps?|to-?dos?|to do|not (?:yet )?done|left (?:to do|open)|remaining|"
                            r"still open|open (?:items|questions|points)|follow[- ]?ups?|pending)\b", re.IGNORECASE)
_TABLE_RULE = re.compile(r"\|?(?:\s*:?-{2,}:?\s*\|)+\s*:?(?:-{2,}:?\s*)?\|?")
_THEN = re.compile(r";\s*(?:and\s+)?(?:then\s+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_IN_LINE = re.compile(r"(?<=[.!?])\s+")
_LEAD_SENTENCES = 2
_COMMIT_MESSAGE = re.compile(r"\bgit\s+commit\b[^\n]*?\s-(?:a?m|-message(?:=|\s))\s*([\"'])(.+?)\1")
_OPEN_TODO = ("[ ]", "[>]", "[pending]", "[in_progress]")


def _table_rows(text: str) -> str:
    """Markdown tables as plain lines: a header row (the one above the ``|---|`` rule) and the rule are left out,
    and each data row reads "first cell: the other cells"."""
    lines = (text or "").split("\n")
    out: list[str] = []
    for n, line in enumerate(lines):
        row = line.strip()
        if not row.startswith("|"):
            out.append(line)
            continue
        below = lines[n + 1].strip() if n + 1 < len(lines) else ""
        if _TABLE_RULE.fullmatch(row) or (below.startswith("|") and _TABLE_RULE.fullmatch(below)):
            continue
        cells = [c.strip() for c in row.strip("|").split("|") if c.strip()]
        out.append(cells[0] + (": " + ", ".join(cells[1:]) if len(cells) > 1 else "") + "." if cells else "")
    return "\n".join(out)


def sentences(text: str) -> list[str]:
    """Every sentence, bullet and table row of ``text`` (a line or a sentence of 12 characters or fewer is no
    statement)."""
    return [s.strip(" -*•\t") for s in _SENTENCE.split(_table_rows(text)) if len(s.strip()) > 12]


def _named_files(text: str, files: Sequence[str]) -> tuple[str, ...]:
    """The ``files`` that ``text`` names, by path or by file name (as a whole word, not inside another)."""
    named = []
    for f in files:
        for name in dict.fromkeys((f, f.rsplit("/", 1)[-1])):
            if name and re.search(rf"(?<![\w./-]){re.escape(name)}(?![\w/-]|\.\w)", text):
                named.append(f)
                break
    return tuple(named)


def _decision_note(sentence: str, changed: tuple[str, ...], seen: Sequence[str] = ()) -> DecisionNote:
    """A decision from its sentence; its files are the session's files the sentence names, or, when it
    names none of them, the files the session changed."""
    reversal = _REVERSAL.search(sentence)
    if reversal is not None:  # "went with X, then back to Y because Z": Y is the choice, X is told as a dead end
        sentence = sentence[reversal.start():]
        sentence = sentence[:1].upper() + sentence[1:]
    because = _BECAUSE.search(sentence)
    head = sentence[: because.start()].rstrip(" ,;") if because else sentence.rstrip(".")
    alternative = _alternative(head)   # before the lead goes: "we picked X over Y"
    head = _DECISION_LEAD.sub("", head)
    files = _named_files(sentence, list(dict.fromkeys([*changed, *seen]))) or changed
    if alternative is not None and not _DECISION_CUE.search(head):
        head = alternative.group("choice") if alternative.re is _NOT_ALTERNATIVE else head
    return DecisionNote(title=fence.one_line(head[:1].upper() + head[1:], 100), decision=fence.one_line(sentence, 300),
                        rationale=fence.one_line(because.group(1).rstrip("."), 300) if because else "",
                        alternatives=(fence.one_line(alternative.group("alt").strip(), 120),) if alternative else (),
                        files=files[:10])


def _alternative(text: str) -> re.Match[str] | None:
    """The choice and the alternative it was chosen over, when a sentence says them by its structure."""
    return _NOT_ALTERNATIVE.match(text.strip()) or _OVER.search(text)


def _is_choice(sentence: str) -> bool:
    """A sentence that states a choice: a choice cue, a choice set against an alternative ("X, not Y"), or a
    return to an earlier one ("back to Y")."""
    because = _BECAUSE.search(sentence)
    head = sentence[: because.start()].rstrip(" ,;") if because else sentence
    return any(x is not None for x in (_DECISION_CUE.search(sentence), _alternative(head), _REVERSAL.search(head)))


def _reversed(decided: Sequence[str]) -> tuple[list[str], list[str]]:
    """The session's choices in the order said, split into those still standing and those a later "back to Y"
    took back: a reversal undoes the choice said just before it, or the one it names before "back to" in the
    same sentence ("went with X for a day, then back to Y")."""
    standing: list[str] = []
    undone: list[str] = []
    for sentence in decided:
        reversal = _REVERSAL.search(sentence)
        if reversal is not None:
            before = sentence[: reversal.start()]
            if _DECISION_CUE.search(before) or _alternative(before):
                undone.append(f"{_TRAILING_LINK.sub('', before)} (taken back: {reversal.group(0).strip()})")
            elif standing:
                undone.append(f"{standing.pop().rstrip('.')} (taken back: {reversal.group(0).strip()})")
        standing.append(sentence)
    return standing, undone


def _decisions_from(sentences: Sequence[str], changed: tuple[str, ...],
                    seen: Sequence[str] = ()) -> tuple[DecisionNote, ...]:
    notes: dict[str, DecisionNote] = {}
    for sentence in sentences:
        if _is_choice(sentence) and not _DEAD_END_CUE.search(sentence):
            note = _decision_note(sentence, changed, seen)
            notes.setdefault(restatement.title_key(note.title), note)
    return tuple(notes.values())[:5]


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
        parts = _IN_LINE.split(line.strip())
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


def kind_of(sentence: str) -> str:
    """dead_end, decision, learned or other: what an assistant's sentence tells (first cue wins)."""
    if _DEAD_END_CUE.search(sentence):
        return "dead_end"
    if _is_choice(sentence):
        return "decision"
    if _LEARNED_CUE.search(sentence) or _FILE_DOES.match(sentence):
        return "learned"
    return "other"


def summarize_offline(inp: SessionInput) -> Draft:
    """An extractive summary built only from the observations: same input, same output.

    The assistant's replies are read sentence by sentence: what was tried and given up goes to
    dead ends (never to decisions or learned), choices to decisions, statements about the code
    to learned, what the final reply leaves open to next steps, and the first plain sentences of
    the final reply (what was done or found) lead the completed list."""
    obs = inp.observations
    prompts = [o.text for o in obs if o.kind == "prompt" and o.text]
    modified = unique([f for o in obs if o.kind in ("edit", "write") and o.outcome != "attempted" for f in o.files], 50)
    read = unique([f for o in obs if o.kind == "read" for f in o.files], 50)
    searches = unique([fence.one_line(o.text, 120) for o in obs if o.kind == "search" and o.text], 8)
    fetches = unique([fence.one_line(o.text or o.command, 120) for o in obs if o.kind == "fetch"], 5)

    # The replies: from the transcript, every one whole; without it, earlier turns as the Stop observations
    # kept them (clipped), the last one whole.
    told = [t.text for t in inp.transcript if t.role == "assistant"]
    if told:
        replies, final = told[:-1], told[-1]
    else:
        replies = [o.text for o in obs if o.kind == "stop" and o.text]
        final = inp.last_message or (replies[-1] if replies else "")
        if inp.last_message and replies and final.startswith(replies[-1].rstrip("…")):
            replies = replies[:-1]
    asked = [t.text for t in inp.transcript if t.role == "user"] or prompts  # the user's whole words
    steps_said, final_rest = _open_steps(final)
    said: dict[str, list[str]] = {"dead_end": [], "decision": [], "learned": [], "other": []}
    for sentence in [s for r in replies for s in sentences(r)]:
        said[kind_of(sentence)].append(sentence)
    lead: list[str] = []
    for sentence in sentences(final_rest):
        kind = kind_of(sentence)
        said[kind].append(sentence)
        if kind == "other" and len(lead) < _LEAD_SENTENCES and not sentence.endswith((":", "?")):
            lead.append(fence.one_line(sentence.rstrip("."), 240))

    completed: list[str] = list(lead)
    for f in modified:
        kinds = [o for o in obs if f in o.files and o.kind in ("edit", "write")]
        created = any(o.kind == "write" and "created" in (o.text or "").lower() for o in kinds)
        completed.append(f"{'Created' if created else 'Changed'} {f}" + (f" ({len(kinds)} edits)" if len(kinds) > 1 else ""))
    # Commands: the last outcome of each command counts; a failure never followed by success is a dead end.
    last_outcome: dict[str, Observation] = {}
    for o in obs:
        if o.kind == "command" and o.command and o.outcome != "attempted":
            last_outcome[o.command] = o
    said["decision"], undone = _reversed(said["decision"])
    dead_ends = [fence.one_line(s, 240) for s in [*said["dead_end"], *undone]]
    for cmd, o in last_outcome.items():
        if o.outcome == "error":
            dead_ends.append(fence.one_line(f"Tried `{cmd}`: failed" + (f" ({o.detail})" if o.detail else ""), 240))
        else:
            commit = _COMMIT_MESSAGE.search(cmd)
            completed.append(fence.one_line(f"Committed \"{commit.group(2)}\"" if commit else f"Ran `{cmd}`", 160))
    for o in obs:
        if o.kind == "error" or (o.kind != "command" and o.outcome == "error"):
            dead_ends.append(fence.one_line(f"Tried {o.tool or o.kind}: failed ({o.detail or o.text})", 240))

    next_steps: list[str] = []
    todos = [o for o in obs if o.kind == "todo" and o.detail]
    for line in (todos[-1].detail.splitlines() if todos else []):  # the last list is the current one
        if line.startswith(_OPEN_TODO):
            next_steps.append(fence.one_line(line.split("]", 1)[1], 200))
    next_steps += steps_said
    learned = [fence.one_line(s, 240) for s in said["learned"]]
    investigated = [f"Read {f}" for f in read[:10]] + [f"Searched {s}" for s in searches] + \
        [f"Fetched {f}" for f in fetches]
    title = fence.one_line(prompts[0], 80) if prompts else (
        f"Changed {', '.join(modified[:3])}" if modified else f"Session {inp.session_id[:8]}")
    if inp.previous is not None and inp.previous.title and not prompts:
        title = inp.previous.title
    return new_draft(
        title=title,
        request=fence.one_line(" / ".join(dict.fromkeys(prompts)), 600),
        investigated=unique(investigated, 12),
        learned=unique(learned, 8),
        completed=unique(completed, 15),
        next_steps=unique(next_steps, 10),
        dead_ends=unique(dead_ends, 8),
        decisions=_decisions_from([*(s for p in asked for s in sentences(p)), *said["decision"]], modified, read),
        tags=(),
        summarizer=OFFLINE,
    )
