"""The GITMEM_* process switches: named once (gitmem.switches), apart from the settings, documented."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import gitmem
from gitmem import switches
from gitmem.config import Config, gitmem_home

PACKAGE = Path(gitmem.__file__).parent
README = PACKAGE.parents[1] / "README.md"
NAME = re.compile(rb"(?<=[\"'`])GITMEM_[A-Z][A-Z_]*[A-Z]")  # in a string or docs, not a constant's name


def test_no_switch_is_named_like_a_setting_override() -> None:
    overrides = {f"GITMEM_{f.name.upper()}" for f in dataclasses.fields(Config)}
    assert overrides and not overrides & set(switches.SWITCHES)


def test_every_gitmem_variable_the_code_names_is_a_switch_or_a_setting() -> None:
    overrides = {f"GITMEM_{f.name.upper()}" for f in dataclasses.fields(Config)}
    found = {}
    for path in PACKAGE.rglob("*.py"):
        for name in NAME.findall(path.read_bytes()):
            found.setdefault(name.decode(), path.name)
    assert "GITMEM_NO_WORKER" in found and found["GITMEM_NO_WORKER"] in ("hook.py", "switches.py")
    unknown = {n: f for n, f in found.items() if n not in switches.SWITCHES and n not in overrides}
    assert not unknown, f"name these in gitmem.switches (with their meaning) or make them settings: {unknown}"


def test_the_hook_reads_the_switches_by_their_names() -> None:
    text = (PACKAGE / "hook.py").read_bytes()
    read = {n.decode() for n in re.findall(rb'_env\(b"(GITMEM_[A-Z_]+)"\)', text)}
    assert read == {switches.DISABLE, switches.NO_WORKER, switches.PYTHON, switches.HOME}


def test_the_readme_documents_every_switch() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## Environment variables" in text
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    missing = [n for n in switches.SWITCHES if f"`{n}`" not in section]
    assert not missing, f"README's Environment variables section lacks {missing}"


def test_switches_are_read_from_the_environment_given(tmp_path: Path) -> None:
    assert switches.worker_python({switches.PYTHON: "/opt/py"}) == "/opt/py"
    assert switches.worker_python({}) and switches.worker_python({switches.PYTHON: ""}) != ""
    assert switches.merge_engine({switches.MERGE_ENGINE: "union"}) == "union"
    assert switches.merge_engine({}) is None
    assert gitmem_home({switches.HOME: str(tmp_path)}) == tmp_path
