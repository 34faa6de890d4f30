"""What a user's `pip install gitmem` gets: the wheel and sdist build, install offline into a clean venv
from the locked wheels, and run.

`make test` downloads the locked wheels (hash-checked) into `.cache/wheels` before the suite runs; this
test installs the freshly built wheel from there with `--no-index`, so it needs no network and proves
that the wheel carries everything gitmem reads at run time (`templates/`, `data/`). Skipped, with the
reason, when the wheelhouse is missing (the suite was started without `make test`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import gitmem
from tests.conftest import make_repo

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = ROOT / ".cache" / "wheels"
RUNTIME_FILES = ("gitmem/templates/config.yaml", "gitmem/templates/summarize-system.md",
                 "gitmem/templates/decision.md", "gitmem/templates/pre-push.sh",
                 "gitmem/data/demo-session.jsonl", "gitmem/_hook.py", "gitmem/hook.py",
                 "gitmem/view/assets/page.html", "gitmem/view/assets/page.css", "gitmem/view/assets/page.js")


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else os.environ.copy())
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel built from this checkout with the locked build backend (no network)."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)], cwd=out)
    return out


def test_wheel_and_sdist_carry_the_runtime_files(dist: Path):
    (wheel,) = dist.glob("gitmem-*.whl")
    (sdist,) = dist.glob("gitmem-*.tar.gz")
    assert wheel.name.startswith(f"gitmem-{gitmem.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in RUNTIME_FILES if name not in names]
    assert not missing, f"the wheel lacks {missing}"
    entry_points = zipfile.ZipFile(wheel).read(f"gitmem-{gitmem.__version__}.dist-info/entry_points.txt").decode()
    assert "gitmem = gitmem.entry:main" in entry_points
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    for needed in ("pyproject.toml", "templates/config.yaml", "src/gitmem/data/demo-session.jsonl",
                   "requirements/test.lock"):
        assert needed in members, f"the sdist lacks {needed}"


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel and its dependencies installed offline from the locked wheels."""
    if not any(WHEELHOUSE.glob("*.whl")):
        pytest.skip(f"no locked wheels in {WHEELHOUSE}: run the suite through `make test`, which downloads them")
    venv = tmp_path_factory.mktemp("venv") / "v"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent)
    (wheel,) = dist.glob("gitmem-*.whl")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
          "--no-index", "--find-links", str(WHEELHOUSE), str(wheel)], cwd=venv.parent, timeout=600)
    return venv


