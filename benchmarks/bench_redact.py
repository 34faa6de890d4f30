"""Redaction: what leaks, what is wrongly redacted, and how fast, against a baseline revision.

Run from the repository root::

    .venv/bin/python benchmarks/bench_redact.py                    # against where this branch left main
    .venv/bin/python benchmarks/bench_redact.py --baseline b35d573 --json

Each side runs in its own interpreter (the baseline's ``src/gitmem`` is extracted with ``git archive``
into a temporary folder), on the same corpus (``tests/data/secrets``: kinds x contexts, benign text):

- leaked / total per context, through capture (a real hook payload compacted and redacted as the flush
  worker does) and through ``redact_text`` (summarizer input, proposed decisions);
- false positives: benign strings that redaction changed;
- speed (best of three runs): MB/s of ``redact_text`` on short fields (the corpus texts one call each), on one 1 MB block of
  ordinary text, a 2,000-observation session through ``redact_observation``, and the worst of a set of
  1-2 MB adversarial inputs (seconds).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "secrets" / "corpus.py"

ADVERSARIAL = {
    "sk- x 300k": "sk-" * 300_000, "// x 400k": "//" * 400_000, "key + 500k spaces": "key" + " " * 500_000 + "x",
    "password: a x 300k": "password:" + " a" * 300_000, "a= x 300k": "a=" * 300_000, '"k": " x 150k': '"k": "' * 150_000,
    "://a: x 150k": "://a:" * 150_000, "x x 2M": "x" * 2_000_000, "Ab1 x 700k": "Ab1" * 700_000,
    "newlines 1M": "\n" * 1_000_000, "ellipsis 500k": "…" * 500_000, "%41 x 300k": "%41" * 300_000,
    "password is x 100k": "password is " * 100_000, "'a' 'b' x 150k": "'a' 'b' " * 150_000,
    "mysql -p x 100k": "mysql -p " * 100_000, "?a=b& x 200k": "?a=b&" * 200_000, "key: value x 100k": "Key: value1 " * 100_000,
}


def load_corpus():
    spec = importlib.util.spec_from_file_location("secret_corpus", CORPUS)
    module = importlib.util.module_from_spec(spec)
    sys.modules["secret_corpus"] = module
    spec.loader.exec_module(module)
    return module


REPEAT = 3  # speed figures are the best of three runs: the machine is shared and noisy


def rate(texts: list[str], fn) -> float:
    size = sum(len(t.encode()) for t in texts)
    return size / min(_timed(lambda: [fn(t) for t in texts]) for _ in range(REPEAT)) / 1e6


def session(corpus, n: int = 2000) -> list:
    """``n`` observations of ordinary work (commands, paths, prose, logs), one in fifty with a secret."""
    from gitmem.store.records import Observation

    benign, cases = corpus.benign(), corpus.cases()
    out = []
    for i in range(n):
        b = benign[i % len(benign)]
        secret = cases[(i * 7919) % len(cases)].text if i % 50 == 0 else ""
        out.append(Observation(ts="2026-12-03T09:00:00Z", kind="command", tool="Bash", text=b[:300],
                               command=(secret or benign[(i * 31) % len(benign)])[:500], outcome="ok",
                               detail=benign[(i * 17) % len(benign)][:500], files=("src/gitmem/redact/context.py",),
                               event_id=f"toolu_{i:06d}"))
    return out


def measure() -> dict:
    corpus = load_corpus()
    from gitmem.redact import redact_observation, redact_text

    redact_text("warm up: ghp_" + "a1B2" * 9)  # lazy imports (detect-secrets) are paid once, not measured
    cases = corpus.cases()
    leaks = {path: {} for path in corpus.PATHS}
    for path, run in corpus.PATHS.items():
        for case in cases:
            row = leaks[path].setdefault(case.context.name, [0, 0])
            row[1] += 1
            row[0] += corpus.leaked(case, run(case))
    fps = corpus.false_positives()
    texts = [c.text for c in cases] + corpus.benign()
    block = "\n".join(corpus.benign())
    block = (block * (1_000_000 // len(block) + 1))[:1_000_000]
    observations = session(corpus)
    session_s = min(_timed(lambda: [redact_observation(o) for o in observations]) for _ in range(REPEAT))
    session_kb = sum(len(o.text) + len(o.command) + len(o.detail) + sum(map(len, o.files)) for o in observations) / 1e3
    worst = max(((name, _timed(lambda: redact_text(text))) for name, text in ADVERSARIAL.items()), key=lambda x: x[1])
    return {
        "kinds": len(corpus.kinds()), "contexts": len(corpus.contexts()), "cases": len(cases),
        "leaks": leaks, "false_positives": [len(fps), len(corpus.benign())], "fp_examples": [a[:80] for a, _ in fps[:5]],
        "fields_mb_s": rate(texts, redact_text), "block_mb_s": rate([block], redact_text),
        "session_s": session_s, "session_kb": session_kb, "adversarial_worst": worst,
    }


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_side(src: Path | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src) if src else ""}
    out = subprocess.run([sys.executable, __file__, "--measure"], env=env, capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return json.loads(out.stdout)


def baseline(rev: str, tmp: Path) -> Path:
    archive = subprocess.run(["git", "archive", rev, "src/gitmem"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    return tmp / "src"


def table(base: dict, new: dict, rev: str) -> str:
    lines = [f"corpus: {new['kinds']} kinds x {new['contexts']} contexts = {new['cases']} cases (neutral-name contexts"
             " skip hex and password kinds)", "",
             f"| context | capture {rev} | capture now | text {rev} | text now |", "|---|---|---|---|---|"]
    for ctx in new["leaks"]["capture"]:
        cells = [f"{side['leaks'][p][ctx][0]}/{side['leaks'][p][ctx][1]}" for p in ("capture", "text") for side in (base, new)]
        lines.append(f"| {ctx} | " + " | ".join(cells) + " |")
    total = [f"{sum(r[0] for r in side['leaks'][p].values())}/{sum(r[1] for r in side['leaks'][p].values())}"
             for p in ("capture", "text") for side in (base, new)]
    lines += [f"| **all** | " + " | ".join(total) + " |", "",
              f"| measure | {rev} | now |", "|---|---|---|",
              f"| false positives (benign strings changed) | {base['false_positives'][0]}/{base['false_positives'][1]} "
              f"| {new['false_positives'][0]}/{new['false_positives'][1]} |",
              f"| redact_text, short fields (MB/s) | {base['fields_mb_s']:.2f} | {new['fields_mb_s']:.2f} |",
              f"| redact_text, one 1 MB block (MB/s) | {base['block_mb_s']:.2f} | {new['block_mb_s']:.2f} |",
              f"| 2,000-observation session ({new['session_kb']:.0f} kB), redact_observation (s) | "
              f"{base['session_s']:.3f} | {new['session_s']:.3f} |",
              f"| worst adversarial input (s) | {base['adversarial_worst'][1]:.2f} ({base['adversarial_worst'][0]}) | "
              f"{new['adversarial_worst'][1]:.2f} ({new['adversarial_worst'][0]}) |"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="git revision to compare with (default: where this branch left main)")
    parser.add_argument("--json", action="store_true", help="print both sides as JSON")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)  # one side, in this interpreter
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    if not args.baseline:
        args.baseline = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True,
                                       check=True).stdout.strip()[:9]
    with tempfile.TemporaryDirectory() as tmp:
        base = run_side(baseline(args.baseline, Path(tmp)))
    new = run_side(ROOT / "src")
    if args.json:
        print(json.dumps({"baseline": args.baseline, "before": base, "after": new}, indent=1))
    else:
        print(table(base, new, args.baseline))


if __name__ == "__main__":
    main()
