"""Session summaries: one summarizer call per flush, never one per tool call.

``summarize_session`` picks a backend from the config and always returns a
``Draft``: a backend that fails falls back to the offline summarizer, and the
draft records why (``fallback_reason``). Nothing here raises into the worker.

Invariants:
- Bounded: every model call gets at most ``summarizer_max_input_chars`` of
  session text (longer sessions go in parts, each folded into the summary so
  far, so cost grows linearly), and the whole call, retries included, ends
  by ``summarizer_timeout_seconds``.
- Incremental: a session summarized before by a model sends only the
  observations that arrived since, with the previous summary.
- The session text is fenced as untrusted data, fence-breaking tags inside it
  are neutralised, and the final prompt goes through ``redact.redact_text``
  (a redaction that fails, or cannot even be imported, sends nothing).
- The ``claude`` backend runs through ``claude_cli``: isolated, within the
  same deadline, at most one per repository, its process group killed.
- Model output is data too: it is checked against the schema, clipped, and a
  decision recorded earlier in the session is never dropped by a later part.
- The offline summarizer is deterministic and needs no network.

This is the only module that imports anthropic (inside the function that uses it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import string
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from gitmem import fence
from gitmem.compress import claude_cli
from gitmem.compress.deadline import DeadlinePassed, call_before
from gitmem.config import Config, read_template
from gitmem.compress import restatement
from gitmem.errors import SummarizeError
from gitmem.store.records import DecisionNote, Observation, SessionSummary

logger = logging.getLogger(__name__)

OFFLINE, ANTHROPIC, CLAUDE = "offline", "anthropic", "claude"
TOOL_NAME = "record_session_summary"
MAX_OUTPUT_TOKENS = 2048
MAX_RETRIES = 4
ALARM_MARGIN_SECONDS = 10

_LIST = {"type": "array", "items": {"type": "string"}}
_TEXT = {"type": "string"}
SUMMARY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "what the session did, <= 80 chars"},
        "request": {"type": "string", "description": "what the user asked"},
        "investigated": _LIST, "learned": _LIST, "completed": _LIST, "next_steps": _LIST,
        "dead_ends": {**_LIST, "description": "tried, did not work, and why"},
        "decisions": {"type": "array", "items": {"type": "object", "properties": {
            "title": _TEXT, "context": _TEXT, "decision": _TEXT, "rationale": _TEXT,
            "alternatives": _LIST, "files": _LIST}, "required": ["title", "decision"]}},
        "tags": _LIST,
    },
    "required": ["title", "request", "completed", "decisions"],
}
_LIST_LIMITS = {"investigated": 12, "learned": 10, "completed": 15, "next_steps": 10, "dead_ends": 10}
_FENCE_TAG = re.compile(r"<(\s*/?\s*)(session_data|previous_summary)", re.IGNORECASE)

_DECISION_CUE = re.compile(
    r"\b(decided|decide to|we will|we'll go|let's go with|going with|chose|settled on|switch(?:ed)? to|"
    r"(?:instead of|rather than)(?!\s+[\d~≈<>]))\b", re.IGNORECASE)  # "40 s instead of 3 minutes" is a measurement
_DECISION_LEAD = re.compile(r"^(?:so,?\s+)?(?:(?:we|i)(?:'ve| have)?\s+decided\s+to|(?:we|i)'ll\s+go\s+with|"
                            r"let's\s+go\s+with|going\s+with|(?:we|i)\s+(?:chose|picked|went\s+with)(?:\s+to)?|"
                            r"settled\s+on)\s+", re.IGNORECASE)
_BECAUSE = re.compile(r"\b(?:because|since|so that|as it|due to)\b(.+)$", re.IGNORECASE)
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
_THEN = re.compile(r";\s*(?:and\s+)?(?:then\s+)?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_IN_LINE = re.compile(r"(?<=[.!?])\s+")
_LEAD_SENTENCES = 2
_COMMIT_MESSAGE = re.compile(r"\bgit\s+commit\b[^\n]*?\s-(?:a?m|-message(?:=|\s))\s*([\"'])(.+?)\1")
_OPEN_TODO = ("[ ]", "[>]", "[pending]", "[in_progress]")


@dataclass(frozen=True, slots=True)
class SessionInput:
    session_id: str
    observations: tuple[Observation, ...]
    previous: SessionSummary | None = None
    last_message: str = ""
    state_dir: Path | None = None  # <common-dir>/gitmem: where the claude lock lives


Draft = SessionSummary
"""What a summarizer returns: a SessionSummary holding what the session asked, learned, did and decided, and the
summarizer's own facts (summarizer, model, tokens, fallback_reason). Its git facts (id, times, author, branch,
commits, files) stay blank until the flush worker fills them in (``flush.build_summary``)."""


def _draft(**content: Any) -> Draft:
    return SessionSummary(id="", started_at="", **content)


@dataclass(frozen=True, slots=True)
class _Answer:
    data: Any
    model: str
    tokens_in: int
    tokens_out: int


def _unique(items: Sequence[str], limit: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))[:limit]


def _sentences(text: str) -> list[str]:
    return [s.strip(" -*•\t") for s in _SENTENCE.split(text or "") if len(s.strip()) > 12]


# -- offline --------------------------------------------------------------------------------


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
    because = _BECAUSE.search(sentence)
    head = sentence[: because.start()].rstrip(" ,;") if because else sentence.rstrip(".")
    head = _DECISION_LEAD.sub("", head)
    files = _named_files(sentence, list(dict.fromkeys([*changed, *seen]))) or changed
    return DecisionNote(title=fence.one_line(head[:1].upper() + head[1:], 100), decision=fence.one_line(sentence, 300),
                        rationale=fence.one_line(because.group(1).rstrip("."), 300) if because else "", files=files[:10])


def _decisions_from(sentences: Sequence[str], changed: tuple[str, ...],
                    seen: Sequence[str] = ()) -> tuple[DecisionNote, ...]:
    notes: dict[str, DecisionNote] = {}
    for sentence in sentences:
        if _DECISION_CUE.search(sentence) and not _DEAD_END_CUE.search(sentence):
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


def _kind_of(sentence: str) -> str:
    """dead_end, decision, learned or other: what an assistant's sentence tells (first cue wins)."""
    if _DEAD_END_CUE.search(sentence):
        return "dead_end"
    if _DECISION_CUE.search(sentence):
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
    modified = _unique([f for o in obs if o.kind in ("edit", "write") and o.outcome != "attempted" for f in o.files], 50)
    read = _unique([f for o in obs if o.kind == "read" for f in o.files], 50)
    searches = _unique([fence.one_line(o.text, 120) for o in obs if o.kind == "search" and o.text], 8)
    fetches = _unique([fence.one_line(o.text or o.command, 120) for o in obs if o.kind == "fetch"], 5)

    # The replies: earlier turns as the Stop observations kept them (clipped), the last one whole.
    replies = [o.text for o in obs if o.kind == "stop" and o.text]
    final = inp.last_message or (replies[-1] if replies else "")
    if inp.last_message and replies and final.startswith(replies[-1].rstrip("…")):
        replies = replies[:-1]
    steps_said, final_rest = _open_steps(final)
    said: dict[str, list[str]] = {"dead_end": [], "decision": [], "learned": [], "other": []}
    for sentence in [s for r in replies for s in _sentences(r)]:
        said[_kind_of(sentence)].append(sentence)
    lead: list[str] = []
    for sentence in _sentences(final_rest):
        kind = _kind_of(sentence)
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
    dead_ends = [fence.one_line(s, 240) for s in said["dead_end"]]
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
    return _draft(
        title=title,
        request=fence.one_line(" / ".join(dict.fromkeys(prompts)), 600),
        investigated=_unique(investigated, 12),
        learned=_unique(learned, 8),
        completed=_unique(completed, 15),
        next_steps=_unique(next_steps, 10),
        dead_ends=_unique(dead_ends, 8),
        decisions=_decisions_from([*(s for p in prompts for s in _sentences(p)), *said["decision"]], modified, read),
        tags=(),
        summarizer=OFFLINE,
    )


