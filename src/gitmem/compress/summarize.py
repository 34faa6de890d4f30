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

The backends live in their own modules: ``offline`` (the extractive summarizer),
``anthropic_api`` (the only importer of anthropic, inside the function that uses
it) and ``claude_cli``; ``answer`` reads a model's answer back into a Draft.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import signal
import string
import time
from dataclasses import replace
from typing import Any, Mapping, Sequence

from gitmem import fence
from gitmem.capture.transcript import Turn
from gitmem.compress import claude_cli
from gitmem.compress.answer import SUMMARY_SCHEMA, Answer, as_data, draft_from_answer, keep_decisions
from gitmem.compress.anthropic_api import call_anthropic
from gitmem.compress.draft import Draft, SessionInput, content_of
from gitmem.compress.offline import OFFLINE, summarize_offline
from gitmem.compress.turn_budget import fit_turns, turn_budget
from gitmem.config import Config, read_template
from gitmem.errors import SummarizeError
from gitmem.store.records import Observation

logger = logging.getLogger(__name__)

ANTHROPIC, CLAUDE = "anthropic", "claude"
ALARM_MARGIN_SECONDS = 10

_FENCE_TAG = re.compile(r"<(\s*/?\s*)(session_data|previous_summary)", re.IGNORECASE)


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
    if o.detail and (o.outcome not in ("", "ok") or o.kind in ("edit", "write", "search")):
        line += f" [{o.detail}]"
    return line


def session_lines(observations: Sequence[Observation], last_message: str = "", limit: int = 400,
                  turns: Sequence[Turn] = (), raw_bytes: int = 0) -> list[str]:
    """One short line per meaningful observation; a run of identical lines is written once with a count.

    With the transcript's ``turns``, the user's words and the assistant's replies come from them, whole when
    they fit ``turn_budget`` (a share of the raw transcript's ``raw_bytes``), in place of the hooks' clipped
    copies, each placed among the tool calls by its time."""
    timed: list[tuple[str, str]] = []
    replaced = 0
    for o in observations:
        if turns and o.kind in ("prompt", "stop"):
            replaced += len(o.text) + 11
            continue
        timed.append((o.ts, fence.one_line(_obs_line(o), limit)))
    if turns:
        replaced += len(last_message) + 19
        at = ""
        for turn, text in fit_turns(turns, turn_budget(raw_bytes, replaced)):
            at = turn.ts or at
            timed.append((at, f"{turn.role}: {text}"))
        timed.sort(key=lambda pair: pair[0])  # stable: same-time lines keep their order
    out: list[str] = []
    counts: list[int] = []
    for _, line in timed:
        if not line:
            continue
        if out and out[-1] == line:
            counts[-1] += 1
            continue
        out.append(line)
        counts.append(1)
    lines = [f"{line} (x{n})" if n > 1 else line for line, n in zip(out, counts)]
    last = " ".join(last_message.split())
    if last and not turns and not any(last.startswith(line[len("assistant: "):].rstrip("…")) for line in lines[-3:]
                                      if line.startswith("assistant: ")):
        lines.append(fence.one_line(f"assistant (final): {last}", max(limit, 2000)))
    return lines


def _neutralise(text: str) -> str:
    """Fence tags inside data can no longer close or open a fence."""
    return _FENCE_TAG.sub(lambda m: "‹" + m.group(1) + m.group(2), text)


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


# -- one summary through a model ------------------------------------------------------------------


def summarize_with_model(backend: str, inp: SessionInput, config: Config, deadline: float,
                         environ: Mapping[str, str]) -> Draft:
    """Summarize with ``backend`` (anthropic or claude): new observations in parts, each folded
    into the summary so far. Raises SummarizeError; the caller falls back."""
    prev = inp.previous
    base: Draft | None = None
    new = inp.observations
    if prev is not None and prev.summarizer in (ANTHROPIC, CLAUDE) and 0 < prev.observation_count <= len(new):
        base = content_of(prev)
        new = new[prev.observation_count:]
    turns = inp.transcript
    if base is not None and prev is not None:  # only what was said since the summary so far
        turns = tuple(t for t in turns if t.ts and t.ts > prev.ended_at)
    lines = session_lines(new, inp.last_message, turns=turns, raw_bytes=inp.transcript_bytes)
    if not lines and base is not None:
        return replace(base, summarizer=backend, model=prev.model if prev else "")
    system = read_template("summarize-system.md").strip()
    overhead = len(string.Template(read_template("summarize-user.md")).safe_substitute(previous="", part="99 of 99",
                                                                                       session=""))
    max_chars = config.summarizer_max_input_chars
    so_far: dict[str, Any] | None = as_data(base) if base is not None else None
    prev_len = len(_previous_block(so_far, max_chars // 3)) if so_far else 0
    lines = lines or ["(no new events)"]
    if overhead + prev_len + sum(len(line) + 1 for line in lines) <= max_chars:
        chunks = [list(lines)]
    else:  # later parts carry the summary so far (at most a third of the budget): leave room for it
        chunks = chunk_lines(lines, max(max_chars - overhead - max_chars // 3, 100))
    call = call_anthropic if backend == ANTHROPIC else _call_claude
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
                draft = keep_decisions(draft_from_answer(answer.data), so_far_draft)
            except SummarizeError as exc:  # what was paid for is recorded, even if unusable
                lost = getattr(exc, "spent", (0, 0))
                exc.spent = (tokens_in + lost[0], tokens_out + lost[1])
                raise
            so_far, so_far_draft = as_data(draft), draft
    assert draft is not None
    return replace(draft, summarizer=backend, model=model or config.model, tokens_in=tokens_in,
                   tokens_out=tokens_out)


# -- claude (the user's Claude Code login) --------------------------------------------------------------


def _call_claude(system: str, user: str, config: Config, deadline: float, env: Mapping[str, str]) -> Answer:
    schema = json.dumps(SUMMARY_SCHEMA, separators=(",", ":"))
    prompt = system + string.Template(read_template("summarize-claude.md")).safe_substitute(schema=schema) + \
        "\n" + user
    result = claude_cli.run_claude(prompt, config.model, deadline, env, config.summarizer_timeout_seconds)
    if result.cost_usd is not None:
        logger.info("claude summarizer cost %s USD", result.cost_usd)
    return Answer(result.data, result.model, result.tokens_in, result.tokens_out)
