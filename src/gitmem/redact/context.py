"""Secrets recognised by what surrounds them or by how they begin: known token prefixes with any
alphabet after them, webhook URLs, sensitive query parameters, password flags of command-line tools,
``.netrc`` entries, labels in prose ("the db password is ...", "Passwort: ...", "密码是..."), a key split
across adjacent string literals, and a Twilio auth token next to its account SID.

Every scan is linear: a bounded regex finds candidates (a token, a label, a literal), and Python looks at
a bounded window around each.
"""

from __future__ import annotations

import bisect
import re
import urllib.parse
from typing import Callable, Optional

from gitmem.redact import patterns
from gitmem.redact.entropy import looks_random
from gitmem.redact.rules import (_ENV_NAME, _NOT_MARKER, _PLACEHOLDER, _SECRET_WORD, _apply, _assignment, _credential,
                                 _inside_marker, _key_kind, _looks_like_code, _needle, _normal, _Rule, apply_rules,
                                 has_secret_word, marker)

Finder = Callable[[str, list[str]], str]

# -- known prefixes ---------------------------------------------------------------------------

_SCAN = re.compile(r"(?<![A-Za-z0-9_.%-])[A-Za-z0-9_.%-]{10,}")
_BODY = {"A": "[A-Za-z0-9]", "w": "[A-Za-z0-9_-]", "b": "[A-Za-z0-9+/]", "s": "[a-z0-9]", "U": "[A-Z0-9]",
         "h": "[0-9a-fA-F-]"}
_ENTRIES: dict[str, list[tuple[str, str, re.Pattern, int, str]]] = {}
for _kind, _prefixes, _body in patterns.TOKEN_PREFIXES:
    for _p in _prefixes:
        _ENTRIES.setdefault(_p[:2], []).append((_p, _kind, re.compile(_BODY[_body[0]] + "+"), int(_body[1:]), _body[0]))
for _list in _ENTRIES.values():
    _list.sort(key=lambda e: -len(e[0]))
_LETTER, _DIGIT = re.compile("[A-Za-z]").search, re.compile("[0-9]").search
_HEX_DIGITS = re.compile("[0-9a-fA-F]+")


def _prefixed_kind(token: str) -> Optional[str]:
    """The kind of a token that starts with a known prefix and goes on like key material, else None."""
    for prefix, kind, body, need, cls in _ENTRIES.get(token[:2], ()):
        if not token.startswith(prefix):
            continue
        m = body.match(token, len(prefix))
        run = m.group(0) if m else ""
        count = len(run) - run.count("-") if cls == "h" else len(run)
        if prefix.isdigit() and _HEX_DIGITS.fullmatch(run):  # "00" + a SHA-256 is a digest, not an Okta token
            continue
        if count >= need and _DIGIT(run) and (cls in "hsU" or _LETTER(run)):
            return kind
    return None


def _redact_prefixed(text: str, found: list[str]) -> str:
    def replace(m: re.Match) -> str:
        token = m.group(0).rstrip(".")
        kind = _prefixed_kind(token)
        if kind is None and "%" in token:
            kind = _prefixed_kind(urllib.parse.unquote(token))
        if kind is None:
            return m.group(0)
        found.append(kind)
        return marker(kind) + m.group(0)[len(token):]
    return _SCAN.sub(replace, text)


def _shape_rules() -> tuple[_Rule, ...]:
    rules = []
    for kind, pattern in patterns.TOKEN_SHAPES:
        compiled = re.compile(pattern)
        needle = _needle(compiled)
        rules.append(_Rule(kind, compiled, needles=(needle,) if needle else ()))
    for kind, host, needle in patterns.WEBHOOKS:
        rules.append(_Rule(kind, re.compile(rf"(?:{host})(?P<s>[A-Za-z0-9_@/.~-]{{8,2048}})"), needles=(needle,)))
    return tuple(rules)


_SHAPES = _shape_rules()

# -- URL query strings ------------------------------------------------------------------------

_QUERY = re.compile(r"(?<=[?&])(?P<k>[A-Za-z0-9_.\-\[\]]{1,64})=(?P<s>[^&#\s'\"<>`]{1,4096})")


