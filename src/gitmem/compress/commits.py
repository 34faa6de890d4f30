"""A commit message read back from the command that made it: ``git commit -m "..."``, several ``-m``, a heredoc.

The message's body often holds the reason for a change, so the whole message is
read, subject and body: quotes and backslash escapes as a shell reads them
(``-m "Revert \\"x\\""`` is ``Revert "x"``), ``\\n`` inside quotes as a line break
(a message written for a shell that does not expand it still means one), each
further ``-m`` a paragraph, and ``"$(cat <<'EOF' ... EOF)"`` as the text inside.
A command cut short (the capture keeps at most 500 characters) gives what it
still holds. The closing trailers (``Co-Authored-By: ...``) and Claude Code's
signature line say who wrote it, not what or why, and are left out. Pure text
work: no shell, no git.
"""

from __future__ import annotations

import re
import shlex

_COMMIT = re.compile(r"\bgit\s+(?:-[cC]\s+\S+\s+)*commit\b")
_HEREDOC = re.compile(r"^\$\(\s*cat\s+<<-?\s*(['\"]?)(?P<tag>\w+)\1\s*\n(?P<text>.*?)(?:\n\s*(?P=tag)\s*(?:\n\s*)?\)?\s*)?$",
                      re.DOTALL)
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "\n"})
# Git trailers ("Co-Authored-By: ...", "Signed-off-by: ...") close a message; they say who, not what or why.
_TRAILER = re.compile(r"^[A-Za-z][\w-]*:\s+\S.*$")
# The footer Claude Code adds to the commits it writes (its default attribution): format, not content.
_AGENT_SIGNATURE = re.compile(r"^\W*Generated with \[Claude Code\]\([^)]*\)\s*$")
_REVERT = re.compile(r'^Revert\s+"(?P<subject>.+)"$')


def _words(rest: str) -> list[str]:
    """The shell words of ``rest`` up to the end of the command, best effort when the text was cut."""
    lexer = shlex.shlex(rest, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    words: list[str] = []
    try:
        for word in lexer:
            if word in _SEPARATORS:
                break
            words.append(word)
    except ValueError:   # an unclosed quote: the command was cut; keep what the open quote holds
        words.append(lexer.token)
    return words


def _unheredoc(value: str) -> str:
    match = _HEREDOC.match(value.strip())
    return match.group("text") if match else value


def commit_message(command: str) -> str | None:
    """The message a ``git commit`` in ``command`` was given (paragraphs joined by a blank line), or None."""
    found = _COMMIT.search(command or "")
    if found is None:
        return None
    words = _words(command[found.end():])
    paragraphs: list[str] = []
    take = False
    for word in words:
        if take:
            paragraphs.append(word)
            take = False
        elif word in ("-m", "--message") or (re.fullmatch(r"-[a-zA-Z]*m", word) is not None):
            take = True
        elif word.startswith("--message="):
            paragraphs.append(word.split("=", 1)[1])
        elif re.fullmatch(r"-[a-zA-Z]*m.+", word) and not word.startswith("--"):
            paragraphs.append(word[word.index("m") + 1:])
    text = "\n\n".join(_unheredoc(p).replace("\\n", "\n").strip() for p in paragraphs)
    return _without_footer(text.strip()) or None


def _without_footer(message: str) -> str:
    """The message without its closing trailer block and the agent's signature line."""
    parts = re.split(r"\n\s*\n", message)
    while len(parts) > 1 and (all(_TRAILER.match(line.strip()) for line in parts[-1].strip().splitlines())
                              or _AGENT_SIGNATURE.match(parts[-1].strip())):
        parts.pop()
    return "\n\n".join(parts).strip()


def reverted_subject(subject: str) -> str | None:
    """What a ``Revert "X"`` commit takes back: X, or None for any other subject."""
    match = _REVERT.match(subject.strip())
    return match.group("subject") if match else None
