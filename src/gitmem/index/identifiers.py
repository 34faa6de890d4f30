"""Identifier words: ``chargeRetry``, ``ChargeRetryPolicy``, ``HTTPServer`` also searchable as their words.

The index's tokenizer (``unicode61``) already splits on ``_ - . /``, so ``charge_retry`` and ``charge-retry``
are the tokens ``charge retry``; it keeps a camel-case word whole (``chargeretrypolicy``). Rows add the words
of every camel-case identifier in their text to a column of their own (``split_text``), and a query word is
asked for both as written and as its words (``word_forms``), so the four spellings find one another.

Invariants:
- A split happens only where the case changes inside a run of letters (``aB``, or ``ABc`` before the ``B``);
  digits stay with the letters before them (``utf8Decoder`` -> ``utf8 decoder``). Scripts without case are
  never split, and words with no case change add nothing (the column stays empty for most rows).
- Pure functions of the text: the same text gives the same words at index time and at query time.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")                         # what unicode61 keeps together: letters and digits
_ASCII_CHANGE = re.compile(r"[a-z0-9][A-Z]|[A-Z][A-Z][a-z]")                 # a case change inside a word
_ASCII_CAMEL = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]*?(?:[a-z0-9][A-Z]|[A-Z][A-Z][a-z])[A-Za-z0-9]*")  # its word
MAX_WORDS = 400                                        # split words kept per record: a long body is not a list


def camel_parts(word: str) -> list[str]:
    """The lower-cased words of a camel-case word (``ChargeRetryPolicy`` -> charge, retry, policy); ``[]`` when
    the case never changes inside it (``charge``, ``CHARGE``, ``Charge``, ``кеш``)."""
    cuts = [0]
    for i in range(1, len(word)):
        a, b = word[i - 1], word[i]
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if (a.islower() or a.isdigit()) and b.isupper():           # chargeRetry, utf8Decoder
            cuts.append(i)
        elif a.isupper() and b.isupper() and nxt.islower():       # HTTPServer: cut before the S
            cuts.append(i)
    if len(cuts) == 1:
        return []
    cuts.append(len(word))
    return [word[i:j].lower() for i, j in zip(cuts, cuts[1:]) if j > i]


def split_text(*texts: str) -> str:
    """The words of every camel-case identifier in ``texts``, one identifier per line, each identifier once."""
    seen: dict[str, None] = {}
    count = 0
    for text in texts:
        # ASCII text (nearly all of it) is searched for case changes by regexes; other text word by word.
        if text.isascii():
            words = _ASCII_CAMEL.findall(text) if _ASCII_CHANGE.search(text) else []
        else:
            words = _WORD.findall(text) if text != text.lower() else []
        for word in words:
            parts = camel_parts(word)
            if parts:
                line = " ".join(parts)
                if line not in seen:
                    seen[line] = None
                    count += len(parts)
                    if count >= MAX_WORDS:
                        return "\n".join(seen)
    return "\n".join(seen)


def word_forms(word: str) -> list[list[str]]:
    """The token sequences a query word may be indexed as, as written first: ``chargeRetry`` ->
    [[chargeretry], [charge, retry]]; ``charge_retry`` -> [[charge, retry], [chargeretry]]; ``store.py`` ->
    [[store, py]] (only ``_`` and ``-`` join the words of one identifier)."""
    runs = _WORD.findall(word)
    written = [r.lower() for r in runs]
    forms = [written]
    split = [p for r in runs for p in (camel_parts(r) or [r.lower()])]
    if split != written:
        forms.append(split)
    if len(runs) > 1 and re.fullmatch(r"[^\W_]+(?:[_-]+[^\W_]+)+", word.strip("*")):
        forms.append(["".join(written)])
    return forms
