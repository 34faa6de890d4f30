"""The rules that name a secret by where it stands: provider patterns, credentials in URLs and headers,
and ``name = value`` settings. Each rule is a regex whose group ``s`` is the secret and a check that
may veto a match or name its kind. Every pattern is bounded or anchored (linear time).
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass
from typing import Callable, Optional

from gitmem.redact import patterns

PRIVATE = "[PRIVATE]"
_MARKER = re.compile(r"\[REDACTED:[a-z0-9-]{1,64}\]|\[PRIVATE\]")
_NOT_MARKER = r"(?!\[REDACTED:|\[PRIVATE\])"


def marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# -- rules ------------------------------------------------------------------------------
# -- rules ------------------------------------------------------------------------------

Check = Callable[[re.Match], Optional[str]]


@dataclass(frozen=True, slots=True)
class _Rule:
    """``pattern``'s group ``s`` (or the whole match) is the secret; ``check`` may veto or name the kind."""

    kind: str
    pattern: re.Pattern
    check: Optional[Check] = None
    needles: tuple[str, ...] = ()  # the rule runs only on text holding one of them
    nested: bool = False  # a vetoed value holding "=" is searched again (name=name=value)


if sys.version_info >= (3, 11):
    from re import _parser as _sre_parse
else:  # pragma: no cover - Python 3.10
    import sre_parse as _sre_parse


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
        items = _sre_parse.parse(pattern.pattern, pattern.flags).data
        literal = _sre_parse.LITERAL
    except Exception:  # pragma: no cover - private parser API moved
        return ""
    best = run = ""
    for op, arg in items:
        if op is literal and isinstance(arg, int):  # a LITERAL's argument is its code point
            run += chr(arg)
        else:
            best, run = max(best, run, key=len), ""
    return max(best, run, key=len)


def _inside_marker(text: str, pos: int) -> bool:
    """Whether ``pos`` falls inside a well-formed ``[REDACTED:kind]`` (a stray "[REDACTED:" protects nothing)."""
    return any(m.start() < pos < m.end() for m in _MARKER.finditer(text, max(0, pos - 80), pos + 80))


def apply_rules(rules: tuple[_Rule, ...], text: str, found: list[str]) -> str:
    """Each rule in turn; the needle test is inline, since most rules do not apply to most texts."""
    for rule in rules:
        if rule.needles:
            for needle in rule.needles:
                if needle in text:
                    break
            else:
                continue
        text = _apply(rule, text, found)
    return text


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
        if not kind and rule.nested and has_s and "=" in m.group("s"):  # --from-literal=api_key=x
            whole = m.group(0)
            return whole[:start - m.start()] + _apply(rule, m.group("s"), found) + whole[end - m.start():]
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
        if (len(value) < min_len or _PLACEHOLDER.fullmatch(value) or value.startswith("$")
                or (digit and not any(c.isdigit() for c in value))):
            return None
        return kind
    return check