# -- choosing a backend ------------------------------------------------------------------------


def backends_for(config: Config, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The backends to try in order; offline is always last and always works."""
    if config.summarizer == OFFLINE:
        return (OFFLINE,)
    if config.summarizer != "auto":
        return (config.summarizer, OFFLINE)
    order = []
    if environ.get("ANTHROPIC_API_KEY"):
        order.append(ANTHROPIC)
    if shutil.which("claude", path=environ.get("PATH")):
        order.append(CLAUDE)
    return (*order, OFFLINE)


def summarize_session(inp: SessionInput, config: Config, environ: Mapping[str, str] | None = None) -> Draft:
    """One summary: the first backend that works, else the offline summarizer with the reasons recorded."""
    env = os.environ if environ is None else environ
    reasons: list[str] = []
    spent = [0, 0]
    # The flush worker ends itself with SIGALRM; a summarizer must finish (and kill its child) before that.
    alarm = signal.getitimer(signal.ITIMER_REAL)[0]
    if alarm and alarm - ALARM_MARGIN_SECONDS < config.summarizer_timeout_seconds:
        config = replace(config, summarizer_timeout_seconds=max(int(alarm - ALARM_MARGIN_SECONDS), 1))
    deadline = time.monotonic() + config.summarizer_timeout_seconds
    for backend in backends_for(config, env):
        if backend == OFFLINE:
            break
        if alarm and alarm < ALARM_MARGIN_SECONDS + 1:
            reasons.append(f"{backend}: the flush worker's own deadline is too close")
            break
        try:
            return summarize_with_model(backend, inp, config, deadline, env)
        except SummarizeError as exc:
            logger.warning("%s summarizer failed for session %s: %s", backend, inp.session_id, exc.message)
            reasons.append(f"{backend}: {exc.message}")
            spent = [a + b for a, b in zip(spent, getattr(exc, "spent", (0, 0)))]
        except Exception as exc:  # noqa: BLE001 - a summarizer bug must never lose the session
            logger.exception("%s summarizer crashed for session %s", backend, inp.session_id)
            reasons.append(f"{backend}: unexpected {type(exc).__name__}: {exc}")
    draft = summarize_offline(inp)
    if not reasons:
        return draft
    return replace(draft, fallback_reason=fence.one_line("; ".join(reasons), 500), tokens_in=spent[0], tokens_out=spent[1])


# -- the model's input -------------------------------------------------------------------------


def _obs_line(o: Observation) -> str:
    files = ", ".join(o.files[:5]) + (f" (+{len(o.files) - 5} more)" if len(o.files) > 5 else "")
    if o.kind == "prompt":
        return f"user: {o.text}"
    if o.kind == "stop":
        return f"assistant: {o.text}" if o.text else ""
    if o.kind == "session":
        return "(context compacted)" if o.text == "compact" else ""
    if o.kind == "command":
        line = f"$ {o.command or o.text}"
        if o.outcome and o.outcome != "ok":
            line += f" -> {o.outcome}" + (f": {o.detail}" if o.detail else "")
        return line
    if o.kind == "todo":
        return f"todos: {o.detail.replace(chr(10), '; ')}" if o.detail else f"todos: {o.text}"
    line = " ".join(p for p in (o.tool or o.kind, files) if p) + (f": {o.text}" if o.text else "")
    if o.outcome not in ("", "ok"):
        line += f" -> {o.outcome}"
    if o.detail and (o.outcome not in ("", "ok") or o.kind in ("edit", "search")):
        line += f" [{o.detail}]"
    return line


def session_lines(observations: Sequence[Observation], last_message: str = "", limit: int = 400) -> list[str]:
    """One short line per meaningful observation; a run of identical lines is written once with a count."""
    out: list[str] = []
    counts: list[int] = []
    for o in observations:
        line = fence.one_line(_obs_line(o), limit)
        if not line:
            continue
        if out and out[-1] == line:
            counts[-1] += 1
            continue
        out.append(line)
        counts.append(1)
    lines = [f"{line} (x{n})" if n > 1 else line for line, n in zip(out, counts)]
    last = " ".join(last_message.split())
    if last and not any(last.startswith(line[len("assistant: "):].rstrip("…")) for line in lines[-3:]
                        if line.startswith("assistant: ")):
        lines.append(fence.one_line(f"assistant (final): {last}", max(limit, 2000)))
    return lines


def _neutralise(text: str) -> str:
    """Fence tags inside data can no longer close or open a fence."""
    return _FENCE_TAG.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


def _as_data(draft: Draft) -> dict[str, Any]:
    """A draft in the answer's own shape (what the model is asked to update), empty fields left out."""
    data: dict[str, Any] = {k: getattr(draft, k) for k in ("title", "request", *_LIST_LIMITS, "tags")}
    data["decisions"] = [{k: v for k, v in d.to_dict().items() if v} for d in draft.decisions]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items() if v}


