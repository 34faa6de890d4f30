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
import functools
import logging
import math
import re
import string
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Optional

from gitmem.records import Observation

logger = logging.getLogger(__name__)

PRIVATE = "[PRIVATE]"
MAX_TOKEN_SAMPLE = 512  # entropy of a longer token is judged on its first characters
MAX_ROUNDS = 4          # passes until nothing changes (one, unless something was found)

_MARKER = re.compile(r"\[REDACTED:[a-z0-9-]{1,64}\]|\[PRIVATE\]")
_NOT_MARKER = r"(?!\[REDACTED:|\[PRIVATE\])"


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


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


# -- rules ------------------------------------------------------------------------------

Check = Callable[[re.Match], Optional[str]]


@dataclass(frozen=True, slots=True)
class _Rule:
    """``pattern``'s group ``s`` (or the whole match) is the secret; ``check`` may veto or name the kind."""

    kind: str
    pattern: re.Pattern
    check: Optional[Check] = None
    needles: tuple[str, ...] = ()  # the rule runs only on text holding one of them


try:
    from re import _parser as _sre_parse  # Python 3.11+
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse  # type: ignore[no-redef]


def _needle(pattern: re.Pattern) -> str:
    """The longest run of literal characters every match of ``pattern`` contains ("" if unknown).

    ``needle in text`` is a fast, sound test before running a pattern: most texts hold no ``k_live_``
    or ``-us`` at all, and a call costs far more than the test. Only the top-level sequence is read,
    where every item is required; anything unexpected (case-insensitive patterns, a parser change)
    just gives no needle.
    """
    if pattern.flags & re.IGNORECASE:
        return ""
    try:
        items = list(_sre_parse.parse(pattern.pattern, pattern.flags))
        literal = _sre_parse.LITERAL
    except Exception:  # pragma: no cover - private parser API moved
        return ""
    best = run = ""
    for op, arg in items:
        if op is literal:
            run += chr(arg)
        else:
            best, run = max(best, run, key=len), ""
    return max(best, run, key=len)


def _inside_marker(text: str, pos: int) -> bool:
    """Whether ``pos`` falls inside a well-formed ``[REDACTED:kind]`` (a stray "[REDACTED:" protects nothing)."""
    return any(m.start() < pos < m.end() for m in _MARKER.finditer(text, max(0, pos - 80), pos + 80))


def _apply(rule: _Rule, text: str, found: list[str]) -> str:
    for needle in rule.needles:
        if needle in text:
            break
    else:
        if rule.needles:
            return text

    def replace(m: re.Match) -> str:
        has_s = "s" in rule.pattern.groupindex and m.start("s") >= 0
        start, end = m.span("s") if has_s else m.span()
        kind = None if _inside_marker(text, start) else rule.check(m) if rule.check else rule.kind
        if not kind:
            return m.group(0)
        found.append(kind)
        whole = m.group(0)
        return whole[:start - m.start()] + marker(kind) + whole[end - m.start():]
    return rule.pattern.sub(replace, text)


_UPPER, _LOWER, _DIGIT = (re.compile(c).search for c in ("[A-Z]", "[a-z]", "[0-9]"))


def _classes(s: str) -> tuple[bool, bool, bool]:
    return bool(_UPPER(s)), bool(_LOWER(s)), bool(_DIGIT(s))


def _mixed(kind: str) -> Check:
    """Accept the match only if group ``t`` mixes upper case, lower case and digits (keys do; words do not)."""
    return lambda m: kind if all(_classes(m.group("t"))) else None


def _start(prefix: str, width: int, token: str = "A-Za-z0-9") -> str:
    """``prefix`` not preceded by a token character. The literal comes first and the check after it,
    so the regex engine can skip ahead to the literal: about 70 times faster than a leading look-behind."""
    return f"{prefix}(?<![{token}].{{{width}}})"


_TOK = r"[A-Za-z0-9_-]"
_END = r"(?![A-Za-z0-9_-])"
_PRIVATE_KEY_END = r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"

