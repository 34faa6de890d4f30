"""High-entropy tokens: strings no person wrote, judged by length, character classes, entropy, class
changes and pronounceable words; and what is left of a token that capture clipped ("ghp_abc…").
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import urllib.parse
from collections import Counter

from gitmem.redact.rules import _CLIPPED, _SECRET_PREFIX, _classes, marker

MAX_TOKEN_SAMPLE = 512  # entropy of a longer token is judged on its first characters

# -- high entropy ------------------------------------------------------------------------

_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
_HEXISH = re.compile(r"(?:0x)?[0-9a-fA-F]+(?:[-_][0-9a-fA-F]+)*")
_HEX_RUN = re.compile(r"(?<![A-Za-z0-9])(?:0x)?[0-9a-fA-F]{7,}(?![A-Za-z0-9])|"
                      r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WORDISH = re.compile(r"[A-Z]?[a-z]{3,}|(?<![A-Za-z0-9])[A-Z]{2,}(?![A-Za-z0-9])")
_CONSONANTS = re.compile(r"[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]{4}")
_CLASS_RUNS = re.compile(r"[A-Z]+|[a-z]+|[0-9]+|[^A-Za-z0-9]+")
_DIGEST_PREFIX = re.compile(r"sha(?:1|224|256|384|512)-")
_SSH_PUBLIC = re.compile(r"(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com) $")


def _wordiness(s: str) -> float:
    """Share of ``s`` in pronounceable words (a third vowels, no four consonants in a row) or in
    upper-case words standing alone. About 0.1 for random base64, 0.5-1 for identifiers and paths."""
    rest = _HEX_RUN.sub("", s)
    if not rest:
        return 1.0
    words = 0
    for w in _WORDISH.findall(rest):
        vowels = sum(c in "aeiouyAEIOUY" for c in w)
        if w.isupper() or (vowels * 3 >= len(w) and not _CONSONANTS.search(w)):
            words += len(w)
    return words / len(rest)


def looks_random(token: str, min_len: int = 32) -> bool:
    """A token no person wrote: long, letters and digits, high entropy, frequent changes of character
    class and few words. Measured on 38 MB of Python, Markdown and JSON (site-packages) and 10,000
    random base64 and base64url strings of 32-80 characters: it flags every random string and, of the
    real text, only base64-encoded prose (which ``_decodes_to_text`` then spares); identifiers, SHAs
    and UUIDs pass. Two classes (upper case or lower case, and digits: base32, ``NRAK-``-style keys)
    count when the token is long and changes class often."""
    t = token.strip("=…")
    if len(t) < min_len or _HEXISH.fullmatch(t) or _DIGEST_PREFIX.match(t):
        return False
    sample = t[:MAX_TOKEN_SAMPLE]
    upper, lower, digit = _classes(sample)
    if not digit or not (upper or lower):
        return False
    n = len(sample)
    entropy = -sum(c / n * math.log2(c / n) for c in Counter(sample).values())
    changes = (len(_CLASS_RUNS.findall(sample)) - 1) / (n - 1)
    if upper and lower:  # a short token must change class as often as random characters do (D3DCOLORtoUBYTE4)
        return (entropy >= min(4.0, math.log2(n) - 0.75) and changes >= (0.3 if n >= 32 else 0.45)
                and _wordiness(sample) < 0.5)
    return (n >= max(min_len, 20) and sample.isalnum() and entropy >= min(4.0, math.log2(n) - 0.9) and changes >= 0.22
            and _wordiness(sample) < 0.3 and sum(c.isdigit() for c in sample) >= 3)


def _decodes_to_text(token: str) -> bool:
    """Base64 of printable text (a test fixture, an encoded message), not key material."""
    t = token.strip()
    if len(t) < 16:
        return False
    try:
        raw = base64.b64decode(t + "=" * (-len(t) % 4), altchars=b"-_" if ("-" in t or "_" in t) else None,
                               validate=True)
    except (binascii.Error, ValueError):
        return False
    if not raw:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in raw)
    return printable == len(raw) and b" " in raw


_DATA_URI = re.compile(r"data:(?:image|font|audio|video)/[\w.+-]{1,40}(?:;[\w.=-]{1,40}){0,4};base64,$", re.IGNORECASE)
_ID_LIKE = re.compile(r"[a-z]{2,8}_[A-Za-z0-9]{10,40}")  # toolu_01D7..., msg_013Z..., cus_Pq3v...: ids, not keys


def _path_like(token: str, before: str) -> bool:
    """A URL or file path (``//host/x``, ``example.com/a/b``, ``src/app/models``), judged by segment."""
    if "/" not in token:
        return False
    return token.startswith("//") or before in (".", "~") or _wordiness(token) >= 0.5


def _value_position(text: str, start: int) -> bool:
    """Whether the token at ``start`` is the value of an assignment, flag or header (``=``, ``:``, ``-p``)."""
    before = text[max(0, start - 3):start].rstrip("\"'` \t")
    return before[-1:] in ("=", ":", ",", "|")


def _redact_entropy(text: str, found: list[str]) -> str:
    def replace(m: re.Match) -> str:
        token = m.group(0)
        before = text[max(0, m.start() - 4):m.start()]
        if before[-3:] == "h1:" and not before[:-3].isalnum():  # go.sum hashes
            return token
        if token.startswith("AAAA") and _SSH_PUBLIC.search(text, max(0, m.start() - 40), m.start()):
            return token  # a public key: not a secret
        if _DATA_URI.search(text, max(0, m.start() - 100), m.start()):
            return token  # an inline image or font
        short = len(token.rstrip("=")) < 32
        if short and (not _value_position(text, m.start()) or _ID_LIKE.fullmatch(token)):
            return token
        if _path_like(token, before[-1:]):  # judge the segments, keep the rest readable
            parts = token.split("/")
            hits = [looks_random(p) for p in parts]
            if not any(hits):
                return token
            found.append("high-entropy")
            return "/".join(marker("high-entropy") if hit else p for p, hit in zip(parts, hits))
        if looks_random(token, 16) and not _decodes_to_text(token):
            found.append("high-entropy")
            return marker("high-entropy")
        return token
    return _CANDIDATE.sub(replace, text)


_PERCENT_RUN = re.compile(r"(?<![A-Za-z0-9%._~+/=-])[A-Za-z0-9%._~+/=-]{16,4096}")
_PIECES = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def _redact_percent_encoded(text: str, found: list[str]) -> str:
    """A percent-encoded token (``abc%2Bdef%3D``) is judged decoded; it goes whole."""
    if "%" not in text:
        return text

    def replace(m: re.Match) -> str:
        token = m.group(0)
        if "%" not in token or "[REDACTED:" in token:
            return token
        decoded = urllib.parse.unquote_plus(token)
        if decoded == token:
            return token
        value = _value_position(text, m.start())
        for piece in _PIECES.findall(decoded):
            if looks_random(piece, 16 if value else 32) and not _decodes_to_text(piece):
                found.append("high-entropy")
                return marker("high-entropy")
        return token
    return _PERCENT_RUN.sub(replace, text)


def _redact_clipped(text: str, found: list[str]) -> str:
    if "…" not in text:
        return text

    def replace(m: re.Match) -> str:
        token = m.group(0)
        prefix = _SECRET_PREFIX.search(token) if text.startswith("…", m.end()) else None
        if prefix:
            found.append("clipped-secret")
            return token[:prefix.start()] + marker("clipped-secret")
        if looks_random(token, 16):
            found.append("high-entropy")
            return marker("high-entropy")
        return token
    return _CLIPPED.sub(replace, text)


