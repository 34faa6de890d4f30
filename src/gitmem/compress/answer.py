"""A model's answer: the schema it is asked to fill, and the answer read back into a ``Draft``.

Model output is data like any other: it is checked against the schema (anything
off-schema is a SummarizeError, and the caller falls back), every text is
clipped, and a decision recorded earlier in the session is never dropped by a
later part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from gitmem import fence
from gitmem.compress import restatement
from gitmem.compress.draft import Draft, new_draft, unique
from gitmem.errors import SummarizeError
from gitmem.store.records import DecisionNote

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
LIST_LIMITS = {"investigated": 12, "learned": 10, "completed": 15, "next_steps": 10, "dead_ends": 10}


@dataclass(frozen=True, slots=True)
class Answer:
    """What a backend got back: the answer's data (not checked yet), the model that gave it, the tokens paid."""

    data: Any
    model: str
    tokens_in: int
    tokens_out: int


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
    return unique([_text_of(v, field, item_limit) for v in value if isinstance(v, (str, int, float))], limit)


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
    return new_draft(
        title=title,
        request=_text_of(data.get("request"), "request", 600),
        **{k: _texts_of(data.get(k), k, n) for k, n in LIST_LIMITS.items()},
        decisions=tuple(decisions.values())[:8],
        tags=unique([re.sub(r"[^a-z0-9._-]+", "-", t.lower()).strip("-") for t in tags], 8),
    )


def keep_decisions(draft: Draft, earlier: Draft | None) -> Draft:
    """A decision recorded earlier in the session stays recorded even if the model drops it."""
    if earlier is None:
        return draft
    known = {restatement.title_key(d.title) for d in draft.decisions}
    kept = tuple(d for d in earlier.decisions if restatement.title_key(d.title) not in known)
    return replace(draft, decisions=draft.decisions + kept) if kept else draft


def as_data(draft: Draft) -> dict[str, Any]:
    """A draft in the answer's own shape (what the model is asked to update), empty fields left out."""
    data: dict[str, Any] = {k: getattr(draft, k) for k in ("title", "request", *LIST_LIMITS, "tags")}
    data["decisions"] = [{k: v for k, v in d.to_dict().items() if v} for d in draft.decisions]
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items() if v}
