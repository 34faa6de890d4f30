"""Redaction: nothing secret leaves the machine in an observation, a summarizer request or a proposal.

Invariants:
- ``redact_text`` drops ``<private>...</private>`` spans (``[PRIVATE]``) and
  replaces every secret it recognises with ``[REDACTED:<kind>]``; it never
  raises, it is idempotent (``redact(redact(x)) == redact(x)``), and its work
  is linear in the input: every pattern is bounded or anchored, and every
  look around a candidate (a label's sentence, a command's segment) has a
  bounded window. Hostile repetitions of 1-2 MB take at most about 3 s
  (``benchmarks/bench_redact.py``).
- Ordinary text survives: commit SHAs, UUIDs and other hex, paths, URLs
  without credentials, inline images (``data:image/...;base64,``), base64 of
  text, version strings, identifiers and prose. A hex or UUID secret is
  caught where something says what it is: a known prefix (``dop_v1_``,
  ``shpss_``), a name (``API_KEY=``, ``X-Dd-Api-Key:``, ``- name: X`` /
  ``value:``, ``gh secret set X --body``), a label in prose, or a Twilio
  account SID in the same text.
- ``is_sensitive_path`` names files whose contents are never recorded.

Where things are (one concept a module):
- ``rules``: provider patterns, credentials in URLs and headers, ``name = value``
  settings (shell, .env, YAML, JSON, INI, TOML, code, flags, headers);
- ``context``: known token prefixes with any alphabet after them (a table in
  ``patterns``: 150 prefixes), webhook URLs, sensitive query parameters,
  password flags of command-line tools (``mysql -p``, ``sshpass -p``),
  ``.netrc`` and ``.pgpass`` lines, credential labels in prose in twenty-odd
  languages ("the db password is ...", "Passwort: ...", "密码是..."), a value
  right after a secret's name, keys split across adjacent string literals;
- ``entropy``: tokens no person wrote (length, character classes, entropy,
  class changes, pronounceable words), judged from 16 characters when they
  stand where a value goes (after ``=``, ``:``, ``,``, ``|``) and from 32
  anywhere; percent-encoded tokens are judged decoded;
- ``providers``: detect-secrets (Yelp) as a source of provider patterns, not as
  the engine: its ``scan_line`` costs 0.56 ms a line, yields values rather
  than positions, flags 40-hex SHAs, and two of its patterns backtrack
  quadratically; an allow-list of its linear regex plugins loads lazily, and
  if it cannot be imported redaction goes on with our patterns;
- ``patterns``: the data (prefixes, labels, flags, query names, vocabularies).

Measured with ``benchmarks/bench_redact.py`` on the corpus in
``tests/data/secrets`` (147 kinds of fake secret x 62 contexts, 8,988 cases,
through capture and through ``redact_text``): 0 leaked (the code this replaced
leaked 2,719 through capture and 2,750 through ``redact_text``); 0 of 147 benign strings changed; on 6 MB of
site-packages (169,409 lines) the same 11 lines change as before.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from typing import Any

from gitmem.redact import context
from gitmem.redact.context import redact_query_values, redact_url_queries
from gitmem.redact.entropy import _redact_clipped, _redact_entropy, _redact_percent_encoded
from gitmem.redact.paths import is_sensitive_path
from gitmem.redact.providers import DETECT_SECRETS_PLUGINS, _redact_providers, provider_patterns
from gitmem.redact.rules import (_ASSIGNMENTS, _CREDENTIAL_PLACES, _PROVIDERS, PRIVATE, _redact_assignments,
                                 apply_rules, marker)
from gitmem.store.records import Observation

__all__ = ["DETECT_SECRETS_PLUGINS", "PRIVATE", "Redacted", "drop_private", "is_sensitive_path", "marker",
           "provider_patterns", "redact_observation", "redact_query_values", "redact_text", "redact_url_queries"]

logger = logging.getLogger(__name__)

MAX_ROUNDS = 4          # passes until nothing changes (one, unless something was found)


@dataclass(frozen=True, slots=True)
class Redacted:
    """Redacted text and the kinds of secret found in it (sorted, unique)."""

    text: str
    kinds: tuple[str, ...]


# -- private spans -------------------------------------------------------------------

_PRIVATE_TAG = re.compile(r"<\s*(/?)\s*private\s*>", re.IGNORECASE)


def drop_private(text: str) -> str:
    """Replace each outermost ``<private>...</private>`` span by ``[PRIVATE]``; an unclosed one runs to the end."""
    if not isinstance(text, str) or "<" not in text:
        return text if isinstance(text, str) else ""
    out: list[str] = []
    depth, keep_from = 0, 0
    for m in _PRIVATE_TAG.finditer(text):
        if not m.group(1):
            if depth == 0:
                out.append(text[keep_from:m.start()])
            depth += 1
        elif depth:  # a stray closing tag outside any span is ordinary text
            depth -= 1
            if depth == 0:
                out.append(PRIVATE)
                keep_from = m.end()
    if depth:
        out.append(PRIVATE)
    else:
        out.append(text[keep_from:])
    return "".join(out)


# -- putting it together ------------------------------------------------------------------


def _detect(text: str, found: list[str]) -> str:
    text = apply_rules(_PROVIDERS, text, found)
    text = context.redact_in_context(text, found)
    text = _redact_providers(text, found)
    text = apply_rules(_CREDENTIAL_PLACES, text, found)
    text = _redact_assignments(text, found)
    text = context.redact_prose(text, found)
    text = _redact_clipped(text, found)
    text = _redact_percent_encoded(text, found)
    return _redact_entropy(text, found)


def _redact_once(text: str, found: list[str]) -> str:
    text = context.redact_split_literals(text, found, _detect)  # before anything sees half a key
    return _detect(text, found)


def redact_text(text: str) -> Redacted:
    """Drop private spans, then replace secrets with ``[REDACTED:<kind>]``."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text:
        return Redacted(text, ())
    found: list[str] = []
    clean = drop_private(text)
    if clean != text:
        found.append("private")
    for _ in range(MAX_ROUNDS):  # a marker can change what a later rule sees: repeat until stable
        before = clean
        clean = _redact_once(clean, found)
        if clean == before:
            break
    return Redacted(clean, tuple(sorted(set(found))))


def redact_observation(obs: Observation) -> tuple[Observation, tuple[str, ...]]:
    """``obs`` with every free-text field redacted (identifiers, kind and time are left alone)."""
    kinds: set[str] = set()
    changes: dict[str, Any] = {}    # field name -> redacted value (str, or tuple[str, ...] for files)
    for name in ("text", "command", "detail", "outcome"):
        result = redact_text(getattr(obs, name))
        kinds.update(result.kinds)
        if result.text != getattr(obs, name):
            changes[name] = result.text
    files = [redact_text(f) for f in obs.files]
    for result in files:
        kinds.update(result.kinds)
    if any(r.text != f for r, f in zip(files, obs.files)):
        changes["files"] = tuple(r.text for r in files)
    return (dataclasses.replace(obs, **changes) if changes else obs), tuple(sorted(kinds))


