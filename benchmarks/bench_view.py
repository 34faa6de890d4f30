"""Benchmark the memory page (``gitmem view``): build time, file size, and time to first paint in headless Chromium.

Run from the repository root::

    .venv/bin/python benchmarks/bench_view.py                   # 1,000 and 20,000 sessions
    .venv/bin/python benchmarks/bench_view.py --sizes 1000 --repeat 5

For each size a work tree gets a memory ref written with real git plumbing (one ``git fast-import`` stream of
the records ``bench_sync.Pool`` makes: each session two commits, 90 observations, a full summary), and 20
decision files, every other one superseded by the next. Then, per size:

- build: ``gitmem.view.build.build_view`` (reading the ref, the decision files, rendering, writing), best of 3,
  as wall time and as CPU time (this process's and its git children's: steadier on a shared machine);
- size: the page's bytes;
- first paint: the page opened from a file:// URL in a fresh tab of headless Chromium (tests/chromium.py, the
  DevTools protocol over a pipe), ``first-contentful-paint`` from the Paint Timing API, and ``loadEventEnd``
  (the script has parsed the data and drawn the timeline by then); the median of ``--repeat`` openings, each
  in a new tab of one browser, after one untimed opening;
- search: typing a two-word query into the timeline's search box until the count of matches changes (the
  150 ms debounce taken off): the first query (every session's words tokenized then) and a second one.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import bench_sync  # noqa: E402 - the record builder, beside this script
from chromium import Browser, chromium_binary  # noqa: E402

from gitmem.decisions import lifecycle  # noqa: E402
from gitmem.decisions.decision_files import create_decision  # noqa: E402
from gitmem.git import discover  # noqa: E402
from gitmem.view.build import build_view  # noqa: E402

DECISIONS = 20


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (git)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def build_repo(root: Path, sessions: int, pool: bench_sync.Pool) -> Path:
    repo = root / f"repo-{sessions}"
    repo.mkdir()
    bench_sync._git(repo, "init", "-q", "-b", "main")
    rng = random.Random(11)
    commits = []
    for i in range(sessions):
        commits += pool.session(i, bench_sync._sid(rng), bench_sync._month(i * 12 // max(sessions, 1)))
    bench_sync._import(repo, "refs/notes/gitmem", commits)
    previous = None
    for n in range(DECISIONS):
        made = create_decision(repo, f"Decision {n} about module {n % 7}", status="accepted",
                               date=f"2026-{n % 12 + 1:02d}-10", files=[f"src/billing/module{n % 7}.py"],
                               decision="Keep it in one module.")
        if previous is not None and n % 2 == 1:
            lifecycle.supersede(repo, previous, by=made.decision.id)
        previous = made.decision.id
    return repo


FCP = """new Promise((done) => {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') done(e.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => done(-1), 10000);
})"""
SEARCH = """new Promise((done) => {
  const count = document.getElementById('count'), t0 = performance.now();
  new MutationObserver(() => done(performance.now() - t0 - 150)).observe(count, {childList: true, subtree: true});
  const q = document.getElementById('q'); q.value = %s; q.dispatchEvent(new Event('input'));
})"""


def paint(browser: Browser, url: str) -> tuple[float, float, float, float]:
    tab = browser.page()
    tab.open(url)
    fcp = tab.eval(FCP)
    load = tab.eval("performance.getEntriesByType('navigation')[0].loadEventEnd")
    first = tab.eval(SEARCH % "'retry budget'")
    second = tab.eval(SEARCH % "'billing tests'")
    problems = tab.problems()
    if problems:
        raise SystemExit(f"the page reported problems: {problems}")
    tab.call("Page.close")
    return float(fcp), float(load), float(first), float(second)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    binary, why_not = chromium_binary()
    if binary is None:
        print(f"bench_view: {why_not}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="gitmem-bench-view-") as tmp:
        root = Path(tmp)
        bench_sync._isolate(root)
        pool = bench_sync.Pool()
        rows = []
        for size in [int(s) for s in args.sizes.split(",")]:
            repo = build_repo(root, size, pool)
            builds, cpus = [], []
            for _ in range(3):
                t0, c0 = time.perf_counter(), _cpu()
                result = build_view(discover(repo), root / f"page-{size}.html")
                builds.append(time.perf_counter() - t0)
                cpus.append(_cpu() - c0)
            with Browser(binary, timeout=120) as browser:
                paint(browser, result.path.as_uri())   # warm-up
                runs = [paint(browser, result.path.as_uri()) for _ in range(args.repeat)]
            rows.append((size, min(builds), min(cpus), result.bytes,
                         *(statistics.median(r[i] for r in runs) for i in range(4))))
            print(f"{size} sessions: build {min(builds):.2f} s ({min(cpus):.2f} s CPU), {result.bytes / 2**20:.1f} MiB, "
                  f"first paint {rows[-1][4]:.0f} ms, load end {rows[-1][5]:.0f} ms, search {rows[-1][6]:.0f} / "
                  f"{rows[-1][7]:.0f} ms ({result.observations_left_out} observations left out of the page)",
                  flush=True)
    print("\n| sessions | build (CPU) | page size | first contentful paint | load event end | first / next search |")
    print("|---|---|---|---|---|---|")
    for size, build, cpu, size_b, fcp, load, first, second in rows:
        print(f"| {size:,} | {build:.2f} s ({cpu:.2f} s) | {size_b / 2**20:.1f} MiB | {fcp:.0f} ms | {load:.0f} ms "
              f"| {first:.0f} / {second:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