def _clean_env(venv: Path) -> dict[str, str]:
    """The test's isolated environment with only the clean venv's bin on PATH ahead of the system's."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    dev_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + [p for p in env["PATH"].split(os.pathsep) if p != dev_bin])
    return env


def test_installed_wheel_is_not_the_source_tree(installed: Path):
    where = _run([str(installed / "bin" / "python"), "-c", "import gitmem; print(gitmem.__file__)"],
                 cwd=installed, env=_clean_env(installed)).strip()
    assert where.startswith(str(installed)) and "site-packages" in where


def test_installed_wheel_runs_init_hooks_and_context(installed: Path, tmp_path: Path):
    env = _clean_env(installed)
    gm = str(installed / "bin" / "gitmem")
    assert _run([gm, "--version"], cwd=tmp_path, env=env).strip() == f"gitmem {gitmem.__version__}"
    repo = make_repo(tmp_path / "repo")
    _run([gm, "init"], cwd=repo, env=env)
    settings = json.loads((repo / ".claude" / "settings.local.json").read_text())
    commands = {event: groups[0]["hooks"][0]["command"] for event, groups in settings["hooks"].items()}
    assert str(installed / "bin" / "python") in commands["PostToolUse"]
    assert re.search(re.escape(str(installed)) + r"/lib/python[\d.]+/site-packages/gitmem/_hook\.py",
                     commands["PostToolUse"])
    session = "5f0c2a8e-1b7d-4c3e-9a61-2f4d8b7e0c19"
    base = {"session_id": session, "cwd": str(repo), "transcript_path": str(tmp_path / "t.jsonl")}
    events = [
        {**base, "hook_event_name": "SessionStart", "source": "startup"},
        {**base, "hook_event_name": "UserPromptSubmit", "prompt": "Add a retry budget to the fetch client"},
        {**base, "hook_event_name": "PostToolUse", "tool_name": "Bash",
         "tool_input": {"command": "pytest -q tests/test_fetch.py"}, "tool_response": {"stdout": "3 passed"}},
        {**base, "hook_event_name": "Stop", "stop_hook_active": False},
    ]
    for event in events:
        proc = subprocess.run(commands[event["hook_event_name"]], shell=True, input=json.dumps(event).encode(),
                              cwd=repo, env={**env, "GITMEM_NO_WORKER": "1"}, capture_output=True, timeout=60)
        assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
    _run([gm, "flush"], cwd=repo, env=env)
    log = _run([gm, "log", "--json"], cwd=repo, env=env)
    (row,) = json.loads(log)
    assert row["id"] == session and "retry budget" in row["title"]
    context = _run([gm, "context"], cwd=repo, env=env)
    assert "<gitmem-memory" in context and "retry budget" in context
    page = tmp_path / "memory.html"
    assert "1 session, 0 decisions" in _run([gm, "view", "--out", str(page)], cwd=repo, env=env)
    assert session in page.read_text(encoding="utf-8")   # the page's assets came with the wheel


def test_installed_wheel_runs_the_demo(installed: Path, tmp_path: Path):
    out = _run([str(installed / "bin" / "python"), "-m", "gitmem.app.demo"], cwd=tmp_path, env=_clean_env(installed))
    assert "the fake key in the replayed command is in the ref: False" in out
    assert "<gitmem-memory" in out


def _pins(lock: Path) -> dict[str, set[str]]:
    """Package name -> the versions a lock pins (more than one where markers fork by Python version)."""
    from packaging.utils import canonicalize_name

    pins: dict[str, set[str]] = {}
    for line in lock.read_text().splitlines():
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if m:
            pins.setdefault(canonicalize_name(m.group(1)), set()).add(m.group(2))
    return pins


def test_locks_pin_every_declared_dependency_within_its_range():
    """A range changed in pyproject.toml without `make lock` would install something else than it says."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    demo, test = _pins(ROOT / "requirements" / "demo.lock"), _pins(ROOT / "requirements" / "test.lock")
    build = [line for line in (ROOT / "requirements" / "build.in").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    extras = project["optional-dependencies"]
    # The test extra names other extras of gitmem itself ("gitmem[semantic]"): their dependencies are in test.lock.
    test_specs = [d for d in extras["test"] if canonicalize_name(Requirement(d).name) != "gitmem"]
    test_specs += [d for spec in extras["test"] if canonicalize_name(Requirement(spec).name) == "gitmem"
                   for extra in Requirement(spec).extras for d in extras[extra]]
    for spec, locks in ([(d, (demo, test)) for d in project["dependencies"] + build]
                        + [(d, (test,)) for d in test_specs]):
        req = Requirement(spec)
        for pins in locks:
            versions = pins.get(canonicalize_name(req.name))
            assert versions, f"{req.name} is declared but not locked: run `make lock`"
            assert all(req.specifier.contains(v, prereleases=True) for v in versions), \
                f"{req.name} {sorted(versions)} is outside `{req.specifier}`: run `make lock`"
    for name, versions in demo.items():
        assert test.get(name) == versions, f"{name}: demo.lock {versions} and test.lock {test.get(name)} differ"
    for lock in ("demo.lock", "test.lock", "pip.lock"):
        lines = (ROOT / "requirements" / lock).read_text().splitlines()
        unhashed = [line for i, line in enumerate(lines)
                    if re.match(r"[A-Za-z0-9]", line) and not lines[i + 1].lstrip().startswith("--hash=sha256:")]
        assert not unhashed, f"{lock}: pins without hashes: {unhashed[:3]}"