def _query_kind(m: re.Match) -> Optional[str]:
    name, value = m.group("k"), m.group("s")
    if "[REDACTED:" in value or "[PRIVATE]" in value:
        return None
    decoded = urllib.parse.unquote_plus(value)
    if _PLACEHOLDER.fullmatch(decoded) or decoded.startswith(("$", "{{", "<")):
        return None
    norm = _normal(name.replace("[", "").replace("]", ""))
    named = _key_kind(name)
    if named or norm in patterns.SECRET_QUERY_PARAMS:
        return named or "url-secret"
    if len(decoded) < 16:
        return None
    pieces = re.split(r"[^A-Za-z0-9+/=_-]", decoded)
    if _prefixed_kind(decoded) or any(looks_random(p, 16) for p in pieces if len(p) >= 16):
        return "url-secret"
    if decoded != value and any(rule.pattern.search(decoded) for rule in _SHAPES):
        return "url-secret"
    return None


_QUERY_RULE = _Rule("url-secret", _QUERY, _query_kind, needles=("=",))


def redact_query_values(url: str) -> str:
    """``url`` with the value of every query parameter (and ``#k=v`` fragment) replaced by a marker.

    Used where a URL was fetched: its query string is not worth the risk of a credential whose
    parameter name nobody could have guessed.
    """
    base, sep, query = url.partition("?")
    if not sep:
        base, sep, query = url.partition("#")
        if not sep or "=" not in query:
            return url
    out = []
    for part in re.split(r"([&#;])", query):
        name, eq, value = part.partition("=")
        out.append(f"{name}={marker('query')}" if eq and value and not value.startswith("[REDACTED:") else part)
    return base + sep + "".join(out)


_URL = re.compile(r"(?i)\b(?:https?|wss?|ftp)://[^\s'\"<>`]{1,4096}")


