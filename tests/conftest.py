"""Shared fixtures: real git repositories, real bare remotes, an isolated home.

Git is never mocked. Every test runs with HOME, GITMEM_HOME and XDG_* in
temporary folders, an empty global git config and a fixed identity, so that
nothing reads or writes the developer's real settings.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from gitmem.git import Repo, discover

FIXTURES = Path(__file__).parent / "data"

AUTHOR_NAME = "Test Author"
AUTHOR_EMAIL = "author@example.com"


def git(cwd: Path | str, *args: str, check: bool = True, input: str | None = None,
        env: dict[str, str] | None = None) -> str:
    """Run real git in ``cwd`` and return stdout (tests' own helper, not gitmem's)."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, input=input,
                          env={**os.environ, **(env or {})}, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig-global"
    gitconfig.write_text("")
    for name in list(os.environ):
        if name.startswith(("GITMEM_", "GIT_", "ANTHROPIC_", "CLAUDE", "CODEX_", "GEMINI_", "GOOGLE_")) or name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME",
                                                                                  "XDG_DATA_HOME", "XDG_CACHE_HOME"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GITMEM_HOME", str(home / "gitmem-home"))
    for xdg in ("CONFIG", "STATE", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{xdg}_HOME", str(home / f"xdg-{xdg.lower()}"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", AUTHOR_NAME)
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", AUTHOR_EMAIL)
    monkeypatch.setenv("GIT_COMMITTER_NAME", AUTHOR_NAME)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", AUTHOR_EMAIL)
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    # A developer's own `claude` login or API key must never be used by a test that did not ask for it.
    monkeypatch.setenv("GITMEM_SUMMARIZER", "offline")
    # The guard: code that falls back to the real home directory gets a folder that does not exist.
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: home))
    return home


def live_processes(root: Path, *markers: bytes) -> list[int]:
    """Live (not zombie) processes whose command line holds one of ``markers`` and whose working directory is
    under ``root``: what a test started in the background, found through /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            if not any(marker in cmd for marker in markers):
                continue
            if Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue
            if os.readlink(f"/proc/{entry}/cwd").startswith(str(root)):
                found.append(int(entry))
        except OSError:
            continue
    return found


def detached_index_builds(root: Path) -> list[int]:
    """Live background index builds (``gitmem.workers index``, started by a brief that found no index)."""
    return live_processes(root, b"gitmem.workers\0index\0")


@pytest.fixture(autouse=True)
def stop_detached_index_builds(tmp_path: Path):
    """A test whose brief started a background index build stops it when it ends (a test that waits for the
    build has seen it finish by then): no build outlives its test."""
    yield
    for pid in detached_index_builds(tmp_path):
        try:
            os.killpg(pid, signal.SIGKILL)  # the builder leads its own session (start_new_session)
        except OSError:
            pass


def make_repo(path: Path, commit: bool = True, branch: str = "main") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", branch)
    if commit:
        (path / "README.md").write_text("hello\n")
        git(path, "add", "README.md")
        git(path, "commit", "-q", "-m", "initial commit")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A work tree with one commit on ``main``."""
    return make_repo(tmp_path / "repo")


@pytest.fixture
def gm_repo(repo: Path) -> Repo:
    """gitmem's view of ``repo``."""
    return discover(repo)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A real bare repository standing in for the team's server."""
    path = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(path))
    return path


@pytest.fixture
def clone(tmp_path: Path, remote: Path) -> Callable[[str], Path]:
    """Factory for more working copies of ``remote``: each is a teammate's machine."""

    def _clone(name: str) -> Path:
        dest = tmp_path / name
        git(tmp_path, "clone", "-q", str(remote), str(dest))
        return dest

    return _clone


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``gitmem <args>`` in this process: (exit code, stdout, stderr)."""
    from gitmem.cli.app import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def hook(tmp_path: Path) -> Path:
    """A stand-in for an installed ``gitmem/_hook.py`` launcher in another environment."""
    path = tmp_path / "site-packages" / "gitmem" / "_hook.py"
    path.parent.mkdir(parents=True)
    path.write_text("import sys\n")
    return path


@pytest.fixture
def in_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``repo`` as the current directory."""
    monkeypatch.chdir(repo)
    return repo
