"""Every command is documented: help text on the command and its parameters,
and an entry in README.md (as sqlite-utils' test_docs.py does).

A new command fails this test until the README shows ``gitmem <command>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from gitmem.cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> dict[str, Any]:
    """``"sub command" -> click command`` for every visible command, sub-apps included."""
    found: dict[str, Any] = {}
    for name, cmd in sorted(group.commands.items()):
        if cmd.hidden:
            continue
        path = (*prefix, name)
        found[" ".join(path)] = cmd
        if hasattr(cmd, "commands"):  # a group: typer vendors its own click, so no isinstance
            found.update(_commands(cmd, path))
    return found


COMMANDS = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


def test_the_app_has_commands() -> None:
    assert {"init", "log", "show", "status"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help_text(name: str) -> None:
    cmd = COMMANDS[name]
    assert (cmd.help or "").strip(), f"`gitmem {name}` has no help text: give its function a docstring"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_parameters_have_help_text(name: str) -> None:
    undocumented = [p.name for p in COMMANDS[name].params
                    if not (getattr(p, "help", None) or "").strip() and p.name != "help"]
    assert not undocumented, f"`gitmem {name}`: add help= to {', '.join(undocumented)}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_in_the_readme(name: str) -> None:
    text = README.read_text(encoding="utf-8")
    pattern = r"\bgitmem\s+" + r"\s+".join(map(re.escape, name.split())) + r"(?![\w-])"
    assert re.search(pattern, text), f"README.md does not mention `gitmem {name}`; document it with an example"


# -- the module map ----------------------------------------------------------------------------------------------

ARCHITECTURE = README.parent / "docs" / "ARCHITECTURE.md"
PACKAGE = README.parent / "src" / "gitmem"


def test_every_module_is_in_the_module_map() -> None:
    """docs/ARCHITECTURE.md lists each module of src/gitmem (as ``store/layout.py``), so the map stays true."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    modules = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
    assert len(modules) > 50
    missing = [m for m in modules if not re.search(rf"(?m)^{re.escape(m)}\s", text)]
    assert not missing, f"docs/ARCHITECTURE.md's module map does not list: {', '.join(missing)}"
    listed = re.findall(r"(?m)^([a-z_/]+\.py)\s", text)
    gone = sorted(set(listed) - set(modules))
    assert not gone, f"docs/ARCHITECTURE.md lists modules that do not exist: {', '.join(gone)}"