def redact_url_queries(text: str) -> str:
    """``text`` with the query values of every http(s) URL in it replaced (see ``redact_query_values``)."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_query_values(m.group(0)), text)


# -- name/value pairs ------------------------------------------------------------------------
# Kubernetes env lists, GitHub Actions inputs, Terraform: `- name: API_TOKEN` then `value: "x"`.
_NAME_VALUE = _Rule("secret", re.compile(
    r"(?<![A-Za-z0-9_])[\"']?(?:name|key|Name|Key)[\"']?[ \t]{0,4}[:=][ \t]{0,4}(?P<q>[\"']?)"
    r"(?P<k>[A-Za-z_][A-Za-z0-9_.-]{0,127})(?P=q)[ \t]{0,4},?[ \t]{0,4}\n?[ \t]{0,64}"
    r"[\"']?(?:value|Value)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?" + _NOT_MARKER + r"(?P<s>[^\"'\s,}]{1,1024})"),
    _assignment(False), needles=("alue",))

# -- a value right after a secret's name, without = or : ---------------------------------------
# `aws configure set aws_secret_access_key X`, `gh secret set API_TOKEN --body X`, `<apiToken>X</apiToken>`,
# `| DB_PASSWORD | X |`, `ALTER USER app PASSWORD 'X'`: the value must look like a credential on its own.
# The value is in a look-ahead, so a name that is vetoed never hides the next one ("set API_TOKEN x").
_ADJACENT = re.compile(
    r"(?<![A-Za-z0-9_.-])(?P<k>[A-Za-z_][A-Za-z0-9_.-]{2,127})"
    r"(?=[\"'>]?[ \t]{0,4}(?:\|[ \t]{0,4}|--[a-z][a-z-]{0,19}[ \t]{1,4})?"
    r"[\"'<]?" + _NOT_MARKER + r"(?P<s>[^\s\"'<>|,;`()]{8,1024}))")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+|[A-Z][a-zA-Z]+[0-9]*")


def _adjacent_kind(m: re.Match) -> Optional[str]:
    kind = _key_kind(m.group("k"))
    value = m.group("s").rstrip(".,:;!?)")
    if not kind or m.start("s") == m.end("k") or _ENV_NAME.fullmatch(value):
        return None
    if _KEYLIKE.fullmatch(value) or looks_random(value, 16) or _prefixed_kind(value):
        return kind
    if "/" in value or _normal(value).startswith(_normal(m.group("k"))[:6]):
        return None
    if _IDENTIFIER.fullmatch(value) and not (kind == "password" and "_" not in value and _DIGIT(value)):
        return None  # a name (oauth2_client, readOnly), except a password like glacier6-pixel-16
    return kind if credential_like(value, 8) else None




_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")


def _names(text: str):
    """Matches of ``_ADJACENT`` at the names that hold a secret word (few), not at every word of the text."""
    end = 0
    if not has_secret_word(text):
        return
    for w in _SECRET_WORD.finditer(text):
        if w.start() < end:
            continue  # the same name again
        start, end = w.start(), w.end()
        while start > 0 and text[start - 1] in _NAME_CHARS:
            start -= 1
        while end < len(text) and text[end] in _NAME_CHARS:
            end += 1
        while start < end and not (text[start].isascii() and (text[start].isalpha() or text[start] == "_")):
            start += 1
        m = _ADJACENT.match(text, start)
        if m:
            yield m


def _redact_adjacent(text: str, found: list[str]) -> str:
    out, pos = [], 0
    for m in _names(text):
        if m.start("s") < pos or _inside_marker(text, m.start("s")):
            continue
        kind = _adjacent_kind(m)
        if kind:
            value = m.group("s").rstrip(".,:;!?)")
            out += [text[pos:m.start("s")], marker(kind)]
            found.append(kind)
            pos = m.start("s") + len(value)
    return "".join(out) + text[pos:] if out else text

_PGPASS = _Rule("password", re.compile(  # .pgpass: host:port:database:user:password
    r"(?m)^[^:\s]{1,253}:(?:[0-9]{1,5}|\*):[^:\s]{1,128}:[^:\s]{1,128}:(?P<s>\S{1,1024})$"),
    _credential("password"), needles=(":",))

# -- command lines ----------------------------------------------------------------------------

_PROGRAMS: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _programs, _flags, _form in patterns.PASSWORD_FLAGS:
    for _prog in _programs:
        _PROGRAMS.setdefault(_prog, []).append((_flags, _form))
_PROGRAM = re.compile(r"(?<![\w./-])(" + "|".join(sorted(map(re.escape, _PROGRAMS), key=len, reverse=True))
                      + r")(?![\w-])")
_SEGMENT_END = re.compile(r"[\n|;&]|$")
_ARG = r"(?P<s>\"[^\"\n]{1,512}\"|'[^'\n]{1,512}'|[^\s'\"][^\s'\";|&]{0,511})"


def _secret_argument(value: str) -> bool:
    bare = value.strip("\"'")
    return bool(bare) and not (bare.startswith(("$", "[REDACTED:", "[PRIVATE]", "<", "{"))
                               or _PLACEHOLDER.fullmatch(bare))


_PROGRAM_NAMES = frozenset(_PROGRAMS)
_COMMAND_WORD = re.compile(r"[\w-]+")


def _redact_commands(text: str, found: list[str]) -> str:
    if not _PROGRAM_NAMES.intersection(_COMMAND_WORD.findall(text)):  # a set lookup per word beats a 40-way regex
        return text
    out, pos = [], 0
    for m in _PROGRAM.finditer(text):
        if m.start() < pos:
            continue
        end = _SEGMENT_END.search(text, m.end(), m.end() + 4096)
        stop = end.start() if end else min(len(text), m.end() + 4096)
        segment = text[m.end():stop]
        for flags, form in _PROGRAMS[m.group(1)]:
            names = "|".join(map(re.escape, flags))
            space = "" if form == "attached" else r"[ \t]*"
            flag = re.compile(rf"(?<!\S)(?:{names}){space}{_ARG}")

            def replace(f: re.Match) -> str:
                value = f.group("s")
                if not _secret_argument(value) or value.startswith("-"):  # the next flag, not a value
                    return f.group(0)
                found.append("password")
                return f.group(0)[:f.start("s") - f.start()] + marker("password")
            segment = flag.sub(replace, segment)
        out += [text[pos:m.end()], segment]
        pos = stop
    return "".join(out) + text[pos:] if out else text


# -- .netrc -----------------------------------------------------------------------------------

_NETRC = re.compile(r"(?<![\w-])(?:password|passwd)[ \t]+(?P<s>[^\s]{1,1024})")
_NETRC_CONTEXT = re.compile(r"(?<![\w-])(?:machine|login|default)(?![\w-])")


def _netrc_kind(m: re.Match) -> Optional[str]:
    before = m.string[max(0, m.start() - 300):m.start()]
    return "password" if _NETRC_CONTEXT.search(before) and _secret_argument(m.group("s")) else None


_NETRC_RULE = _Rule("password", _NETRC, _netrc_kind, needles=("password", "passwd"))

# -- labels in prose --------------------------------------------------------------------------


def _label_table() -> tuple[dict[str, list[tuple[str, str]]], tuple[tuple[str, str], ...]]:
    """Labels by their first word (scripts with spaces between words) and the rest (CJK, Korean)."""
    by_word: dict[str, list[tuple[str, str]]] = {}
    other: list[tuple[str, str]] = []
    tagged = ([(label, "p") for label in patterns.PASSWORD_LABELS] + [(label, "k") for label in patterns.KEY_LABELS]
              + [(label, "b") for label in patterns.BARE_KEY_LABELS])
    for label, kind in tagged:
        low = label.lower()
        if all(ord(c) < 0x2E80 for c in low):
            for variant in {low, low.replace(" ", "-"), low.replace("-", " ")}:
                word = _WORD.match(variant)
                if word is None:  # a label must start with a letter; one that does not is a mistake in patterns
                    raise ValueError(f"redaction label {variant!r} does not start with a letter")
                by_word.setdefault(word.group(0), []).append((variant, kind))
        else:
            other.append((low, kind))
    for entries in by_word.values():
        entries.sort(key=lambda e: -len(e[0]))
    return by_word, tuple(sorted(other, key=lambda e: -len(e[0])))


_WORD = re.compile(r"[^\W\d_]+")
_BY_WORD, _OTHER_LABELS = _label_table()
_FIRST_WORDS = frozenset(_BY_WORD)


def _labels(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each label in ``text``, kind p (password), k (key, token) or b (bare "key").

    Words are looked up in a table (a hundred-way case-insensitive alternation at every position costs
    far more); labels in scripts without spaces are found with ``str.find``.
    """
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: judge the text as it is
        low = text
    hits: list[tuple[int, int, str]] = []
    if _FIRST_WORDS.intersection(_WORD.findall(low)):
        for w in _WORD.finditer(low):
            for label, kind in _BY_WORD.get(w.group(0), ()):
                end = w.start() + len(label)
                if low.startswith(label, w.start()) and not (end < len(low) and (low[end].isalnum() or low[end] == "_")):
                    hits.append((w.start(), end, kind))
                    break
    if not text.isascii():
        for label, kind in _OTHER_LABELS:
            i = low.find(label)
            while i >= 0:
                hits.append((i, i + len(label), kind))
                i = low.find(label, i + len(label))
        hits.sort()
    return hits