_CRED = r"[A-Za-z0-9._~+/=-]"
_AUTHORIZATION = rf"{_start('(?:[Aa]uthorization|AUTHORIZATION)', 13)}[\"']?[ \t]{{0,5}}[:=][ \t]{{0,5}}[\"']?"
_PLACEHOLDER = re.compile(r"[.*xX•#:_ /-]*|<[^<>]*>|%[-#0-9.]*[sdrf]|%\([^)]*\)[sdrf]|\{[^{}]*\}")
_CREDENTIAL_PLACES = (
    _Rule("url-password", re.compile(rf"://[^\s:/?#@\[\]]{{0,256}}:{_NOT_MARKER}(?!\$)(?P<s>[^\s/]{{1,2048}}?)@(?![^\s/?#]*@)"),
          lambda m: None if re.search(r"[?#].*=", m.group("s")) else _credential("url-password")(m), needles=("://",)),
    _Rule("password", re.compile(
        rf"-(?:-user|u)(?<![A-Za-z0-9-]-u)[ \t]+[\"']?[^\s:'\"\[]{{1,256}}:{_NOT_MARKER}(?!\$)(?P<s>[^\s'\"]{{1,256}})"),
        _credential("password"), needles=("-u ", "-u\t", "--user")),
    # Authorization: Bearer x, "authorization": "Basic x", then a bare header value, then "Bearer x" alone
    _Rule("authorization", re.compile(
        rf"{_AUTHORIZATION}(?i:bearer|basic|token|bot|digest|apikey)[ \t]{{1,5}}(?P<s>[^\s'\"\\<>]{{1,4096}})"),
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

_PASSWORD_WORDS, _SECRET_WORDS, _KEY_QUALIFIERS = patterns.PASSWORD_WORDS, patterns.SECRET_WORDS, patterns.KEY_QUALIFIERS
_HARMLESS_TAILS, _RECEIVERS, _TYPE_WORDS = patterns.HARMLESS_TAILS, patterns.RECEIVERS, patterns.TYPE_WORDS
_WORD_SPLIT = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_CODE_CHAIN = re.compile(r"([A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)+[,;]?")
_TEMPLATE = re.compile(r"\{[A-Za-z_][\w.]*\}|^\{\{|^\$|^%\(|^%[sd]$|^#[0-9a-fA-F]{3,8}$|^(?i:bearer|basic|token)$")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # "ANTHROPIC_API_KEY": a name, not a value
_CODE_WORDS = patterns.CODE_WORDS


@functools.lru_cache(maxsize=4096)  # the same few names come back in every observation
def _key_kind(name: str, code: bool = False) -> Optional[str]:
    """``password`` or ``secret`` when a setting's name says its value is one, else None.

    ``code``: the name is assigned with spaces around ``=`` (Python, TOML, INI), where upper-case
    ``*_KEY`` names are mostly dictionary and cache keys, so only a qualified key (``API_KEY``) counts.
    """
    name = name.rsplit(".", 1)[-1].strip("-_")
    words = [w.lower() for w in _WORD_SPLIT.findall(name)]
    if not words or name.lower() == "oldpwd" or words[-1] in _HARMLESS_TAILS or "public" in words:
        return None
    if any(w in name.lower() for w in _PASSWORD_WORDS) or (words[-1] == "pass" and (name.isupper() or len(words) > 1 or name == "pass")):
        return "password"  # PGPASSWORD, db_password, userPassword
    if name.lower() == "auth" or any(w.endswith(s) for w in words for s in _SECRET_WORDS):
        return "secret"  # GITHUBTOKEN, client_secret; not max_tokens
    for before, word in zip([""] + words, words):
        if word == "key" and (before in _KEY_QUALIFIERS or (not code and word is words[-1] and name.isupper() and before)):
            return "secret"
    return None


@functools.lru_cache(maxsize=4096)
def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())


def _looks_like_code(value: str, code: bool) -> bool:
    """An unquoted value that is an expression, not a secret: ``get_password()``, ``$TOKEN``, ``self.token``,
    ``Keyword.Pseudo``, ``x,``; in ``name = value`` code also ``Error``, ``await token`` and ``-1``."""
    bare = value.strip().rstrip(",;")
    if re.search(r"[(\[{<>]", value) or re.match(r"[\"']?\$[A-Za-z_{(]", value) or value.rstrip().endswith(","):
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
        if _normal(bare) and (_normal(key).endswith(_normal(bare)) or _normal(bare.split(".", 1)[0]) == _normal(key)):
            return None  # token=token.x
        if _normal(key) == "pwd" and (bare[:1] in "/~.\\" or "/" in bare):  # $PWD: the working directory
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


def _header_value(m: re.Match) -> Optional[str]:
    bare = m.group("s").rstrip(",;")
    if m.group("sep")[:1] != ":" or not (re.search("[0-9]", bare) and re.search("[A-Za-z]", bare)) or "://" in bare:
        return None
    return _assignment(True, yaml=True)(m)


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
        rf"(?<![^\s;&|(`'\"{{,?:-]){_KEY}=(?!=){_NOT_MARKER}(?P<s>[^\s'\"`;&|)]{{1,1024}})"), _assignment(True), needles=("=",),
        nested=True),
    # YAML, INI: a line `  password: x` or `secret = x` (a value ends before ` #`)
    _Rule("secret", re.compile(
        rf"^[ \t]{{0,64}}(?:-[ \t]{{1,8}})?{_KEY}(?P<sep>[ \t]{{0,8}}[:=][ \t]{{1,8}}){_NOT_MARKER}"
        rf"(?P<s>[^\s#'\"|>](?:\S|[ \t]+(?=[^\s#]))*)"), _assignment(True, yaml=True), needles=(":", "=")),
    # --password x, --api-token "x"
    _Rule("secret", re.compile(
        rf"(?<![A-Za-z0-9-])--(?P<k>[A-Za-z][A-Za-z0-9-]{{0,40}})[ \t]{{1,8}}{_NOT_MARKER}"
        rf"(?P<s>\"[^\"\n]{{1,1024}}\"|'[^'\n]{{1,1024}}'|[^\s'\"-][^\s'\"]{{0,1023}})"), _assignment(False, flag=True),
        needles=("--",)),
    # X-Rails-Master-Key: x, Api-Token: x (a header or label anywhere in a line; the value must hold a digit)
    _Rule("secret", re.compile(
        rf"(?<![A-Za-z0-9_.-]){_KEY}(?P<sep>[ \t]{{0,4}}:[ \t]{{0,8}}){_NOT_MARKER}(?P<s>[^\s'\"]{{8,1024}})"),
        _header_value, needles=(":",)),
)
# Every name _key_kind accepts contains one of these; only lines holding one are searched.
_SECRET_WORD = re.compile(r"[Pp]ass(?:word|wd|phrase|code)|PASS|[Pp]ass\b|[Pp]wd|PWD|[Ss]ecret|SECRET|[Tt]oken|TOKEN"
                          r"|[Kk]ey|KEY|[Cc]redential|CREDENTIAL|\b_?[Aa]uth\b|AUTH"
                          r"|[Ss]as\b|SAS|[Dd]sn|DSN|[Ww]ebhook|WEBHOOK")


_SECRET_STEMS = ("pass", "pwd", "secret", "token", "key", "credential", "auth", "sas", "dsn", "webhook")


def has_secret_word(text: str) -> bool:
    """A cheap superset of ``_SECRET_WORD.search`` (a substring test per stem costs a fifth of the regex)."""
    low = text.lower()
    return any(stem in low for stem in _SECRET_STEMS)


def _redact_assignments(text: str, found: list[str]) -> str:
    if not has_secret_word(text):
        return text
    out, pos = [], 0
    for m in _SECRET_WORD.finditer(text):
        if m.start() < pos:
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        end = len(text) if end < 0 else end
        line = text[start:end]
        line = apply_rules(_ASSIGNMENTS, line, found)
        out += [text[pos:start], line]
        pos = end
    return "".join(out) + text[pos:] if out else text


