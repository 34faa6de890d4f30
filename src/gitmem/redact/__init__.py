"""Redaction: nothing secret leaves the machine in an observation.

Invariants:
- ``redact_text`` drops ``<private>...</private>`` spans (``[PRIVATE]``) and
  replaces every secret it recognises with ``[REDACTED:<kind>]``; it never
  raises, it is idempotent (``redact(redact(x)) == redact(x)``), and its work
  is linear in the input: every pattern is bounded or anchored so that no
  input makes the regex engine backtrack quadratically (4 MB of code take
  0.3 s; no hostile input tried costs more than about 1 us per character).
- Ordinary text survives: commit SHAs, UUIDs and other hex (hex is never
  "high entropy" here), paths, URLs without passwords, identifiers and
  prose are left as they are. The price: a hex-only secret is caught only
  next to a secret-looking name (``API_KEY=<hex>``, ``"token": "<hex>"``).
- ``is_sensitive_path`` names files whose contents are never recorded.

Detector choice. We use detect-secrets (Yelp) as a source of provider
patterns, not as the scanning engine. Measured on this project's machines
(detect-secrets 1.5.0, Python 3.11, CPU time): importing it costs 0.11-0.15 s
(its plugin base imports ``requests`` for verification); ``scan_line`` takes
0.56 ms per line (3,000 lines of this repository), about a second per 2,000
lines, where our ``redact_text`` takes 15 us; its plugins alone, without its
filters, take 60 us per line, 34 of them the KeywordDetector. It yields
secret values, not positions (``GitHubTokenDetector`` yields just ``ghp``);
ad hoc it reported 14,287 "secrets" in those 3,000 lines of code, nearly
every word a "high entropy string", and its hex entropy limit flags 40-hex
commit SHAs; two of its patterns (OpenAI, npm) backtrack quadratically
(4,000 characters of ``sk-sk-...`` take 0.26 s). So:

- our own patterns cover everything the design names and everything that needs
  a position, a partial keep or context: private spans, private key blocks,
  URL passwords (scheme, user and host kept), ``.env``/shell/YAML/JSON
  assignments, flags, ``Authorization``/``Bearer``/``Cookie`` headers, JWTs,
  the major providers, secrets clipped by capture ("ghp_abc…"), and
  high-entropy tokens (length, character classes, entropy, class changes and
  pronounceable words; see ``_looks_random``);
- the compiled ``denylist`` patterns of an allow-list of detect-secrets'
  regex plugins (checked to be linear-time) catch the long tail of providers
  (Twilio, SendGrid, Mailchimp, Square, Telegram, Discord, Azure storage,
  Artifactory, PyPI, Slack webhooks, more GitLab prefixes); a match is
  widened to its whole token, since several patterns stop short (Stripe's
  matches 24 of ~100 characters). They load lazily, once per process, so
  only the flush worker pays the import; if detect-secrets cannot be
  imported, redaction goes on with our patterns and logs a warning.

A 2,000-observation session (380 kB of text) redacts in 0.13 s, one with
every field at its cap (2.6 MB) in 0.65 s, plus about 0.15 s once for the imports.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass

from gitmem.records import Observation
from gitmem.redact import context
from gitmem.redact.context import redact_query_values, redact_url_queries
from gitmem.redact.entropy import _redact_clipped, _redact_entropy, _redact_percent_encoded
from gitmem.redact.paths import is_sensitive_path
from gitmem.redact.providers import DETECT_SECRETS_PLUGINS, _redact_providers, provider_patterns
from gitmem.redact.rules import (_ASSIGNMENTS, _CREDENTIAL_PLACES, _PROVIDERS, PRIVATE, _redact_assignments,
                                 apply_rules, marker)

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
    changes: dict[str, object] = {}
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


