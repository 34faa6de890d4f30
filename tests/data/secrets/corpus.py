"""The redaction corpus: fake secrets of many kinds, each placed in many contexts, and benign text.

Read by tests/test_redact.py and benchmarks/bench_redact.py (load it by path: tests/ is not a package).
Values are generated from the format descriptions in kinds.txt with a fixed seed, so the repository holds
no string a secret scanner would flag and every run sees the same corpus.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import string
import struct
import urllib.parse
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
SEED = 20261203

_ALPHABETS = {
    "A": string.ascii_letters + string.digits,
    "U": string.ascii_uppercase + string.digits,
    "u": string.ascii_uppercase,
    "l": string.ascii_lowercase,
    "d": string.digits,
    "h": "0123456789abcdef",
    "H": "0123456789ABCDEF",
    "b": string.ascii_letters + string.digits + "+/",
    "q": string.ascii_letters + string.digits + "+/",
    "w": string.ascii_letters + string.digits + "-_",
    "s": string.ascii_lowercase + string.digits,
    "z": string.ascii_letters + string.digits + "_~.-",
    "B": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
}
_WORDS = ("Quasar", "hunter", "Falcon", "maple", "Orbit", "velvet", "Tundra", "cobalt", "Sierra", "pepper",
          "Nimbus", "walrus", "Zephyr", "tango", "Copper", "lantern", "Mosaic", "ember", "Glacier", "pixel")
_LABELS = {  # "password" for password kinds, "API key" for the rest
    "password": {"de": "Passwort", "fr": "mot de passe", "es": "contraseña", "pt": "senha", "zh": "密码"},
    "other": {"de": "API-Schlüssel", "fr": "clé d'API", "es": "clave de la API", "pt": "chave da API", "zh": "API密钥"},
}
_PART = re.compile(r"\{(!?)([A-Za-z])(\d+)\}|\{uuid\}|\{P\}")
_SLOT = re.compile(r"\{(v|vq|v1|v2|env|key|camel|hdr|label|de|fr|es|pt|zh)\}")


@dataclass(frozen=True)
class Kind:
    name: str
    cls: str          # token | hex | password
    env: str
    fmt: str


@dataclass(frozen=True)
class Context:
    name: str
    carrier: str      # bash | fetch | edit | prompt | stop | error
    scope: str        # all | shaped
    template: str


@dataclass(frozen=True)
class Case:
    kind: Kind
    context: Context
    value: str
    secret_parts: tuple[str, ...]  # the generated characters that must not survive, each as it appears in text
    text: str


def _rows(name: str, fields: int) -> list[list[str]]:
    rows = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([f.strip() for f in line.split("|", fields - 1)])
    return rows


def kinds() -> list[Kind]:
    return [Kind(*row) for row in _rows("kinds.txt", 4)]


def contexts() -> list[Context]:
    return [Context(n, c, s, t.replace("\\n", "\n")) for n, c, s, t in _rows("contexts.txt", 4)]


def _random(rng: random.Random, cls: str, n: int) -> str:
    alphabet = _ALPHABETS[cls]
    groups = [g for g in (string.ascii_uppercase, string.ascii_lowercase, string.digits) if set(g) & set(alphabet)]
    while True:  # key material shows every class its alphabet has (a short all-digit "hex" run is not a key)
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if n < 8 or all(set(s) & set(g) for g in groups):
            return urllib.parse.quote(s, safe="") if cls == "q" else s


def _password(rng: random.Random) -> str:
    a, b = rng.sample(_WORDS, 2)
    n = rng.randint(10, 99)
    form = rng.randrange(5)
    if form == 0:
        return f"{a.lower()}{n % 10}-{b}-{n}"           # hunter2-Quasar-77
    if form == 1:
        return f"My${a.lower()}{b}{n}!"                  # My$falconOrbit42!
    if form == 2:
        return f"{a}{n}#{b.lower()}"                     # Falcon42#orbit
    if form == 3:
        return f"{a[0]}@{a[1:].lower()}{n}{b[:3].lower()}%"  # F@lcon42orb%
    return f"{a.lower()}.{b.lower()}.{n}.{rng.choice('!?*&')}"  # maple.orbit.42.!


def make_value(kind: Kind, seed: int = 0) -> tuple[str, tuple[str, ...]]:
    """A fresh fake value for ``kind`` and its secret parts (random runs of 6+ characters)."""
    rng = random.Random(f"{SEED}-{kind.name}-{seed}")
    parts: list[str] = []

    def expand(m: re.Match) -> str:
        if m.group(0) == "{uuid}":
            out = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        elif m.group(0) == "{P}":
            out = _password(rng)
        else:
            out = _random(rng, m.group(2), int(m.group(3)))
            if m.group(1):
                return out
        if len(out) >= 6:
            parts.append(out)
        return out
    return _PART.sub(expand, kind.fmt), tuple(parts)


def _words(env: str) -> list[str]:
    return [w.lower() for w in env.split("_") if w]


def fill(template: str, kind: Kind, value: str) -> str:
    words = _words(kind.env)
    half = len(value) // 2
    labels = _LABELS["password" if kind.cls == "password" else "other"]
    slots = {
        "v": value, "vq": urllib.parse.quote(value, safe=""), "v1": value[:half], "v2": value[half:],
        "env": kind.env, "key": "_".join(words), "camel": words[0] + "".join(w.title() for w in words[1:]),
        "hdr": "-".join(w.title() for w in words), "label": " ".join(words), **labels,
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def cases(seed: int = 0) -> list[Case]:
    """Every kind in every context it applies to; another ``seed`` draws other values of the same formats."""
    out = []
    for kind in kinds():
        value, parts = make_value(kind, seed)
        for ctx in contexts():
            if ctx.scope == "shaped" and kind.cls != "token":
                continue
            text = fill(ctx.template, kind, value)
            forms = {p for p in parts} | {urllib.parse.quote(p, safe="") for p in parts}
            if "{v1}" in ctx.template:  # a part cut by the split: each piece of 5+ characters must go too
                half = len(value) // 2
                for p in parts:
                    at = value.find(p)
                    if at < half < at + len(p):
                        forms |= {q for q in (p[:half - at], p[half - at:]) if len(q) >= 5}
            out.append(Case(kind, ctx, value, tuple(sorted(forms)), text))
    return out


def leaked(case: Case, output: str, window: int = 8) -> bool:
    """Whether ``output`` still shows ``window`` consecutive characters of a secret part of ``case``."""
    output = re.sub(r"\[REDACTED:[a-z0-9-]+\]", "[]", output)  # a marker's kind ("rubygems-key") shows nothing
    for part in case.secret_parts:
        w = min(window, len(part))
        for i in range(len(part) - w + 1):
            piece = part[i:i + w]
            if piece in output and piece not in case.context.template:
                return True
    return False


# -- benign text -------------------------------------------------------------------------------


def _png(seed: int = 0, size: int = 16) -> str:
    """A small PNG of noisy pixels, base64-encoded: high entropy, like a real screenshot's bytes."""
    rng = random.Random(f"{SEED}-png-{seed}")
    raw = b"".join(b"\x00" + bytes(rng.getrandbits(8) for _ in range(size * 3)) for _ in range(size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def benign() -> list[str]:
    slots = {
        "sha1": hashlib.sha1(b"gitmem").hexdigest(), "sha256": hashlib.sha256(b"gitmem").hexdigest(),
        "md5": hashlib.md5(b"gitmem").hexdigest(), "uuid": str(uuid.UUID(int=0xA0EF3C6B7E934B748A0A36B4DE04A3D4)),
        "png": _png(), "b64text": base64.b64encode(b"the quick brown fox jumps over the lazy dog").decode(),
        "b64sha512": base64.b64encode(hashlib.sha512(b"left-pad").digest()).decode(),
        "b64sha256": base64.b64encode(hashlib.sha256(b"text").digest()).decode(),
        "sha256_00": hashlib.sha256(b"286").hexdigest(),  # begins with "00", like an Okta token's prefix
    }
    out = []
    for line in (HERE / "benign.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            line = re.sub(r"\{(sha1|sha256_00|sha256|md5|uuid|png|b64text|b64sha512|b64sha256)\}", lambda m: slots[m.group(1)], line)
            out.append(line.replace("\\n", "\n").replace("\\t", "\t"))
    return out


# -- the paths a secret takes ----------------------------------------------------------------------

SESSION = "5e55e0a1-0000-4000-8000-00000000c0de"
ROOT = "/home/dev/payments"


def hook_payload(case: Case) -> dict:
    """The Claude Code hook payload (real shapes, see tests/data/session-hooks.jsonl) that carries ``case.text``."""
    base = {"session_id": SESSION, "transcript_path": f"/home/dev/.claude/projects/x/{SESSION}.jsonl", "cwd": ROOT,
            "permission_mode": "default", "tool_use_id": "toolu_" + hashlib.sha1(case.text.encode()).hexdigest()[:22]}
    carrier, text = case.context.carrier, case.text
    if carrier == "bash":
        return {**base, "hook_event_name": "PostToolUse", "tool_name": "Bash",
                "tool_input": {"command": text, "description": "Run it"},
                "tool_response": {"stdout": "", "stderr": "", "interrupted": False, "isImage": False}}
    if carrier == "fetch":
        return {**base, "hook_event_name": "PostToolUse", "tool_name": "WebFetch",
                "tool_input": {"url": text, "prompt": "List the items"},
                "tool_response": {"bytes": 5120, "code": 200, "codeText": "OK", "result": "3 items", "durationMs": 311,
                                  "url": text}}
    if carrier == "edit":
        return {**base, "hook_event_name": "PostToolUse", "tool_name": "Edit",
                "tool_input": {"file_path": f"{ROOT}/config/settings.conf", "old_string": "# settings",
                               "new_string": text, "replace_all": False},
                "tool_response": {"filePath": f"{ROOT}/config/settings.conf", "oldString": "# settings",
                                  "newString": text, "structuredPatch": []}}
    if carrier == "prompt":
        return {**base, "hook_event_name": "UserPromptSubmit", "prompt": text, "prompt_id": "p-" + base["tool_use_id"]}
    if carrier == "stop":
        return {**base, "hook_event_name": "Stop", "stop_hook_active": False, "last_assistant_message": text}
    if carrier == "error":
        return {**base, "hook_event_name": "PostToolUseFailure", "tool_name": "Bash",
                "tool_input": {"command": "./scripts/run.sh", "description": "Run it"},
                "error": "Exit code 1\n" + text, "is_interrupt": False}
    raise ValueError(f"unknown carrier {carrier!r}")


def through_capture(case: Case) -> str:
    """Everything the flush worker keeps of ``case`` (observations, and the session facts sent to a summarizer)."""
    from gitmem import redact
    from gitmem.capture import compaction

    event = compaction.SpoolEvent(1764753242.0, hook_payload(case)["hook_event_name"], hook_payload(case))
    observations = [redact.redact_observation(o)[0] for o in compaction.compact_events([event], ROOT)]
    facts = compaction.session_facts([event], ROOT, observations)
    texts = [f for o in observations for f in (o.text, o.command, o.detail, o.outcome, *o.files)]
    texts += [*facts.prompts, *facts.commands, facts.last_assistant_message]
    return "\n".join(texts)


def through_text(case: Case) -> str:
    """What ``redact_text`` (summarizer input, proposed decisions) leaves of ``case``."""
    from gitmem.redact import redact_text

    return redact_text(case.text).text


PATHS = {"capture": through_capture, "text": through_text}


def measure(selected: list[Case] | None = None) -> dict[str, dict[str, list[Case]]]:
    """{path: {context: [leaked cases]}} plus the totals under the key ``"_total"``."""
    selected = cases() if selected is None else selected
    result: dict[str, dict[str, list[Case]]] = {}
    for path, run in PATHS.items():
        per = result.setdefault(path, {})
        for case in selected:
            per.setdefault(case.context.name, [])
            if leaked(case, run(case)):
                per[case.context.name].append(case)
    return result


def false_positives() -> list[tuple[str, str]]:
    """(benign text, what redaction made of it) for every benign string that redaction changed."""
    from gitmem.redact import redact_text

    return [(t, redact_text(t).text) for t in benign() if redact_text(t).text != t]