_PROVIDERS = (
    _Rule("private-key", re.compile(
        rf"-----BEGIN[A-Z0-9 ]{{0,40}}PRIVATE KEY(?: BLOCK)?-----(?:.*?{_PRIVATE_KEY_END}|.*)", re.DOTALL),
        needles=("PRIVATE KEY",)),
    _Rule("jwt", re.compile(rf"{_start('eyJ', 3, 'A-Za-z0-9_-')}{_TOK}{{8,}}\.eyJ{_TOK}{{8,}}\.{_TOK}*"), needles=(".eyJ",)),
    _Rule("aws-access-key-id", re.compile(
        rf"{_start('(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)', 4, 'A-Z0-9')}[A-Z0-9]{{16}}(?![A-Z0-9])"),
        needles=("A3T", "AKIA", "ASIA", "ABIA", "ACCA")),
    _Rule("aws-secret-key", re.compile(
        r"(?:aws|AWS|Aws)(?i:[a-z0-9_.-]{0,30}secret[a-z0-9_.-]{0,30})[\"']?\s{0,5}(?::=|=>|[:=])\s{0,5}[\"']?"
        r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"), needles=("aws", "AWS", "Aws")),
    _Rule("github-token", re.compile(
        rf"(?:{_start('gh[pousr]_', 4)}[A-Za-z0-9]{{30,}}|{_start('github_pat_', 11)}[A-Za-z0-9_]{{30,}}){_END}"),
        needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")),
    _Rule("anthropic-key", re.compile(rf"{_start('sk-ant-', 7)}{_TOK}{{20,}}"), needles=("sk-ant-",)),
    _Rule("openai-key", re.compile(rf"{_start('sk-', 3)}(?!ant-)(?P<t>{_TOK}{{20,}})"), _mixed("openai-key"),
          needles=("sk-",)),
    _Rule("slack-token", re.compile(rf"{_start('(?:xox[a-z]|xapp)', 4)}(?:\.xox[a-z])?-[A-Za-z0-9-]{{10,}}"),
          needles=("xox", "xapp-")),
    _Rule("stripe-key", re.compile(
        rf"(?:{_start('[sr]k_(?:live|test)_', 8)}[A-Za-z0-9]{{16,}}|{_start('whsec_', 6)}[A-Za-z0-9]{{24,}}){_END}"),
        needles=("k_live_", "k_test_", "whsec_")),
    _Rule("google-api-key", re.compile(rf"{_start('AIza', 4)}{_TOK}{{30,}}"), needles=("AIza",)),
    _Rule("gitlab-token", re.compile(rf"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-{_TOK}{{20,}}"), needles=("gl",)),
    _Rule("npm-token", re.compile(rf"{_start('npm_', 4)}[A-Za-z0-9]{{36,}}{_END}"), needles=("npm_",)),
    _Rule("pypi-token", re.compile(rf"pypi-AgE{_TOK}{{50,}}"), needles=("pypi-AgE",)),
    _Rule("huggingface-token", re.compile(rf"{_start('hf_', 3)}[A-Za-z0-9]{{30,}}{_END}"), needles=("hf_",)),
)

# A secret the capture step clipped ("ghp_abc…", "…xyz123") is too short for the rules above. (The
# body lines of a key block whose BEGIN line was clipped away are long base64: the entropy check takes them.)
_SECRET_PREFIX = re.compile(r"(?<![A-Za-z0-9])(?:gh[pousr]_|github_pat_|sk-|xox[a-z]|xapp-|[sr]k_(?:live|test)_|whsec_|AIza|gl[a-z]{2,5}-"
                            r"|npm_|pypi-|hf_|AKIA|ASIA|eyJ|SG\.)")
_CLIPPED = re.compile(r"[A-Za-z0-9+/=_.-]{8,}(?=…)|(?<=…)[A-Za-z0-9+/=_.-]{8,}")

# -- credentials in URLs and headers --------------------------------------------------


def _credential(kind: str, min_len: int = 1, digit: bool = False) -> Check:
    def check(m: re.Match) -> Optional[str]:
        value = m.group("s")
        if len(value) < min_len or _PLACEHOLDER.fullmatch(value) or (digit and not any(c.isdigit() for c in value)):
            return None
        return kind
    return check


_CRED = r"[A-Za-z0-9._~+/=-]"
_AUTHORIZATION = rf"{_start('(?:[Aa]uthorization|AUTHORIZATION)', 13)}[\"']?[ \t]{{0,5}}[:=][ \t]{{0,5}}[\"']?"
_PLACEHOLDER = re.compile(r"[.*xX•#:_ /-]*|<[^<>]*>|%[-#0-9.]*[sdrf]|%\([^)]*\)[sdrf]|\{[^{}]*\}")
_CREDENTIAL_PLACES = (
    _Rule("url-password", re.compile(rf"://[^\s:/?#@\[\]]{{0,256}}:{_NOT_MARKER}(?!\$)(?P<s>[^\s/?#@]{{1,256}})@"),
          _credential("url-password"), needles=("://",)),
    _Rule("password", re.compile(
        rf"-(?:-user|u)(?<![A-Za-z0-9-]-u)[ \t]+[\"']?[^\s:'\"\[]{{1,256}}:{_NOT_MARKER}(?!\$)(?P<s>[^\s'\"]{{1,256}})"),
        _credential("password"), needles=("-u ", "-u\t", "--user")),
    # Authorization: Bearer x, "authorization": "Basic x", then a bare header value, then "Bearer x" alone
    _Rule("authorization", re.compile(
        rf"{_AUTHORIZATION}(?i:bearer|basic|token|bot|digest|apikey)[ \t]{{1,5}}(?P<s>{_CRED}{{1,4096}})"),
        _credential("authorization"), needles=("uthorization", "UTHORIZATION")),
    _Rule("authorization", re.compile(rf"{_AUTHORIZATION}(?P<s>{_CRED}{{16,4096}})"),
          _credential("authorization", 16, digit=True), needles=("uthorization", "UTHORIZATION")),
    _Rule("authorization", re.compile(rf"{_start('(?:[Bb]earer|BEARER)', 6, 'A-Za-z')}[ \t]{{1,5}}(?P<s>{_CRED}{{16,4096}})"),
          _credential("authorization", 16, digit=True), needles=("earer", "EARER")),
    _Rule("secret", re.compile(
        rf"{_start('[Xx]-', 2, 'A-Za-z0-9-')}(?i:api-key|api-token|auth-token|access-token|token|secret)[ \t]{{0,5}}:"
        rf"[ \t]{{0,5}}(?P<s>{_CRED}{{8,4096}})"), _credential("secret", 8), needles=("x-", "X-")),
    _Rule("cookie", re.compile(rf"{_start('(?:[Cc]ookie|COOKIE)', 6, 'A-Za-z0-9_')}:[ \t]{{0,5}}(?P<s>[^\s'\";=]{{1,256}}=[^\r\n'\"]{{0,4095}})"),
          _credential("cookie", 8), needles=("ookie:", "OOKIE:")),
)

# -- name = value -------------------------------------------------------------------------

_PASSWORD_WORDS = {"password", "passwd", "passphrase", "passcode", "pwd"}
_SECRET_WORDS = {"secret", "token", "apikey", "credential", "credentials", "privatekey", "secretkey", "accesskey"}
_KEY_QUALIFIERS = {"api", "access", "secret", "private", "signing", "encryption", "master", "client", "app", "service",
                   "account", "deploy", "auth", "session", "webhook", "hmac", "jwt", "consumer", "shared", "storage",
                   "admin", "license", "subscription", "sas", "write", "ingest", "encrypt", "decrypt", "crypto"}
_HARMLESS_TAILS = {"type", "types", "count", "counts", "limit", "limits", "len", "length", "size", "id", "ids", "name",
                   "names", "file", "files", "path", "paths", "dir", "url", "uri", "endpoint", "host", "port", "user",
                   "username", "env", "var", "field", "header", "prefix", "suffix", "format", "policy", "min", "max",
                   "hint", "mode", "expiry", "expires", "expiration", "ttl", "timeout", "required", "enabled",
                   "disabled", "regex", "pattern", "label", "placeholder", "help", "description", "stdin", "budget",
                   "usage", "strength", "rules", "reset", "provider", "manager", "class", "kind", "source", "location",
                   "store", "helper", "command", "cmd", "version", "algorithm", "alg", "method", "scope", "scopes",
                   "audience", "issuer", "prompt", "flag", "option", "options", "check", "validator", "validation",
                   "index", "idx", "pos", "position", "start", "end", "list", "map", "cache", "func", "fn", "callback",
                   "handler", "mgr", "normalize", "markup", "nesting", "level", "info", "meta", "style", "color",
                   "headers", "button", "uris", "urls", "vars"}
_RECEIVERS = {"self", "cls", "this", "os", "settings", "config", "cfg", "conf", "env", "process", "ctx", "context",
              "request", "req", "args", "opts", "options", "app", "parent", "params", "props", "kwargs", "data",
              "creds", "credentials", "secrets", "st", "window", "document", "module", "exports", "vars", "inputs"}
_TYPE_WORDS = {"str", "bytes", "int", "float", "bool", "string", "number", "any", "Any", "Optional", "None", "null",
               "SecretStr", "list", "dict", "tuple", "Union", "true", "false", "True", "False", "none", "yes", "no",
               "undefined", "object", "Final", "ClassVar", "nil"}
_WORD_SPLIT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CODE_CHAIN = re.compile(r"([A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)+[,;]?")
_TEMPLATE = re.compile(r"\{[A-Za-z_][\w.]*\}|^\{\{|^\$|^%\(|^%[sd]$|^#[0-9a-fA-F]{3,8}$|^(?i:bearer|basic|token)$")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # "ANTHROPIC_API_KEY": a name, not a value
_CODE_WORDS = {"await", "not", "lambda", "yield", "new", "typeof", "if", "None", "null", "nil", "true", "false", "True",
               "False", "-", "+", "*", "/", "%", "==", "!=", "or", "and", "||", "&&", "?"}


def _key_kind(name: str, code: bool = False) -> Optional[str]:
    """``password`` or ``secret`` when a setting's name says its value is one, else None.

    ``code``: the name is assigned with spaces around ``=`` (Python, TOML, INI), where upper-case
    ``*_KEY`` names are mostly dictionary and cache keys, so only a qualified key (``API_KEY``) counts.
    """
    name = name.rsplit(".", 1)[-1].strip("-_")
    words = [w.lower() for w in _WORD_SPLIT.findall(name)]
    if not words or name.lower() in ("pwd", "oldpwd") or words[-1] in _HARMLESS_TAILS or "public" in words:
        return None
    if any(w in name.lower() for w in _PASSWORD_WORDS) or (words[-1] == "pass" and (name.isupper() or name == "pass")):
        return "password"  # PGPASSWORD, db_password, userPassword
    if name.lower() == "auth" or any(w.endswith(s) for w in words for s in _SECRET_WORDS):
        return "secret"  # GITHUBTOKEN, client_secret; not max_tokens
    for before, word in zip([""] + words, words):
        if word == "key" and (before in _KEY_QUALIFIERS or (not code and word is words[-1] and name.isupper() and before)):
            return "secret"
    return None


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def _looks_like_code(value: str, code: bool) -> bool:
    """An unquoted value that is an expression, not a secret: ``get_password()``, ``$TOKEN``, ``self.token``,
    ``Keyword.Pseudo``, ``x,``; in ``name = value`` code also ``Error``, ``await token`` and ``-1``."""
    bare = value.strip().rstrip(",;")
    if re.search(r"[(\[{$<>]", value) or value.rstrip().endswith(","):
        return True
    chain = _CODE_CHAIN.fullmatch(bare)
    if chain and (code or chain.group(1) in _RECEIVERS or any(p[:1].isupper() for p in bare.split("."))):
        return True
    if code and (re.fullmatch(r"[A-Za-z_]+|-?[0-9]{1,3}", bare) or bare.split()[0] in _CODE_WORDS):
        return True
    return False


def _assignment(unquoted: bool, yaml: bool = False, flag: bool = False) -> Check:
    def check(m: re.Match) -> Optional[str]:
        key, value = m.group("k"), m.group("s")
        sep = m.groupdict().get("sep") or ""
        before = m.string[max(0, m.start() - 2):m.start()].strip()
        code = (sep.strip() in ("=", ":=", "=>") and sep != sep.strip()) or (sep == "" and before in ("(", ","))
        kind = _key_kind(key, code)
        bare = value.strip().strip("\"'").rstrip(",;")
        if not kind or not bare or "[REDACTED:" in value or PRIVATE in value:
            return None
        if _PLACEHOLDER.fullmatch(bare) or _TEMPLATE.search(bare) or _ENV_NAME.fullmatch(bare):
            return None
        if _normal(key).endswith(_normal(bare)) or _normal(bare.split(".", 1)[0]) == _normal(key):  # token=token.x
            return None
        first = re.split(r"[\s|=\[]", bare, 1)[0]
        if first in _TYPE_WORDS or re.fullmatch(r"(?:[A-Z][a-z]+){2,}", first):  # token: str, auth: TokenAuth
            return None
        if (unquoted or (flag and value[:1] not in "'\"")) and _looks_like_code(value, code):
            return None
        if code and not unquoted and kind == "secret" and (len(bare) < 8 or " " in bare):  # DONE_TOKEN = "done."
            return None
        if yaml and len(value.split()) >= 3:  # "Password: must be 8 characters or more"
            return None
        if flag and not value.startswith(("'", '"')) and bare.isalpha() and bare.islower():  # "--password options"
            return None
        return kind
    return check


_KEY = r"(?P<k>[A-Za-z_][A-Za-z0-9_.-]{0,127})"
_KEY_THEN = rf"(?<![A-Za-z0-9_.-])(?P<q>\\?[\"']?){_KEY}(?P=q)(?P<sep>[ \t]{{0,8}}(?::=|=>|=|:)[ \t]{{0,8}})"
_ASSIGNMENTS = (
    # "password": "x", password = "x", api_key="x", \"token\": \"x\" (JSON inside JSON)
    _Rule("secret", re.compile(rf"{_KEY_THEN}\\?\"{_NOT_MARKER}(?P<s>(?:\\[^\"]|[^\"\\\n]){{1,1024}})\\?\""),
          _assignment(False), needles=('"',)),
    _Rule("secret", re.compile(rf"{_KEY_THEN}'{_NOT_MARKER}(?P<s>[^'\n]{{1,1024}})'"), _assignment(False),
          needles=("'",)),
    # .env, shell, properties, query strings: TOKEN=x, export DB_PASSWORD=x, --token=x, ?api_key=x
    _Rule("secret", re.compile(
        rf"(?<![^\s;&|(`'\"{{,?:-]){_KEY}=(?!=){_NOT_MARKER}(?P<s>[^\s'\"`;&|)]{{1,1024}})"), _assignment(True), needles=("=",)),
    # YAML, INI: a line `  password: x` or `secret = x` (a value ends before ` #`)
    _Rule("secret", re.compile(
        rf"^[ \t]{{0,64}}(?:-[ \t]{{1,8}})?{_KEY}(?P<sep>[ \t]{{0,8}}[:=][ \t]{{1,8}}){_NOT_MARKER}"
        rf"(?P<s>[^\s#'\"|>](?:\S|[ \t]+(?=[^\s#]))*)"), _assignment(True, yaml=True), needles=(":", "=")),
    # --password x, --api-token "x"
    _Rule("secret", re.compile(
        rf"(?<![A-Za-z0-9-])--(?P<k>[A-Za-z][A-Za-z0-9-]{{0,40}})[ \t]{{1,8}}{_NOT_MARKER}"
        rf"(?P<s>\"[^\"\n]{{1,1024}}\"|'[^'\n]{{1,1024}}'|[^\s'\"-][^\s'\"]{{0,1023}})"), _assignment(False, flag=True),
        needles=("--",)),
)
# Every name _key_kind accepts contains one of these; only lines holding one are searched.
_SECRET_WORD = re.compile(r"[Pp]ass(?:word|wd|phrase|code)|PASS|\bpass\b|[Pp]wd|PWD|[Ss]ecret|SECRET|[Tt]oken|TOKEN"
                          r"|[Kk]ey|KEY|[Cc]redential|CREDENTIAL|\b_?[Aa]uth\b|AUTH")


def _redact_assignments(text: str, found: list[str]) -> str:
    out, pos = [], 0
    for m in _SECRET_WORD.finditer(text):
        if m.start() < pos:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        line = text[start:end]
        for rule in _ASSIGNMENTS:
            line = _apply(rule, line, found)
        out += [text[pos:start], line]
        pos = end
    return "".join(out) + text[pos:] if out else text


# -- high entropy ------------------------------------------------------------------------

_CANDIDATE = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])")
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


def _looks_random(token: str, min_len: int = 32) -> bool:
    """A base64-ish token no person wrote: long, upper and lower case and digits, high entropy,
    frequent changes of character class and few words. Measured on 38 MB of Python, Markdown and JSON
    (site-packages) and 10,000 random base64 and base64url strings of 32-80 characters: it flags every
    random string and, of the real text, only base64-encoded prose; identifiers, SHAs and UUIDs pass."""
    t = token.strip("=…")
    if len(t) < min_len or _HEXISH.fullmatch(t) or _DIGEST_PREFIX.match(t):
        return False
    sample = t[:MAX_TOKEN_SAMPLE]
    if not all(_classes(sample)):
        return False
    n = len(sample)
    entropy = -sum(c / n * math.log2(c / n) for c in Counter(sample).values())
    changes = (len(_CLASS_RUNS.findall(sample)) - 1) / (n - 1)
    return entropy >= min(4.0, math.log2(n) - 0.75) and changes >= 0.3 and _wordiness(sample) < 0.5


def _path_like(token: str, before: str) -> bool:
    """A URL or file path (``//host/x``, ``example.com/a/b``, ``src/app/models``), judged by segment."""
    if "/" not in token:
        return False
    return token.startswith("//") or before in (".", "~") or _wordiness(token) >= 0.5


def _redact_entropy(text: str, found: list[str]) -> str:
    def replace(m: re.Match) -> str:
        token = m.group(0)
        before = text[max(0, m.start() - 4):m.start()]
        if before[-3:] == "h1:" and not before[:-3].isalnum():  # go.sum hashes
            return token
        if token.startswith("AAAA") and _SSH_PUBLIC.search(text, max(0, m.start() - 40), m.start()):
            return token  # a public key: not a secret
        if _path_like(token, before[-1:]):  # judge the segments, keep the rest readable
            parts = token.split("/")
            hits = [_looks_random(p) for p in parts]
            if not any(hits):
                return token
            found.append("high-entropy")
            return "/".join(marker("high-entropy") if hit else p for p, hit in zip(parts, hits))
        if _looks_random(token):
            found.append("high-entropy")
            return marker("high-entropy")
        return token
    return _CANDIDATE.sub(replace, text)


def _redact_clipped(text: str, found: list[str]) -> str:
    if "…" not in text:
        return text

    def replace(m: re.Match) -> str:
        token = m.group(0)
        prefix = _SECRET_PREFIX.search(token) if text.startswith("…", m.end()) else None
        if prefix:
            found.append("clipped-secret")
            return token[:prefix.start()] + marker("clipped-secret")
        if _looks_random(token, 16):
            found.append("high-entropy")
            return marker("high-entropy")
        return token
    return _CLIPPED.sub(replace, text)


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
        plugins = get_mapping_from_secret_type_to_class()
    except Exception as exc:  # pragma: no cover - detect-secrets is a declared dependency
        logger.warning("detect-secrets is unavailable (%s); redacting with gitmem's own patterns only", exc)
        return ()
    out = []
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
        end = max(end, _TOKEN_RUN.match(text, end).end())
        out += [text[pos:start], marker(kind)]
        found.append(kind)
        pos = end
    return "".join(out) + text[pos:]


# -- putting it together ------------------------------------------------------------------


def _redact_once(text: str, found: list[str]) -> str:
    for rule in _PROVIDERS:
        text = _apply(rule, text, found)
    text = _redact_providers(text, found)
    for rule in _CREDENTIAL_PLACES:
        text = _apply(rule, text, found)
    text = _redact_assignments(text, found)
    text = _redact_clipped(text, found)
    return _redact_entropy(text, found)


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


# -- files never to record -------------------------------------------------------------------

_SENSITIVE_NAMES = {".env", ".envrc", ".npmrc", ".pypirc", ".netrc", "_netrc", ".git-credentials", ".pgpass",
                    ".htpasswd", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
_SENSITIVE_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".keystore", ".jks", ".env")
_TEMPLATE_SUFFIXES = ("example", "sample", "template")
_SECRETS_YAML = re.compile(r"secrets\.ya?ml")
_IN_FOLDER = {(".aws", "credentials"), (".kube", "config"), (".docker", "config.json")}


def is_sensitive_path(path: str) -> bool:
    """True for files whose contents must never be recorded: .env files, keys, credential stores."""
    if not isinstance(path, str) or not path:
        return False
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if not parts:
        return False
    name = parts[-1].lower()
    parent = parts[-2].lower() if len(parts) > 1 else ""
    if name.startswith(".env."):
        return name.rsplit(".", 1)[-1] not in _TEMPLATE_SUFFIXES
    return (name in _SENSITIVE_NAMES or name.endswith(_SENSITIVE_SUFFIXES) or bool(_SECRETS_YAML.fullmatch(name))
            or (parent, name) in _IN_FOLDER)