_COPULA = re.compile("|".join(patterns.COPULAS), re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|[\n。！？]")
_STOP = "\\s\"'”“»«,，。、；;()\\[\\]<>`\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef"
_VALUE = re.compile(rf"[ \t]{{0,3}}[\"'“«]?(?P<v>[^{_STOP}]{{4,128}})")
_VERSION = re.compile(r"v?\d+(?:[._-]\d+)+[a-z0-9.+-]*|\d{4}-\d{2}-\d{2}.*|\d+(?:[.,]\d+)?[a-zA-Z%]{0,3}")
_KEYLIKE = re.compile(r"[0-9a-fA-F]{16,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_SYMBOL = re.compile(r"[!@#$%^&*_+=~?]")
MAX_COPULAS = 4  # tried per label: "the password, as I told Bob, is X" needs two


def credential_like(value: str, min_len: int) -> bool:
    """Whether a word after a label is a password or key, not an ordinary word, number, path or name."""
    bare = value.rstrip(".,:;!?)")
    if len(bare) < min_len or not _LETTER(bare) or "://" in bare or bare.startswith(("/", "~/", "./", "$", "{", "%")):
        return False
    if not (_DIGIT(bare) or _SYMBOL.search(bare) or len(bare) >= 16):  # an ordinary word
        return False
    if ("[REDACTED:" in bare or "[PRIVATE]" in bare or _PLACEHOLDER.fullmatch(bare) or _VERSION.fullmatch(bare)
            or _ENV_NAME.fullmatch(bare) or _looks_like_code(bare, False)):
        return False
    if _DIGIT(bare):
        return True
    return bool(_SYMBOL.search(bare) and bare.lower() != bare and bare.upper() != bare) or looks_random(bare, 16)


def _redact_labels(text: str, found: list[str]) -> str:
    labels = _labels(text)
    if not labels:
        return text
    copulas = [(c.start(), c.end()) for c in _COPULA.finditer(text)]
    spans: list[tuple[int, int, str]] = []
    markers = "[REDACTED:" in text
    for start, end, label in labels:
        if (spans and start < spans[-1][1]) or (markers and _inside_marker(text, start)):
            continue
        stop_at = _SENTENCE_END.search(text, end, end + 120)
        stop = stop_at.start() if stop_at else min(len(text), end + 120)
        i = bisect.bisect_left(copulas, (end, end))
        for c_start, c_end in copulas[i:i + MAX_COPULAS]:
            if c_start >= stop:
                break
            v = _VALUE.match(text, c_end, stop if stop_at else len(text))
            if not v:
                continue
            value = v.group("v").rstrip(".,:;!?)")
            if label == "b" and not (_KEYLIKE.fullmatch(value) or looks_random(value, 16) or _prefixed_kind(value)):
                continue  # "the cache key is users:list": a bare "key" needs key material
            if credential_like(value, 6 if label == "p" else 12):
                spans.append((v.start("v"), v.start("v") + len(value), "password" if label == "p" else "secret"))
                break
    if not spans:
        return text
    out, pos = [], 0
    for start, end, kind in spans:
        out += [text[pos:start], marker(kind)]
        found.append(kind)
        pos = end
    return "".join(out) + text[pos:]


# -- string literals split in two ------------------------------------------------------------

MAX_LITERALS = 32  # joined per chain: a key split for line length has a few parts, not hundreds
_LITERAL = re.compile(r"([\"'])([^\"'\\\n]{0,512})\1")
_JOINER = re.compile(r"[ \t]*(?:\+[ \t]*)?(?:\\?\n[ \t]*)?(?:\+[ \t]*)?")


def _redact_split_literals(text: str, found: list[str], detect: Finder) -> str:
    """``"abc" "def"`` / ``'abc' + 'def'``: a secret written as adjacent literals is judged joined."""
    if text.count('"') + text.count("'") < 4:
        return text
    chains: list[list[re.Match]] = []
    for m in _LITERAL.finditer(text):
        last = chains[-1][-1] if chains else None
        if last is not None and len(chains[-1]) < MAX_LITERALS and _JOINER.fullmatch(text, last.end(), m.start()):
            chains[-1].append(m)
        else:
            chains.append([m])
    out, pos = [], 0
    for chain in chains:
        joined = "".join(m.group(2) for m in chain)
        if len(chain) < 2 or len(joined) < 12:
            continue
        line_start = text.rfind("\n", 0, chain[0].start()) + 1
        lead = text[max(line_start, chain[0].start() - 120):chain[0].start()]
        lead = re.sub(r"\([ \t]*$", "", lead)  # KEY = ("abc" "def"): judged as KEY = "abcdef"
        quote = chain[0].group(1)
        probe_found: list[str] = []
        probe = detect(lead + quote + joined + quote, probe_found)
        if probe[len(lead):].startswith(quote + joined):
            continue
        kind = next((k for k in probe_found), "secret")
        out += [text[pos:chain[0].start()], quote + marker(kind) + quote]
        found.append(kind)
        pos = chain[-1].end()
    return "".join(out) + text[pos:] if out else text


# -- Twilio ----------------------------------------------------------------------------------

_TWILIO_SID = re.compile(r"(?<![A-Za-z0-9])AC[0-9a-f]{32}(?![A-Za-z0-9])")
_HEX32 = re.compile(r"(?<![A-Za-z0-9])[0-9a-f]{32}(?![A-Za-z0-9])")


def _redact_twilio(text: str, found: list[str]) -> str:
    """A raw 32-hex auth token is indistinguishable from an MD5, except next to an account SID."""
    if "AC" not in text or not _TWILIO_SID.search(text):
        return text

    def replace(m: re.Match) -> str:
        found.append("twilio-auth-token")
        return marker("twilio-auth-token")
    return _HEX32.sub(replace, text)


def redact_in_context(text: str, found: list[str]) -> str:
    """Every detector of this module, in order (see the module docstring)."""
    text = _redact_prefixed(text, found)
    text = apply_rules(_SHAPES, text, found)
    text = _apply(_QUERY_RULE, text, found)
    text = _apply(_NAME_VALUE, text, found)
    text = _redact_commands(text, found)
    text = _apply(_NETRC_RULE, text, found)
    text = _redact_twilio(text, found)
    return text


def redact_prose(text: str, found: list[str]) -> str:
    """Labels in prose and values right after a secret's name: run after the ``name = value`` rules."""
    text = _redact_adjacent(text, found)
    text = _apply(_PGPASS, text, found)
    return _redact_labels(text, found)


def redact_split_literals(text: str, found: list[str], detect: Finder) -> str:
    return _redact_split_literals(text, found, detect)