def _previous_block(previous: Mapping[str, Any] | None, cap: int) -> str:
    """The summary so far as compact JSON, shortened (lists halved) until it fits ``cap``."""
    if not previous:
        return ""
    data = dict(previous)
    cap = max(cap - len("<previous_summary>\n\n</previous_summary>\n"), 50)
    for _ in range(8):
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if len(text) <= cap:
            break
        data = {k: (v[: len(v) // 2] if isinstance(v, list) else v) for k, v in data.items()}
    text = fence.one_line(text, cap)
    return f"<previous_summary>\n{_neutralise(text)}\n</previous_summary>\n"


def chunk_lines(lines: Sequence[str], budget: int) -> list[list[str]]:
    """Consecutive lines in parts of at most ``budget`` characters (a longer line is clipped)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for line in lines:
        line = fence.one_line(line, max(budget - 1, 20))
        if chunks[-1] and size + len(line) + 1 > budget:
            chunks.append([])
            size = 0
        chunks[-1].append(line)
        size += len(line) + 1
    return chunks


def build_user_prompt(previous: Mapping[str, Any] | None, lines: Sequence[str], part: str, max_chars: int) -> str:
    template = string.Template(read_template("summarize-user.md"))
    prev = _previous_block(previous, max_chars // 3)
    return template.safe_substitute(previous=prev, part=part, session=_neutralise("\n".join(lines)))


def _redact(text: str) -> str:
    try:
        from gitmem.redact import redact_text
        result = redact_text(text)
    except Exception as exc:  # noqa: BLE001 - fail closed, a missing module too: nothing unredacted leaves the machine
        raise SummarizeError(f"redaction failed ({type(exc).__name__}); nothing was sent") from None
    return result.text


# -- parsing the model's answer ------------------------------------------------------------------


def _text_of(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SummarizeError(f"the answer's `{field}` is {type(value).__name__}, not text")
    return fence.one_line(value, limit)


def _texts_of(value: Any, field: str, limit: int, item_limit: int = 300) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise SummarizeError(f"the answer's `{field}` is {type(value).__name__}, not a list")
    return _unique([_text_of(v, field, item_limit) for v in value if isinstance(v, (str, int, float))], limit)


def draft_from_answer(data: Any) -> Draft:
    """A Draft from a model's tool input / JSON answer; anything off-schema is a SummarizeError."""
    if not isinstance(data, dict):
        raise SummarizeError(f"the answer is {type(data).__name__}, not an object")
    title = _text_of(data.get("title"), "title", 100)
    if not title:
        raise SummarizeError("the answer has no title")
    raw = data.get("decisions") or []
    if not isinstance(raw, list):
        raise SummarizeError(f"the answer's `decisions` is {type(raw).__name__}, not a list")
    decisions: dict[str, DecisionNote] = {}
    for item in raw[:10]:
        if not isinstance(item, dict):
            raise SummarizeError("a decision in the answer is not an object")
        note = DecisionNote(title=_text_of(item.get("title"), "decisions.title", 120),
                            decision=_text_of(item.get("decision"), "decisions.decision", 600),
                            context=_text_of(item.get("context"), "decisions.context", 600),
                            rationale=_text_of(item.get("rationale"), "decisions.rationale", 600),
                            alternatives=_texts_of(item.get("alternatives"), "decisions.alternatives", 6),
                            files=tuple(f for f in _texts_of(item.get("files"), "decisions.files", 20)
                                        if "\x00" not in f))
        if note.title:
            decisions.setdefault(restatement.title_key(note.title), note)
    tags = _texts_of(data.get("tags"), "tags", 8, 40)
    return _draft(
        title=title,
        request=_text_of(data.get("request"), "request", 600),
        **{k: _texts_of(data.get(k), k, n) for k, n in _LIST_LIMITS.items()},
        decisions=tuple(decisions.values())[:8],
        tags=_unique([re.sub(r"[^a-z0-9._-]+", "-", t.lower()).strip("-") for t in tags], 8),
    )


# -- one summary through a model ------------------------------------------------------------------


def summarize_with_model(backend: str, inp: SessionInput, config: Config, deadline: float,
                         environ: Mapping[str, str]) -> Draft:
    """Summarize with ``backend`` (anthropic or claude): new observations in parts, each folded
    into the summary so far. Raises SummarizeError; the caller falls back."""
    prev = inp.previous
    base: Draft | None = None
    new = inp.observations
    if prev is not None and prev.summarizer in (ANTHROPIC, CLAUDE) and 0 < prev.observation_count <= len(new):
        base = _draft(title=prev.title, request=prev.request, investigated=prev.investigated, learned=prev.learned,
                     completed=prev.completed, next_steps=prev.next_steps, dead_ends=prev.dead_ends,
                     decisions=prev.decisions, tags=prev.tags)
        new = new[prev.observation_count:]
    lines = session_lines(new, inp.last_message)
    if not lines and base is not None:
        return replace(base, summarizer=backend, model=prev.model if prev else "")
    system = read_template("summarize-system.md").strip()
    overhead = len(string.Template(read_template("summarize-user.md")).safe_substitute(previous="", part="99 of 99",
                                                                                       session=""))
    max_chars = config.summarizer_max_input_chars
    so_far: dict[str, Any] | None = _as_data(base) if base is not None else None
    prev_len = len(_previous_block(so_far, max_chars // 3)) if so_far else 0
    lines = lines or ["(no new events)"]
    if overhead + prev_len + sum(len(line) + 1 for line in lines) <= max_chars:
        chunks = [list(lines)]
    else:  # later parts carry the summary so far (at most a third of the budget): leave room for it
        chunks = chunk_lines(lines, max(max_chars - overhead - max_chars // 3, 100))
    call = _call_anthropic if backend == ANTHROPIC else _call_claude
    tokens_in = tokens_out = 0
    model = ""
    draft: Draft | None = None
    so_far_draft = base
    with claude_cli.repository_lock(inp.state_dir, deadline) if backend == CLAUDE else contextlib.nullcontext():
        for i, chunk in enumerate(chunks, 1):
            try:
                user = _redact(build_user_prompt(so_far, chunk, f"{i} of {len(chunks)}", max_chars))
                answer = call(system, user, config, deadline, environ)
                tokens_in += answer.tokens_in
                tokens_out += answer.tokens_out
                model = answer.model or model
                draft = _keep_decisions(draft_from_answer(answer.data), so_far_draft)
            except SummarizeError as exc:  # what was paid for is recorded, even if unusable
                lost = getattr(exc, "spent", (0, 0))
                exc.spent = (tokens_in + lost[0], tokens_out + lost[1])
                raise
            so_far, so_far_draft = _as_data(draft), draft
    assert draft is not None
    return replace(draft, summarizer=backend, model=model or config.model, tokens_in=tokens_in,
                   tokens_out=tokens_out)


def _keep_decisions(draft: Draft, earlier: Draft | None) -> Draft:
    """A decision recorded earlier in the session stays recorded even if the model drops it."""
    if earlier is None:
        return draft
    known = {restatement.title_key(d.title) for d in draft.decisions}
    kept = tuple(d for d in earlier.decisions if restatement.title_key(d.title) not in known)
    return replace(draft, decisions=draft.decisions + kept) if kept else draft


# -- anthropic ----------------------------------------------------------------------------------------


def _retry_after(headers: Any) -> float | None:
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name)) / scale
        except (TypeError, ValueError, AttributeError):
            continue
        if value >= 0:
            return value
    return None


def _error_text(exc: Any) -> str:
    body = getattr(exc, "body", None)
    err = body.get("error") if isinstance(body, dict) else None
    if isinstance(err, dict):
        return fence.one_line(f"{err.get('type', 'error')}: {err.get('message', '')}", 200)
    return fence.one_line(getattr(exc, "message", "") or str(exc), 200)


def _call_anthropic(system: str, user: str, config: Config, deadline: float, env: Mapping[str, str]) -> _Answer:
    """One Messages API call with a forced tool; own retries (429, 5xx, connection) inside the deadline."""
    key = env.get("ANTHROPIC_API_KEY")
    if not key:
        raise SummarizeError("ANTHROPIC_API_KEY is not set")
    import anthropic  # 2.7 s to import: only here, in the worker

    # The SDK's own retries honour any Retry-After, however long; ours stop at the deadline.
    client = anthropic.Anthropic(api_key=key, base_url=env.get("ANTHROPIC_BASE_URL") or None, max_retries=0,
                                 timeout=max(deadline - time.monotonic(), 0.1))
    tool: anthropic.types.ToolParam = {"name": TOOL_NAME, "description": "Record the summary of the coding session.",
            "input_schema": SUMMARY_SCHEMA}
    attempt = 0
    with client:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0.05:
                raise SummarizeError(f"no answer within {config.summarizer_timeout_seconds}s")
            try:
                # The SDK's timeout is per read: a server trickling bytes never trips it. call_before gives the
                # call back at the deadline whatever the server does, and closes the client's connections.
                message = call_before(lambda: client.messages.create(
                    model=config.model, max_tokens=MAX_OUTPUT_TOKENS, system=system,
                    messages=[{"role": "user", "content": user}], tools=[tool],
                    tool_choice={"type": "tool", "name": TOOL_NAME}, timeout=remaining), deadline, client.close)
                break
            except (anthropic.APITimeoutError, DeadlinePassed):
                raise SummarizeError(f"no answer within {config.summarizer_timeout_seconds}s") from None
            except anthropic.APIStatusError as exc:
                status = exc.status_code
                what = f"HTTP {status} {_error_text(exc)}"
                if not (status in (408, 409, 429) or status >= 500) or attempt >= MAX_RETRIES:
                    raise SummarizeError(what + (f" (after {attempt + 1} attempts)" if attempt else "")) from None
                wait = _retry_after(exc.response.headers)
            except anthropic.APIConnectionError as exc:
                what = f"cannot reach the API ({fence.one_line(str(exc), 120)})"
                if attempt >= MAX_RETRIES:
                    raise SummarizeError(what) from None
                wait = None
            if wait is None:
                wait = min(0.5 * 2 ** attempt, 8.0) * (0.75 + 0.25 * random.random())
            if time.monotonic() + wait >= deadline:
                raise SummarizeError(f"{what}; a retry in {wait:.1f}s would pass the deadline")
            logger.info("summarizer: %s; retrying in %.1fs", what, wait)
            time.sleep(wait)
            attempt += 1
    usage = getattr(message, "usage", None)
    tokens_in = sum(getattr(usage, k, 0) or 0 for k in ("input_tokens", "cache_creation_input_tokens",
                                                          "cache_read_input_tokens"))
    tokens_out = getattr(usage, "output_tokens", 0) or 0
    for block in message.content or ():
        if isinstance(block, anthropic.types.ToolUseBlock) and block.name == TOOL_NAME:
            return _Answer(block.input, getattr(message, "model", "") or config.model, tokens_in, tokens_out)
    error = SummarizeError(f"the answer did not call {TOOL_NAME} (stop_reason {message.stop_reason})")
    error.spent = (tokens_in, tokens_out)
    raise error


# -- claude (the user's Claude Code login) --------------------------------------------------------------


def _call_claude(system: str, user: str, config: Config, deadline: float, env: Mapping[str, str]) -> _Answer:
    schema = json.dumps(SUMMARY_SCHEMA, separators=(",", ":"))
    prompt = system + string.Template(read_template("summarize-claude.md")).safe_substitute(schema=schema) + \
        "\n" + user
    result = claude_cli.run_claude(prompt, config.model, deadline, env, config.summarizer_timeout_seconds)
    if result.cost_usd is not None:
        logger.info("claude summarizer cost %s USD", result.cost_usd)
    return _Answer(result.data, result.model, result.tokens_in, result.tokens_out)
