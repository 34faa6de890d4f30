"""The Gemini CLI's transcript read back at flush: the person's words and every whole reply of the model.

The CLI writes each session to ``~/.gemini/tmp/<project>/chats/session-<time>-<id>.jsonl``
(``transcript_path`` in every hook payload; a resumed session appends to the same file). Its AfterAgent
hook carries only a turn's last reply; the transcript has each reply, those before a tool call too.

Read with the Claude Code reader's machinery (capture/transcript.py ``read_turns``), so the same invariants
hold: only a regular file inside ``<GEMINI_CLI_HOME or ~>/.gemini/tmp`` is read, never through a symlink; the
same bounds; every text redacted as it is read; nothing raises on a bad file.

What is read, per record, as gemini-cli 0.61.0 writes them (tests/data/gemini-cli/transcript.jsonl):
- ``type: "user"``: the text parts of ``content`` the person wrote. A part that is context (the
  ``<session_context>`` the CLI sends first, a ``<hook_context>`` block a hook added: gitmem's brief or
  its recall lines) is left out; a prompt with a ``<hook_context>`` block in front keeps what follows it.
  Function responses are no one's words.
- ``type: "gemini"``: ``content``, the reply's text. The CLI writes a message again under the same ``id``
  when its tool calls finish: a message is taken once, the first time it has text.
- Header lines (``sessionId``, ``startTime``) and ``{"$set": ...}`` updates say nothing for the summary.
"""

from __future__ import annotations

from typing import Iterable

from gitmem.agents.gemini import transcript_folders
from gitmem.capture.payload_fields import as_str
from gitmem.capture.transcript import Found, Transcript, make_turn, read_turns
from gitmem.recall import HOOK_CONTEXT_OPEN, own_words

SESSION_CONTEXT = "<session_context>"
MAX_IDS = 100_000


def person_texts(content: object) -> list[str]:
    """The text parts of a user record's ``content`` that the person wrote."""
    if isinstance(content, str):
        content = [{"text": content}]
    texts = []
    for part in content if isinstance(content, list) else ():
        text = as_str(part.get("text")) if isinstance(part, dict) else ""
        if text.lstrip().startswith(SESSION_CONTEXT):
            continue
        text = own_words(text)
        if text.strip() and not text.startswith(HOOK_CONTEXT_OPEN):
            texts.append(text)
    return texts


class _Reader:
    """Reads one file's records in order; a message written again under its id is taken once."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, record: dict) -> Iterable[Found]:
        kind = record.get("type")
        if kind not in ("user", "gemini"):
            return ()
        mid = as_str(record.get("id"))[:200]
        if mid in self.seen:
            return ()
        if kind == "user":
            turn = make_turn("user", person_texts(record.get("content")), record.get("timestamp"))
        else:
            turn = make_turn("assistant", [as_str(record.get("content"))], record.get("timestamp"))
        if turn is not None and mid and len(self.seen) < MAX_IDS:
            self.seen.add(mid)  # only once it said something: a message is first written before its text
        return (turn,)


def read_gemini_transcript(path: str | None) -> Transcript:
    """The turns of a Gemini CLI transcript, bounded and redacted; nothing for any other path."""
    return read_turns(path, transcript_folders(), _Reader())
