"""detect-secrets' provider patterns, loaded lazily (only the flush worker pays the import)."""

from __future__ import annotations

import functools
import logging
import re
import string

from gitmem.redact.rules import _needle, marker

logger = logging.getLogger(__name__)

# -- detect-secrets' provider patterns ----------------------------------------------------

# Regex plugins whose patterns were checked to run in linear time and to stay quiet on ordinary text.
# Left out: keyword and entropy plugins (slow, noisy, flag SHAs), OpenAI and npm (quadratic backtracking),
# basic auth, JWT and private key (ours keep more context), public IPs (not secrets here), and the
# IBM/Cloudant/SoftLayer assignment patterns (our name = value rules cover them).
DETECT_SECRETS_PLUGINS = (
    "AWSKeyDetector", "ArtifactoryDetector", "AzureStorageKeyDetector", "DiscordBotTokenDetector",
    "GitHubTokenDetector", "GitLabTokenDetector", "MailchimpDetector", "PypiTokenDetector", "SendGridDetector",
    "SlackDetector", "SquareOAuthDetector", "StripeDetector", "TelegramBotTokenDetector", "TwilioKeyDetector",
)


@functools.lru_cache(maxsize=1)
def provider_patterns() -> tuple[tuple[str, re.Pattern, str], ...]:
    """(kind, pattern, needle) for the detect-secrets plugins above; empty if detect-secrets cannot be loaded."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        plugins: dict[str, type] = get_mapping_from_secret_type_to_class()
    except Exception as exc:  # pragma: no cover - detect-secrets is a declared dependency
        logger.warning("detect-secrets is unavailable (%s); redacting with gitmem's own patterns only", exc)
        return ()
    out: list[tuple[str, re.Pattern, str]] = []
    for secret_type, cls in sorted(plugins.items()):
        if cls.__name__ not in DETECT_SECRETS_PLUGINS:
            continue
        kind = re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-")
        kind = _KIND_ALIASES.get(kind, kind)
        try:
            out.extend((kind, p, _needle(p)) for p in cls().denylist if isinstance(p, re.Pattern))
        except Exception as exc:  # pragma: no cover - a plugin changed shape in a later version
            logger.warning("skipping detect-secrets plugin %s: %s", cls.__name__, exc)
    return tuple(out)


_KIND_ALIASES = {"aws-access-key": "aws-access-key-id", "stripe-access-key": "stripe-key"}  # same names as ours
_TOKEN_CHARS = string.ascii_letters + string.digits + "_+/=-"
_TOKEN_RUN = re.compile(r"[A-Za-z0-9_+/=-]*")


def _redact_providers(text: str, found: list[str]) -> str:
    spans: list[tuple[int, int, str]] = []
    for kind, pattern, needle in provider_patterns():
        if needle and needle not in text:
            continue
        for m in pattern.finditer(text):
            groups = [i for i in range(1, pattern.groups + 1) if m.start(i) >= 0]
            best = max(groups, key=lambda i: m.end(i) - m.start(i), default=0)
            start, end = m.span(best) if best and m.end(best) - m.start(best) >= 16 else m.span()
            piece = text[start:end]
            start += len(piece) - len(piece.lstrip(" \t\r\n\"':="))
            end -= len(piece) - len(piece.rstrip(" \t\r\n\"'"))
            if end > start:
                spans.append((start, end, kind))
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in sorted(spans):
        if start < pos or "[" in text[start:end]:  # inside the last one, or over a marker
            continue
        # Widen to the whole token: several patterns match only its first characters.
        start = pos + len(text[pos:start].rstrip(_TOKEN_CHARS))
        run = _TOKEN_RUN.match(text, end)  # always matches (``*``), perhaps empty
        end = max(end, run.end() if run else end)
        out += [text[pos:start], marker(kind)]
        found.append(kind)
        pos = end
    return "".join(out) + text[pos:]


