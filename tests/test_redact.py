"""Redaction: secrets and private spans never reach the memory ref; ordinary text passes untouched.

Every fake secret is assembled at run time (prefix + generated characters), so this file holds no
string a secret scanner would flag.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import random
import re
import string
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmem import redact
from gitmem.redact import Redacted, drop_private, is_sensitive_path, redact_observation, redact_text
from gitmem.store.records import Observation

DATA = Path(__file__).parent / "data"
UPPER, LOWER, DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UPPER + LOWER + DIGITS
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"


def fake(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    """``n`` characters that look like key material: every class of ``alphabet`` appears."""
    rng = random.Random(f"{n}-{alphabet}-{seed}")
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if all(any(c in s for c in cls) for cls in (UPPER, LOWER, DIGITS) if any(c in alphabet for c in cls)):
            return s


def mark(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# -- what is caught ------------------------------------------------------------------------

# (kind, text with the secret in it, the secret, text expected after redaction)
def _positives() -> list[tuple[str, str, str, str]]:
    cases: list[tuple[str, str, str, str]] = []

    def whole(kind: str, template: str, secret: str, shown: str = "") -> None:
        cases.append((kind, template.format(secret), secret, template.format(shown or mark(kind))))

    whole("aws-access-key-id", "aws configure set key {}", "AKIA" + fake(16, UPPER + DIGITS))
    whole("aws-access-key-id", "temporary key {} expires", "ASIA" + fake(16, UPPER + DIGITS, 1))
    whole("aws-secret-key", "aws_secret_access_key = {}", fake(40, B64))
    whole("aws-secret-key", '{{"AwsSecretKey": "{}"}}', fake(40, B64, 1))
    whole("github-token", "git clone https://{}@github.com/acme/app.git", "ghp_" + fake(36))
    whole("github-token", "token: {}", "gho_" + fake(36, seed=1))
    whole("github-token", "GH_TOKEN={} gh pr list", "github_pat_" + fake(22) + "_" + fake(59))
    whole("anthropic-key", "client = Anthropic(api_key='{}')", "sk-ant-api03-" + fake(93, B64URL))
    whole("openai-key", "OPENAI key {} in the shell", "sk-" + fake(48))
    whole("openai-key", "use {} for the project", "sk-proj-" + fake(100, B64URL))
    whole("slack-token", "slack bot {} posts", "xoxb-" + fake(12, DIGITS) + "-" + fake(13, DIGITS) + "-" + fake(24))
    whole("slack-token", "user token {}", "xoxp-" + fake(12, DIGITS, 1) + "-" + fake(24, seed=1))
    whole("stripe-key", "stripe.api_key = {}", "sk_" + "live_" + fake(99))
    whole("stripe-key", "restricted {}", "rk_" + "live_" + fake(24))
    whole("google-api-key", "maps?key={}&q=x", "AIza" + fake(35, B64URL))
    whole("gitlab-token", "glab auth login --token {}", "glpat-" + fake(20, B64URL))
    whole("npm-token", "npm token {} created", "npm_" + fake(36))
    whole("jwt", "cookie session={}; Path=/", "eyJ" + fake(33, B64URL) + ".eyJ" + fake(60, B64URL) + "." + fake(43, B64URL))
    whole("secret", "the signing secret is {} (rotate it)", fake(40, B64))  # a label names it first
    whole("high-entropy", "signing with {} (rotate it)", fake(40, B64))
    whole("secret", "webhook {} registered", fake(43, B64URL, 2))  # named by the word before it
    whole("high-entropy", "upload {} registered", fake(43, B64URL, 2))
    whole("high-entropy", "blob {} in the log", fake(86, B64, 3) + "==")
    # detect-secrets' plugins: providers gitmem has no pattern of its own for
    whole("twilio-api-key", "twilio key {} set", "SK" + fake(32, "0123456789abcdef"))
    whole("sendgrid-api-key", "SENDGRID {}", "SG." + fake(22, B64URL) + "." + fake(43, B64URL))
    whole("mailchimp-access-key", "mailchimp {} ok", fake(32, LOWER + DIGITS) + "-us6")
    whole("square-oauth-secret", "square {}", "sq0csp-" + fake(43, B64URL))
    whole("azure-storage-account-access-key", "AccountName=acme;{};EndpointSuffix=core.windows.net",
          "AccountKey=" + fake(86, B64) + "==")
    whole("cookie", "curl -H 'Cookie: {}' https://example.com", "sessionid=" + fake(32, LOWER + DIGITS) + "; theme=dark")

    # only the secret part goes; the rest of the line stays readable
    pw = "s3cr3t-" + fake(10)
    part = [
        ("url-password", "psql postgres://admin:{}@db.internal:5432/app"),
        ("url-password", "redis://:{}@cache:6379/0"),
        ("password", "curl -u deploy:{} https://ci.example.com/api"),
        ("password", "DB_PASSWORD={} ./manage.py migrate"),
        ("password", "export PGPASSWORD={}"),
        ("password", "password: {}"),
        ("password", '  - db_password: "{}"'),
        ("password", '{{"user": "bob", "password": "{}"}}'),
        ("password", "{{\\\"password\\\": \\\"{}\\\"}}"),
        ("password", "connect(host=h, password='{}')"),
        ("password", "spring.datasource.password={}"),
        ("password", "mysqldump --password {} shop"),
        ("secret", "SECRET={}"),
        ("secret", "API_KEY={}"),
        ("secret", "export SERVICE_KEY={}"),
        ("secret", "AUTH_TOKEN={} npm publish"),
        ("secret", "client_secret: {}"),
        ("secret", "GET /v1/items?access_token={}&page=2"),
        ("secret", "//registry.npmjs.org/:_authToken={}"),
        ("secret", "--api-token={}"),
        ("secret", 'settings = {{"apiKey": "{}"}}'),
        ("secret", "curl -H 'X-Api-Key: {}' https://api.example.com"),
        ("authorization", "curl -H 'Authorization: Bearer {}' https://api.example.com"),
        ("authorization", '{{"authorization": "Basic {}"}}'),
        ("authorization", "Proxy-Authorization: Bearer {}"),
        ("authorization", "sent Bearer {} to the API"),
    ]
    for kind, template in part:
        cases.append((kind, template.format(pw), pw, template.format(mark(kind))))
    return cases


POSITIVES = _positives()


@pytest.mark.parametrize("kind,text,secret,expected", POSITIVES, ids=[f"{c[0]}-{i}" for i, c in enumerate(POSITIVES)])
def test_redact_text_replaces_each_kind_of_secret(kind: str, text: str, secret: str, expected: str) -> None:
    result = redact_text(text)
    assert result.text == expected
    assert secret not in result.text
    assert kind in result.kinds


def test_private_key_blocks_are_dropped_whole_even_when_cut_off() -> None:
    body = "\n".join(fake(64, B64, i) for i in range(5))
    block = "-----BEGIN RSA " + "PRIVATE KEY-----\n" + body + "\n-----END RSA " + "PRIVATE KEY-----"
    text = "cat ~/.ssh/deploy\n" + block + "\n$ echo done"
    assert redact_text(text).text == "cat ~/.ssh/deploy\n" + mark("private-key") + "\n$ echo done"
    escaped = '{"key": "' + block.replace("\n", "\\n") + '"}'
    assert redact_text(escaped).text == '{"key": "' + mark("private-key") + '"}'
    openssh = "-----BEGIN OPENSSH " + "PRIVATE KEY-----\n" + body[:150]  # clipped: no END line
    assert redact_text("head -3 id\n" + openssh).text == "head -3 id\n" + mark("private-key")


def test_clipped_secrets_are_caught_at_the_cut() -> None:
    # capture clips long fields and marks the cut with "…"; what is left of a token must still go
    head = "ghp_" + fake(12)
    tail = fake(20, B64, 4)
    assert redact_text(f"git push https://{head}…").text == "git push https://" + mark("clipped-secret") + "…"
    assert redact_text(f"…{tail} done").text == "…" + mark("high-entropy") + " done"
    key_tail = "\n".join(fake(64, B64, i) for i in range(2)) + "\n-----END " + "PRIVATE KEY-----"
    assert fake(64, B64, 0) not in redact_text("…" + key_tail).text


def test_several_secrets_on_one_line_all_go_and_kinds_are_sorted_and_unique() -> None:
    a, b = "ghp_" + fake(36, seed=5), "ghp_" + fake(36, seed=6)
    aws = "AKIA" + fake(16, UPPER + DIGITS, 5)
    result = redact_text(f"{a} {aws} {b}")
    assert result.text == f"{mark('github-token')} {mark('aws-access-key-id')} {mark('github-token')}"
    assert result.kinds == ("aws-access-key-id", "github-token")


def test_provider_matches_widen_to_the_whole_token() -> None:
    # detect-secrets' Stripe pattern matches 24 characters; a longer key must not leave a tail behind
    key = "sk_" + "live_" + fake(107, seed=9)
    out = redact_text(f"key={key}!").text
    assert out == f"key={mark('stripe-key')}!"


# -- what is left alone ------------------------------------------------------------------------

SHA = hashlib.sha1(b"gitmem").hexdigest()
SHA256 = hashlib.sha256(b"gitmem").hexdigest()
SESSION = str(uuid.UUID(int=0xA0EF3C6B7E934B748A0A36B4DE04A3D4))

NEGATIVES = [
    # code
    "def login(user: str, password: str) -> Token:\n"
    "    token = issue_token(user, password)\n"
    "    if not token:\n"
    "        raise AuthError('bad password')\n"
    "    return token",
    "password = getpass.getpass()\nself.password = password\napi_key = os.environ['API_KEY']",
    "token = request.headers.get('Authorization')\nsecret = settings.SECRET_KEY",
    "headers = {'Authorization': f'Bearer {token}'}",
    "    api_key: Optional[str] = None\n    password: SecretStr\n    token: str = ''",
    "max_tokens = 4096\ntokens_in: 1234\ntoken_count: 5\nTOKEN_LIMIT=8000",
    "password_file: /run/secrets/db\nPWD=/home/dev/payments\nssh_key_path = ~/.ssh/id_ed25519",
    "CACHE_KEY = 'users:list'\nSORT_KEY = 'created_at'\nprimary_key = True",
    "for i, key in enumerate(keys):\n    result[key] = value",
    "test_sync_merges_records_from_two_clones BetaManagedAgentsAgentToolset20260401GlobInput",
    "class ObservationBatch:\n    pass",
    # git, ids, hashes
    f"commit {SHA}\nAuthor: Test Author <author@example.com>\n\n    Fix the ledger\n",
    f"{SHA[:7]} Hook at 0.83x of a start; {SHA[:12]}..{SHA256[:12]}",
    f"session {SESSION} wrote obs-0001.yaml; session {SESSION.upper()}",
    f"docker pull app@sha256:{SHA256}",
    "o1-3f2a9c1d8e7b6a5f toolu_01D7FLrfh4GYq7yT1ULFeyMV msg_013Zva2CMHLNnXjNJJKqJ2EF",
    "resolved: sha512-" + base64.b64encode(hashlib.sha512(b"left-pad").digest()).decode(),
    "golang.org/x/text v0.3.0 h1:" + base64.b64encode(hashlib.sha256(b"text").digest()).decode(),
    # paths and URLs
    "/home/dev/payments/src/ledger/models.py C:\\Users\\dev\\payments\\app.py ./.claude/settings.json",
    f"https://github.com/python/cpython/blob/{SHA}/Lib/importlib/_bootstrap.py#L10",
    "git@github.com:acme/payments.git ssh://git@github.com/acme/payments.git https://user@example.com/x",
    "https://example.com:8443/search?q=secret+santa&page=2",
    # prose, placeholders, variables
    "The password must be at least 8 characters; rotate the token monthly.",
    "Password: must be 8 characters or more",
    "export TOKEN=$GITHUB_TOKEN\npassword: ${{ secrets.DB_PASSWORD }}\nAuthorization: Bearer $TOKEN",
    "password = '********'\nproxy=socks5h://<username>:<password>@proxy-host\napi_key=\"...\"",
    "the bearer token is validated on every request; the cookie: it was eaten",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + fake(43, seed=3) + " dev@laptop",
    # fixtures and data
    "assert decode('" + base64.b64encode(b"hello world").decode() + "') == b'hello world'",
    "ALPHABET = '" + UPPER + LOWER + DIGITS + "+/'",
    "Grüße, 日本語のテキスト, emoji 🎉 and a tab\tand a NUL \x00 byte",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[f"negative-{i}" for i in range(len(NEGATIVES))])
def test_ordinary_text_passes_through_unchanged(text: str) -> None:
    assert redact_text(text) == Redacted(text, ())


def _strings(value: object):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_real_session_fixture_passes_through_unchanged() -> None:
    # the recorded Claude Code session holds no secrets: every string in every payload survives as is
    lines = (DATA / "session-hooks.jsonl").read_text(encoding="utf-8").splitlines()
    strings = [s for line in lines for s in _strings(json.loads(line))]
    assert len(strings) > 100
    changed = [s for s in strings if redact_text(s).text != s]
    assert changed == []


def test_synthetic_tool_payloads_pass_through_unchanged() -> None:
    strings = list(_strings(json.loads((DATA / "capture" / "tools.json").read_text(encoding="utf-8"))))
    assert len(strings) > 100
    assert [s for s in strings if redact_text(s).text != s] == []


# -- private spans ----------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("keep <private>drop me</private> keep", "keep [PRIVATE] keep"),
    ("a <PRIVATE>x</Private> b <private>\nline one\nline two\n</private> c", "a [PRIVATE] b [PRIVATE] c"),
    ("before < private >x</ private > after", "before [PRIVATE] after"),
    ("ok <private>never closed\nmore", "ok [PRIVATE]"),
    ("<private>outer <private>inner</private> still private</private> out", "[PRIVATE] out"),
    ("a stray </private> closer stays", "a stray </private> closer stays"),
    ("<privateer> is not a tag", "<privateer> is not a tag"),
    ("no tags at all", "no tags at all"),
])
def test_drop_private_replaces_each_span(text: str, expected: str) -> None:
    assert drop_private(text) == expected


def test_redact_text_drops_private_spans_before_looking_for_secrets() -> None:
    result = redact_text("PASSWORD=<private>hunter2</private> and <private>my notes</private>")
    assert result.text == "PASSWORD=[PRIVATE] and [PRIVATE]"
    assert result.kinds == ("private",)


# -- idempotence and robustness ------------------------------------------------------------------

FRAGMENTS = [
    "ghp_", "sk-", "sk-ant-", "xoxb-", "AKIA", "AIza", "glpat-", "npm_", "eyJ", ".eyJ", "://", ":", "@", "=", "==",
    " = ", ": ", '"', "'", "\\\"", "\n", " ", "\t", "…", "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END " + "PRIVATE KEY-----",
    "<private>", "</private>", "[PRIVATE]", "[REDACTED:secret]", "[REDACTED:", "]", "password", "PASSWORD", "token",
    "api_key", "API_KEY", "export ", "--password ", "Authorization: Bearer ", "Bearer ", "-u ", "X-Api-Key: ",
    "https://user:", "/", "$", "${", "{", "}", "(", ")", "#", ",", "self.", "sha512-", "h1:", SHA, SESSION,
    fake(40, B64, 7), fake(36, seed=7), fake(32, B64URL, 7), fake(16, seed=8), "hunter2", "SK", "-us6", "SG.",
]
secretish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(secretish, st.text(max_size=300)))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    twice = redact_text(once.text)
    assert twice.text == once.text
    assert set(once.kinds) >= set(twice.kinds)
    assert list(once.kinds) == sorted(set(once.kinds))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([f for f in FRAGMENTS if "[" not in f]), st.text(max_size=8)), max_size=30)
       .map("".join).filter(lambda t: "[" not in t))
def test_markers_are_never_nested_or_broken(text: str) -> None:
    out = redact_text(text).text
    assert out.count("[REDACTED:") == len(re.findall(r"\[REDACTED:[a-z0-9-]+\]", out))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_known_secrets_never_survive_whatever_surrounds_them(prefix: str) -> None:
    token = "ghp_" + fake(36, seed=11)
    key = "AKIA" + fake(16, UPPER + DIGITS, 11)
    out = redact_text(f"{prefix} {token} {key} {prefix}").text
    assert token not in out and key not in out


@pytest.mark.parametrize("text", [
    "sk-" * 300_000,
    "//" * 400_000,
    "key" + " " * 500_000 + "x",
    "password:" + " a" * 300_000,
    "a=" * 300_000,
    '"k": "' * 150_000,
    ("-----BEGIN RSA " + "PRIVATE KEY-----") * 30_000,
    "://a:" * 150_000,
    "x" * 2_000_000,
    "Ab1" * 700_000,
    "\n" * 1_000_000,
    "…" * 500_000,
])
def test_huge_adversarial_inputs_are_handled(text: str) -> None:
    # no regex here may backtrack quadratically: were one to, this would run for hours, not seconds
    result = redact_text(text)
    assert isinstance(result.text, str)
    assert redact_text(result.text).text == result.text


def test_huge_input_still_loses_its_secrets() -> None:
    token = "ghp_" + fake(36, seed=12)
    filler = "\n".join(f"line {i}: nothing to see {SHA}" for i in range(60_000))
    out = redact_text(filler + "\nexport GITHUB_TOKEN=" + token + "\n" + filler)
    assert token not in out.text
    assert out.kinds == ("github-token",)
    assert len(out.text) == 2 * len(filler) + len("\nexport GITHUB_TOKEN=\n") + len(mark("github-token"))


@pytest.mark.parametrize("value,expected", [(None, ""), (42, "42"), (b"ab", "b'ab'")])
def test_redact_text_accepts_non_text_without_raising(value: object, expected: str) -> None:
    assert redact_text(value) == Redacted(expected, ())  # type: ignore[arg-type]


def test_redacted_is_a_frozen_record() -> None:
    result = redact_text("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "y"  # type: ignore[misc]


# -- observations -------------------------------------------------------------------------------


def test_redact_observation_redacts_every_text_field_and_reports_kinds() -> None:
    token = "ghp_" + fake(36, seed=13)
    pw = "pw-" + fake(12, seed=13)
    obs = Observation(ts="2026-11-24T10:00:00Z", kind="command", tool="Bash",
                      text="<private>my own note</private> push the branch",
                      command=f"git push https://{token}@github.com/acme/app.git",
                      outcome="error", detail=f"fatal: could not read Password for 'https://bob:{pw}@github.com'",
                      files=("src/app.py", f"https://bob:{pw}@example.com/file"), event_id="toolu_01abc")
    new, kinds = redact_observation(obs)
    assert new.text == "[PRIVATE] push the branch"
    assert new.command == f"git push https://{mark('github-token')}@github.com/acme/app.git"
    assert new.detail == f"fatal: could not read Password for 'https://bob:{mark('url-password')}@github.com'"
    assert new.files == ("src/app.py", f"https://bob:{mark('url-password')}@example.com/file")
    assert (new.ts, new.kind, new.tool, new.outcome, new.event_id) == (obs.ts, obs.kind, obs.tool, obs.outcome, obs.event_id)
    assert kinds == ("github-token", "private", "url-password")
    assert isinstance(new, Observation) and dataclasses.is_dataclass(new)
    assert redact_observation(new) == (new, ())


def test_redact_observation_returns_a_clean_record_as_is() -> None:
    obs = Observation(ts="2026-11-24T10:00:00Z", kind="edit", tool="Edit", files=("src/ledger.py",),
                      detail="- balance = 0 → + balance = Decimal(0)", event_id="toolu_02")
    new, kinds = redact_observation(obs)
    assert new is obs
    assert kinds == ()


# -- detect-secrets -------------------------------------------------------------------------------


def test_every_allow_listed_detect_secrets_plugin_contributes_patterns() -> None:
    # a detect-secrets upgrade that drops or renames a plugin shows up here, not as a silent gap
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    loaded = {cls.__name__ for cls in get_mapping_from_secret_type_to_class().values()}
    assert set(redact.DETECT_SECRETS_PLUGINS) <= loaded
    kinds = {kind for kind, _pattern, _needle in redact.provider_patterns()}
    assert {"twilio-api-key", "sendgrid-api-key", "mailchimp-access-key", "slack-token"} <= kinds


def test_each_pattern_needle_occurs_in_what_the_pattern_matches() -> None:
    # the needle gate skips a pattern on text without its needle; it must never skip a real match
    texts = [text for _kind, text, _secret, _expected in POSITIVES]
    checked = 0
    for _kind, pattern, needle in redact.provider_patterns():
        for text in texts:
            for m in pattern.finditer(text):
                assert needle in m.group(0)
                checked += 1
    for rule in redact._PROVIDERS + redact._CREDENTIAL_PLACES + redact._ASSIGNMENTS:
        for text in texts:
            for m in rule.pattern.finditer(text):
                assert not rule.needles or any(n in m.group(0) for n in rule.needles)
                checked += 1
    assert checked > len(POSITIVES)


# -- sensitive paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    ".env", "app/.env", ".env.local", ".env.production", "/home/dev/app/.env.test", "prod.env", ".envrc",
    "certs/server.pem", "tls/server.key", "client.p12", "store.pfx", "android/release.keystore", "app.jks",
    "/home/dev/.ssh/id_rsa", "~/.ssh/id_ed25519", "id_ecdsa", "id_dsa", ".ssh/id_ed25519_sk",
    ".npmrc", "/home/dev/.pypirc", ".netrc", ".git-credentials", ".pgpass",
    "/home/dev/.aws/credentials", "C:\\Users\\dev\\.aws\\credentials", "/home/dev/.kube/config",
    "deploy/secrets.yaml", "secrets.yml", "/home/dev/.docker/config.json",
])
def test_is_sensitive_path_names_files_never_to_record(path: str) -> None:
    assert is_sensitive_path(path)


@pytest.mark.parametrize("path", [
    ".env.example", ".env.sample", ".env.template", "app/.env.local.example", "id_rsa.pub", "~/.ssh/id_ed25519.pub",
    "src/app.py", "README.md", "environment.py", "config", "src/config", ".aws/config", "credentials.py",
    "docs/credentials", "keys.py", "monkey.json", "secrets.py", "my-secrets.yaml", "kube/config", "", "/",
    ".envelope", "src/.env_utils.py", "known_hosts",
])
def test_is_sensitive_path_leaves_ordinary_files(path: str) -> None:
    assert not is_sensitive_path(path)


# -- the summarizer fails closed -------------------------------------------------------------------


def test_summarizer_sends_nothing_when_redaction_cannot_be_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 16: an ImportError of the redaction module used to send the prompt unredacted
    import sys

    from fakes.messages_api import FakeMessagesAPI, good

    from gitmem.compress.draft import SessionInput
    from gitmem.compress.summarize import summarize_session
    from gitmem.config import Config

    secret = "AKIA" + fake(16, UPPER + DIGITS, 21)
    obs = (Observation(ts="2026-12-03T09:00:00Z", kind="prompt", text=f"deploy with key {secret} please"),)
    monkeypatch.setitem(sys.modules, "gitmem.redact", None)  # `from gitmem.redact import ...` raises ImportError
    with FakeMessagesAPI([good()]) as api:
        draft = summarize_session(SessionInput("s1", obs), Config(summarizer="anthropic"), api.env())
    assert api.requests == []
    assert draft.summarizer == "offline" and "redaction failed" in draft.fallback_reason
    assert "nothing was sent" in draft.fallback_reason


# -- the corpus: every kind of secret in every context ----------------------------------------------
# tests/data/secrets: 147 kinds (fake values generated from format descriptions) x 62 contexts, run through
# capture (a real hook payload, compacted and redacted as the flush worker does) and through redact_text
# (summarizer input, proposed decisions). benchmarks/bench_redact.py prints the same per context.


def _load_corpus():
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("secret_corpus", DATA / "secrets" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("secret_corpus", module)
    spec.loader.exec_module(module)
    return module


CORPUS = _load_corpus()
CORPUS_CASES = CORPUS.cases()


def test_the_corpus_is_large_and_covers_every_context() -> None:
    kinds, contexts = CORPUS.kinds(), CORPUS.contexts()
    assert len(kinds) >= 100 and len({k.name for k in kinds}) == len(kinds)
    assert len(contexts) >= 40 and len(CORPUS.benign()) >= 100
    assert len(CORPUS_CASES) == sum(len(kinds) if c.scope == "all" else sum(k.cls == "token" for k in kinds)
                                    for c in contexts)
    # the leak check is not vacuous: an unredacted text leaks every case
    assert all(CORPUS.leaked(case, case.text) for case in CORPUS_CASES)


@pytest.mark.parametrize("path", sorted(CORPUS.PATHS))
@pytest.mark.parametrize("context", [c.name for c in CORPUS.contexts()])
def test_no_secret_of_the_corpus_survives(path: str, context: str) -> None:
    run = CORPUS.PATHS[path]
    leaked = [(c.kind.name, run(c)) for c in CORPUS_CASES if c.context.name == context and CORPUS.leaked(c, run(c))]
    assert leaked == []


def test_other_values_of_the_same_formats_do_not_leak_either() -> None:
    # the rules were tuned on seed 0; a fresh draw of every value must fare the same
    cases = CORPUS.cases(seed=7)
    leaked = [(c.kind.name, c.context.name) for c in cases if CORPUS.leaked(c, CORPUS.through_text(c))]
    assert leaked == []


def test_benign_text_is_left_alone() -> None:
    changed = CORPUS.false_positives()
    assert len(changed) <= 0.02 * len(CORPUS.benign()), changed
    assert changed == []  # measured: 0 of 147


def test_inline_images_and_base64_of_text_are_not_secrets() -> None:
    png = CORPUS._png(seed=3, size=24)
    for text in (f'<img src="data:image/png;base64,{png}">', f"url(data:image/webp;base64,{png})",
                 "b64 " + base64.b64encode(b"user report for the quarter, all numbers final").decode()):
        assert redact_text(text).text == text
    key = fake(44, B64, 22)
    assert redact_text(f"data:text/plain;base64,{key}").text == "data:text/plain;base64," + mark("high-entropy")


# -- the gaps issue 15 named (each leaked before these rules) -----------------------------------------

HEX = "0123456789abcdef"


def _gaps() -> list[tuple[str, str, str]]:
    pw = "My$ecret" + fake(6, seed=30) + "!"
    rnd = fake(40, B64URL, 31)
    sig = fake(43, B64, 32)
    sid, token = "AC" + fake(32, HEX, 33), fake(32, HEX, 34)
    return [
        ("export after =", f"export FOO={rnd}", rnd),
        ("oauth code, percent-encoded", f"GET /cb?state=x&code={rnd[:20]}%2F{rnd[20:]}", rnd[20:]),
        ("--data=", f"curl -X POST --data={rnd} https://hooks.example.com/in", rnd),
        ("mysql -p", f"mysql -h db -u root -p{pw} shop", pw),
        ("sshpass -p", f"sshpass -p '{pw}' ssh deploy@10.0.0.5", pw),
        (".netrc", f"machine api.example.com\n  login me\n  password {pw}", pw),
        ("connection string", f"Server=db;Database=app;User Id=sa;Password={pw};", pw),
        ("prose", "the db password is hunter2-Quasar-77", "hunter2-Quasar-77"),
        ("German", "Das Passwort lautet Sommer2024!x", "Sommer2024!x"),
        ("French", "Le mot de passe est Soleil#2024", "Soleil#2024"),
        ("Spanish", "La contraseña: Verano2024!", "Verano2024!"),
        ("Portuguese", "A senha é Inverno#2024", "Inverno#2024"),
        ("Chinese", "数据库密码：Hunter2024!", "Hunter2024!"),
        ("dop_v1_ hex", "token dop_v1_" + fake(64, HEX, 35), fake(64, HEX, 35)),
        ("shpss_ hex", "SHOPIFY=shpss_" + fake(32, HEX, 36), fake(32, HEX, 36)),
        ("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-1" + fake(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 37),
         fake(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 37)),
        ("NRAK-", "key NRAK-" + fake(27, UPPER + DIGITS, 38), fake(27, UPPER + DIGITS, 38)),
        ("Azure SAS", f"https://acme.blob.core.windows.net/c/f?sv=2022-11-02&sp=r&sig={sig[:20]}%2B{sig[20:]}%3D",
         sig[20:]),
        ("S3 presigned", "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA" + fake(16, UPPER + DIGITS, 39)
         + "%2F20261203%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=" + fake(64, HEX, 40), fake(64, HEX, 40)),
        ("Slack workflow", "https://hooks.slack.com/workflows/T0ABCDEFG/A0ABCDEFG/123456789012345678/" + fake(24, seed=41),
         fake(24, seed=41)),
        ("Twilio token next to its SID", f"client = Client('{sid}', '{token}')", token),
        ("split literal", f'API_KEY = ("{rnd[:20]}"\n    "{rnd[20:]}")', rnd[20:]),
    ]


GAPS = _gaps()


@pytest.mark.parametrize("name,text,secret", GAPS, ids=[g[0] for g in GAPS])
def test_issue_15_gaps_are_closed(name: str, text: str, secret: str) -> None:
    out = redact_text(text).text
    assert secret not in out and "[REDACTED:" in out


# -- capture: fetched URLs keep their parameter names, not their values ---------------------------------


def test_webfetch_and_command_urls_keep_parameter_names_and_lose_values() -> None:
    from gitmem.capture.compaction import SpoolEvent, compact_events

    tools = json.loads((DATA / "capture" / "tools.json").read_text(encoding="utf-8"))
    fetch = dict(tools["webfetch"])
    fetch["tool_input"] = {**fetch["tool_input"], "url": "https://docs.example.com/search?q=decimal&t=abc123&page=2#x"}
    bash = {**fetch, "tool_name": "Bash", "tool_use_id": "toolu_02",
            "tool_input": {"command": "curl -s 'https://api.example.com/v1/items?user=dana&page=2' | jq .", "description": "list"},
            "tool_response": {"stdout": "[]", "stderr": "", "interrupted": False}}
    obs = compact_events([SpoolEvent(1.0, "PostToolUse", fetch), SpoolEvent(2.0, "PostToolUse", bash)], "/home/dev/payments")
    q = mark("query")
    assert obs[0].text == f"https://docs.example.com/search?q={q}&t={q}&page={q}#x"
    assert obs[1].command == f"curl -s 'https://api.example.com/v1/items?user={q}&page={q}' | jq ."


def test_capture_redacts_a_yaml_line_before_joining_lines() -> None:
    # an Edit's excerpt is one line; `password: x` must be judged while it still starts a line
    from gitmem.capture.payload_fields import clip

    pw = "Quasar" + fake(8, seed=42)
    assert clip(f"db:\n  password: {pw}\n  port: 5432", 200, oneline=True) == f"db: password: {mark('password')} port: 5432"


# -- linear time on hostile input, and still correct --------------------------------------------------


@pytest.mark.parametrize("unit", ["password is ", "'a' 'b' ", "?a=b&", "Key: value1 ", "%41", "mysql -p ", "密码是 ",
                                  "export A=", "AC" + "0" * 32 + " "])
def test_a_megabyte_of_hostile_repetition_still_loses_the_secret_at_its_end(unit: str) -> None:
    token = "ghp_" + fake(36, seed=43)
    text = unit * (1_000_000 // len(unit)) + f" GITHUB_TOKEN={token}"
    out = redact_text(text)
    assert token not in out.text and "github-token" in out.kinds
    assert redact_text(out.text).text == out.text
