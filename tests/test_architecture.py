"""The parts of gitmem and the rules between them, checked by parsing every module with ``ast``.

A module's part is its folder (``gitmem/store/...`` is in ``store``); the top-level modules are listed one by one
below. The parts are ordered; a module may import modules of its own part or of a part below it, never above::

    foundation < git < store < redact < capture < compress < decisions < index < team < integrations < agents < view
    < app
    < front

plus two special groups: the hook side (``hook``, ``_hook``, ``recall``, ``fence``: standard library only, so any
module may import them) and the front ends (the CLI, the MCP server, the file watcher, the workers, the console
script), which sit on top. Imports inside functions count too: a lazy import is still a dependency.

Also checked here: heavy third-party packages stay behind one module each, the hook stays import-light, no module
outside ``gitmem/git/`` builds a git command line, no module grows past ~500 lines, the parts below the
application never print, and nothing in ``src/gitmem`` is reached only by tests.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import gitmem

PACKAGE_DIR = Path(gitmem.__file__).parent

# The parts, lowest first, and what each holds. A subpackage of gitmem that is not here fails the first test.
PARTS: dict[str, str] = {
    "foundation": "errors, settings, process switches, file and lock helpers, globs, YAML text: no gitmem part",
    "git": "gitmem/git/: the only code that runs git, one named function per plumbing call",
    "store": "gitmem/store/: records, the memory ref's layout, reading and writing it",
    "redact": "gitmem/redact/: secrets scrubbed from text and observations before anything is stored or sent",
    "capture": "gitmem/capture/: the hook's spool read back, compacted into observations and session facts",
    "compress": "gitmem/compress/: one summarizer call per session: offline, Anthropic API, the claude CLI",
    "decisions": "gitmem/decisions/: decision files people own, their life, `gitmem check`",
    "index": "gitmem/index/: the search index built from the ref and the decision files, and its queries",
    "team": "gitmem/team/: sharing the memory ref: set-up, fetch, merge, push, after a push",
    "integrations": "gitmem/integrations/: the agents and tools gitmem plugs into (settings, MCP config, plugin)",
    "agents": "gitmem/agents/: the coding agents besides Claude Code, one module per agent: hooks, trust, install",
    "view": "gitmem/view/: the memory as one self-contained HTML page, built from the ref and the decision files",
    "app": "gitmem/app/: the jobs a command or a worker runs, composed from the parts",
    "front": "the front ends: the CLI (gitmem/cli/), the MCP server, the file watcher, workers, the console script",
}
PART_ORDER = list(PARTS)

# Top-level modules, by part. A new top-level module must be placed here; the first test fails until it is.
TOP_LEVEL: dict[str, str] = {
    "gitmem": "foundation",               # __init__: __version__ only
    "gitmem.errors": "foundation",        # the one error hierarchy and the exit codes
    "gitmem.switches": "foundation",      # the GITMEM_* process switches, named and read in one place
    "gitmem.config": "foundation",        # settings and paths
    "gitmem.atomic": "foundation",        # replacing a file whole through a temporary file
    "gitmem.lock_wait": "foundation",     # an exclusive file lock waited for until a deadline
    "gitmem.globs": "foundation",         # the one glob dialect (git wildmatch via pathspec)
    "gitmem.worktree_files": "foundation",  # regular files inside the work tree only: no links, bounded reads
    "gitmem.yaml_text": "foundation",     # YAML loaded safely and dumped in gitmem's form; front matter split
    "gitmem.yaml_subset": "foundation",   # YAML in the shape gitmem's dumper writes, read without PyYAML's constructor
    "gitmem.ref_files": "foundation",     # refs read from git's files (loose, packed-refs) where that can be told
    "gitmem.since": "foundation",         # the dates and ages a user types (--since 2w)
    "gitmem.progress": "foundation",      # the progress callback a long job reports through
    "gitmem.entry": "front",              # the console script
    "gitmem.__main__": "front",
    "gitmem.workers": "front",            # `python -m gitmem.workers <job>`: the detached workers
    "gitmem.sync": "front",               # `python -m gitmem.sync --after-push`: the line an older gitmem wrote
}
# Standard library only (the hook runs them on every tool call or prompt); any module may import them.
HOOK_SIDE = {"gitmem.hook", "gitmem._hook", "gitmem.recall", "gitmem.fence"}
# Modules inside a part's folder that are front ends: they run the application's jobs, so they sit on top.
FRONT_ENDS_IN_PARTS = ("gitmem.integrations.mcp_server", "gitmem.integrations.mcp_tools", "gitmem.integrations.watch")

# Third-party packages (top-level names) and the only modules allowed to import them.
EXCLUSIVE_IMPORTS = {
    "typer": {"gitmem.cli.*"},
    "click": {"gitmem.cli.*"},
    "rich": {"gitmem.cli.*"},           # cli/render.py: display widths (rich.cells), inside a function
    "anthropic": {"gitmem.compress.anthropic_api"},
    "watchdog": {"gitmem.integrations.watch*"},
    "git": {"gitmem.git.*"},            # GitPython, if it is ever used, stays behind gitmem.git
    "mcp": {"gitmem.integrations.mcp_server*"},
    "pydantic": {"gitmem.integrations.mcp_server*"},
    "wordllama": {"gitmem.index.embedding"},
    "tokenizers": {"gitmem.index.embedding"},    # the semantic model's tokenizer and weights, read from its wheel
    "safetensors": {"gitmem.index.embedding"},     # the optional semantic extra: loaded offline in one place
    "numpy": {"gitmem.index.embedding", "gitmem.index.vectors*", "gitmem.index.neighbours*"},
}

# What hook.py may import at module level: modules the interpreter has already
# loaded at start-up plus tiny C modules (see MEASUREMENTS.md). posix is os's C core.
HOOK_TOP_LEVEL = {"os", "posix", "sys", "fcntl", "errno", "time"}

MAX_LINES = 500
# Modules allowed past MAX_LINES, each with the reason.
LONG_MODULES = {
    "gitmem.hook": (580, "the launcher imports it alone (stdlib only, one compiled file): it cannot be split "
                         "without a second import on every tool call"),
}


@dataclass(frozen=True)
class Import:
    importer: str
    target: str          # a gitmem module name, or a top-level third-party/stdlib name
    line: int
    top_level: bool      # runs when the module is imported (not inside a function)

    @property
    def internal(self) -> bool:
        return self.target == "gitmem" or self.target.startswith("gitmem.")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts}


MODULES = _modules()


def _resolve(importer: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement loads, as dotted names (gitmem submodules resolved)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
        if importer in HOOK_SIDE:  # run by the launcher, which puts the package folder on sys.path: `import hook`
            names = [f"gitmem.{n}" if f"gitmem.{n}" in MODULES else n for n in names]
        return [n if n.startswith("gitmem") else n.split(".")[0] for n in names]
    if node.level:
        package = importer if MODULES.get(importer, Path()).name == "__init__.py" else importer.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{node.module}" if node.module else package
    else:
        base = node.module or ""
    if not base.startswith("gitmem"):
        return [base.split(".")[0]]
    # `from gitmem.store import memory_ref` imports the submodule gitmem.store.memory_ref; `from gitmem import __version__` the package
    subs = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return subs + ([base] if len(subs) < len(node.names) else [])


def imports_of(name: str) -> list[Import]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.ImportFrom) and child.module == "__future__":
                    continue
                for target in _resolve(name, child):
                    found.append(Import(name, target, child.lineno, not in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _where(imp: Import) -> str:
    path = MODULES[imp.importer]
    shown = path.relative_to(PACKAGE_DIR.parent) if path.is_relative_to(PACKAGE_DIR.parent) else path
    return f"{shown}:{imp.line}"


def _matches(name: str, patterns: set[str] | tuple[str, ...]) -> bool:
    """``gitmem.cli.*``: the package and every module under it; ``x*``: any name starting with x; else exact."""
    return any(name == p[:-2] or name.startswith(p[:-1]) if p.endswith(".*") else
               name.startswith(p[:-1]) if p.endswith("*") else name == p for p in patterns)


def part_of(name: str) -> str:
    if name in HOOK_SIDE:
        return "hook side"
    if name in TOP_LEVEL:
        return TOP_LEVEL[name]
    if any(name == f or name.startswith(f + "_") or name.startswith(f + ".") for f in FRONT_ENDS_IN_PARTS):
        return "front"
    folder = name.split(".")[1] if name.count(".") >= 1 else ""
    if folder == "cli":
        return "front"
    return folder if folder in PARTS else "unplaced"


def _rank(name: str) -> int:
    part = part_of(name)
    return -1 if part == "hook side" else PART_ORDER.index(part) if part in PART_ORDER else len(PART_ORDER)


# -- the parts ----------------------------------------------------------------------------------------------


def test_every_module_belongs_to_a_part() -> None:
    unplaced = sorted(n for n in MODULES if part_of(n) == "unplaced")
    assert not unplaced, (f"module(s) {', '.join(unplaced)} belong to no part: put a new top-level module in "
                          f"TOP_LEVEL, a new folder in PARTS (tests/test_architecture.py), with what it holds")
    listed = sorted(n for n in [*TOP_LEVEL, *HOOK_SIDE] if n not in MODULES)
    assert not listed, f"listed but gone: {', '.join(listed)}"


def test_every_part_has_modules() -> None:
    parts = {part_of(n) for n in MODULES}
    assert set(PARTS) <= parts, f"parts with no module: {sorted(set(PARTS) - parts)}"
    folders = {p.name for p in PACKAGE_DIR.iterdir() if (p / "__init__.py").exists()}
    assert folders - {"cli"} <= set(PARTS), f"folders that are not parts: {sorted(folders - {'cli'} - set(PARTS))}"


def test_part_of_places_modules() -> None:
    assert part_of("gitmem.store.memory_ref") == "store"
    assert part_of("gitmem.errors") == "foundation"
    assert part_of("gitmem.cli.render") == "front"
    assert part_of("gitmem.integrations.mcp_server") == "front"
    assert part_of("gitmem.integrations.install") == "integrations"
    assert part_of("gitmem.recall") == "hook side"
    assert part_of("gitmem.newthing") == "unplaced"


def test_the_import_parser_sees_known_edges() -> None:
    edges = {(i.importer, i.target) for i in imports_of("gitmem.store.memory_ref")}
    assert ("gitmem.store.memory_ref", "gitmem.git") in edges
    assert ("gitmem.store.memory_ref", "gitmem.store.records") in edges
    cli = {(i.target, i.top_level) for i in imports_of("gitmem.cli.memory_commands")}
    assert ("typer", True) in cli
    assert ("gitmem.store.memory_ref", False) in cli  # imported inside a command


def test_the_import_parser_resolves_every_import_form(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "store.py"
    sample.write_text("from __future__ import annotations\n"
                      "from . import records\nfrom ..cli.render import session_rows\nimport gitmem.app.flush\n"
                      "from gitmem import errors, __version__\nimport typer.testing\n"
                      "class C:\n    import yaml\n"
                      "def f():\n    import anthropic\n")
    monkeypatch.setitem(MODULES, "gitmem.store.memory_ref", sample)

    found = {(i.target, i.top_level) for i in imports_of("gitmem.store.memory_ref")}

    assert found == {("gitmem.store.records", True), ("gitmem.cli.render", True), ("gitmem.app.flush", True),
                     ("gitmem.errors", True), ("gitmem", True), ("typer", True), ("yaml", True),
                     ("anthropic", False)}


# -- direction ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down_the_parts(name: str) -> None:
    upward = [f"{_where(i)} imports {i.target} ({part_of(i.target)})" for i in imports_of(name)
              if i.internal and i.target in MODULES and _rank(i.target) > _rank(name)]
    assert not upward, (f"{name} is in {part_of(name)} and may import only its own part or those below it "
                        f"({' < '.join(PART_ORDER)}):\n" + "\n".join(upward))


@pytest.mark.parametrize("name", sorted(HOOK_SIDE & set(MODULES)))
def test_the_hook_side_imports_only_the_standard_library_and_itself(name: str) -> None:
    bad = [f"{_where(i)} imports {i.target}" for i in imports_of(name)
           if (i.internal and i.target not in HOOK_SIDE) or (not i.internal and i.target not in sys.stdlib_module_names)]
    assert not bad, f"{name} runs inside the hook: standard library only\n" + "\n".join(bad)


def test_the_direction_check_sees_an_upward_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "layout.py"
    sample.write_text("from gitmem.app import flush\nfrom gitmem import errors\n")
    monkeypatch.setitem(MODULES, "gitmem.store.layout", sample)
    with pytest.raises(AssertionError, match="imports gitmem.app.flush"):
        test_imports_point_down_the_parts("gitmem.store.layout")


def test_gitmem_modules_do_not_import_each_other_in_a_cycle() -> None:
    graph = {name: {i.target for i in imports_of(name) if i.internal and i.target in MODULES and i.target != name}
             for name in MODULES}
    # gitmem (the package __init__) is imported by every submodule implicitly; its own edges suffice
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


# -- third-party packages kept to one module -------------------------------------------------------------


@pytest.mark.parametrize("package", sorted(EXCLUSIVE_IMPORTS))
def test_heavy_packages_are_imported_by_one_module_only(package: str) -> None:
    allowed = EXCLUSIVE_IMPORTS[package]
    bad = [f"{_where(i)} imports {package}" for name in MODULES for i in imports_of(name)
           if i.target == package and not _matches(name, allowed)]
    assert not bad, f"only {', '.join(sorted(allowed))} may import {package}:\n" + "\n".join(bad)


def test_anthropic_is_imported_only_inside_a_function() -> None:
    top = [i for name in MODULES for i in imports_of(name) if i.target == "anthropic" and i.top_level]
    assert not top, f"{_where(top[0])}: anthropic takes 2.7 s to import; import it where it is used"


# -- the hook stays import-light --------------------------------------------------------------------------


def test_hook_imports_only_preloaded_and_tiny_modules_at_top_level() -> None:
    if "gitmem.hook" not in MODULES:
        pytest.skip("hook.py does not exist yet")
    top = [i for i in imports_of("gitmem.hook") if i.top_level]
    assert top, "the parser found no imports in hook.py at all"
    bad = [f"{_where(i)} imports {i.target}" for i in top if i.target not in HOOK_TOP_LEVEL]
    assert not bad, f"hook.py may import only {', '.join(sorted(HOOK_TOP_LEVEL))} at top level:\n" + "\n".join(bad)


def test_hook_launcher_imports_only_sys_and_the_hook() -> None:
    if "gitmem._hook" not in MODULES:
        pytest.skip("_hook.py does not exist yet")
    targets = {i.target for i in imports_of("gitmem._hook")}
    assert targets <= {"sys", "gitmem.hook"}, targets


# -- lower layers never print ---------------------------------------------------------------------------------


def _prints(path: Path) -> list[str]:
    """``print(...)`` calls and uses of ``sys.stdout`` / ``sys.stderr`` in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{path.name}:{node.lineno}: print(...)")
        elif (isinstance(node, ast.Attribute) and node.attr in ("stdout", "stderr")
              and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            found.append(f"{path.name}:{node.lineno}: sys.{node.attr}")
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if part_of(n) in PART_ORDER[:PART_ORDER.index("app")]))
def test_the_parts_below_the_application_never_print(name: str) -> None:
    found = _prints(MODULES[name])
    assert not found, "core code logs through `logging`; only cli (and the hook) write to the terminal:\n" + \
        "\n".join(found)


def test_the_print_check_sees_prints_and_std_streams(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import sys\nprint('x')\nsys.stdout.write('y')\nlogger.info('print(z)')\n")
    assert _prints(sample) == ["sample.py:2: print(...)", "sample.py:3: sys.stdout"]


# -- no code that only tests reach ------------------------------------------------------------------------------------

# Definitions in src/gitmem that nothing in src/gitmem uses, on purpose. Each says why; the test fails when one
# of them gets a caller (drop it from here then) or disappears.
ONLY_FROM_OUTSIDE = {
    "gitmem.index.index_build.running": "a probe for benchmarks/bench_coldstart.py and tests that wait for the "
                                  "background index build",
    "gitmem.integrations.claude_commands.render_plugin_hooks": "generates the committed hooks/hooks.json; "
                                                               "tests/test_install.py keeps the file equal to it",
    "gitmem.store.records.Observation.from_dict": "the record protocol (STYLE.md): from_dict is to_dict's inverse",
    "gitmem.store.records.ObservationBatch.from_dict": "the record protocol (STYLE.md): from_dict is to_dict's inverse",
    "gitmem.store.records.SessionSummary.from_dict": "the record protocol (STYLE.md): from_dict is to_dict's inverse",
    "gitmem.store.records.Decision.from_dict": "the record protocol (STYLE.md): from_dict is to_dict's inverse",
    "gitmem.integrations.watch._Handler.dispatch": "watchdog calls it (an override)",
    "gitmem.integrations.watch._LostEvents.filter": "logging calls it (an override)",
    "gitmem.view.serve._Handler.do_GET": "http.server calls it (an override)",
    "gitmem.view.serve._Handler.log_message": "http.server calls it (an override)",
    "gitmem.switches.SWITCHES": "the switches' documented table; tests/test_switches.py keeps the README and the "
                                "hook's own names in step with it",
}
# Decorators that only wrap a function; any other decorator registers it (typer commands, @migration), a use.
_WRAPPING_DECORATORS = {"contextmanager", "lru_cache", "cache", "cached_property", "property", "staticmethod",
                        "classmethod", "wraps", "dataclass", "override"}


def _decorator_name(node: ast.expr) -> str:
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def _uses(tree: ast.AST) -> list[str]:
    """Names a piece of code reads: ``name`` and ``x.name``; imports and assignments are not uses."""
    return [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(tree)
            if (isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Store)) or isinstance(n, ast.Attribute)]


def _definitions(name: str) -> list[tuple[str, str, ast.AST]]:
    """(qualified name, short name, node) of a module's top-level functions, classes and constants, and of its
    classes' public methods; registered (decorated) functions and ``__dunder__`` names are left out."""
    found: list[tuple[str, str, ast.AST]] = []

    def registered(node: ast.AST) -> bool:
        decorators = getattr(node, "decorator_list", [])
        return any(_decorator_name(d) not in _WRAPPING_DECORATORS for d in decorators)

    for node in ast.parse(MODULES[name].read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not registered(node):
            found.append((f"{name}.{node.name}", node.name, node))
        if isinstance(node, ast.ClassDef):
            found += [(f"{name}.{node.name}.{m.name}", m.name, m) for m in node.body
                      if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and not m.name.startswith("__")
                      and not m.name.startswith("_") and not registered(m)]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name) and target.id.isupper():
                    found.append((f"{name}.{target.id}", target.id, node))
    return [d for d in found if not d[1].startswith("__")]


def _unused_in_src() -> dict[str, str]:
    """Definitions in src/gitmem that no code in src/gitmem uses, outside their own body: qualified name -> file:line."""
    from collections import Counter

    uses = Counter(u for name in MODULES for u in _uses(ast.parse(MODULES[name].read_text(encoding="utf-8"))))
    unused = {}
    for name in MODULES:
        for qualified, short, node in _definitions(name):
            own = 0 if isinstance(node, (ast.Assign, ast.AnnAssign)) else _uses(node).count(short)
            if uses[short] - own <= 0:
                unused[qualified] = f"{MODULES[name].relative_to(PACKAGE_DIR.parent)}:{node.lineno}"
    return unused


def test_everything_in_src_is_used_by_src() -> None:
    unused = _unused_in_src()
    dead = {q: where for q, where in unused.items() if q not in ONLY_FROM_OUTSIDE}
    assert not dead, ("defined in src/gitmem but used by no code there (only tests reach it?): delete it with its "
                      "tests, wire it where a user needs it, or add it to ONLY_FROM_OUTSIDE with the reason:\n"
                      + "\n".join(f"{where}: {q}" for q, where in sorted(dead.items())))
    stale = sorted(set(ONLY_FROM_OUTSIDE) - set(unused))
    assert not stale, f"now used by src/gitmem or gone; remove from ONLY_FROM_OUTSIDE: {', '.join(stale)}"


def test_the_unused_check_sees_an_unused_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import typer\nLIMIT = 3\nUSED = 4\n"
                      "def lonely(n):\n    return lonely(n - 1) if n else USED\n"
                      "@app.command()\ndef cmd():\n    pass\n"
                      "class Box:\n    def open(self):\n        pass\n    def _private(self):\n        pass\n")
    monkeypatch.setattr(sys.modules[__name__], "MODULES", {"gitmem.sample": sample})
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE_DIR", tmp_path / "gitmem")
    assert set(_unused_in_src()) == {"gitmem.sample.LIMIT", "gitmem.sample.lonely", "gitmem.sample.Box",
                                     "gitmem.sample.Box.open"}


# -- every git call behind gitmem/git/ ------------------------------------------------------------------------

_GIT_RUNNERS = {"git", "git_bytes", "run_git", "run_git_bytes", "run_git_parallel"}


def _git_command_lines(path: Path) -> list[str]:
    """Calls that build a git command line: ``repo.git("...")``, ``run_git_bytes("...")`` and the like, and
    ``subprocess.*(["git", ...])``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        first = node.args[0] if node.args else None
        if called in _GIT_RUNNERS and first is not None:
            found.append(f"{path.name}:{node.lineno}: {called}(...)")
        elif (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "subprocess"
              and isinstance(first, (ast.List, ast.Tuple)) and first.elts and isinstance(first.elts[0], ast.Constant)
              and first.elts[0].value == "git"):
            found.append(f"{path.name}:{node.lineno}: subprocess.{func.attr}([\"git\", ...])")
    return found


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not _matches(n, {"gitmem.git.*"})))
def test_no_git_command_line_outside_the_git_package(name: str) -> None:
    found = _git_command_lines(MODULES[name])
    assert not found, ("only gitmem/git/ runs git: give the call a named function there (with its output parsed) "
                       "and call that:\n" + "\n".join(found))


def test_the_git_call_check_sees_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('import subprocess\nrepo.git("config", "x")\nrepo.git_bytes("ls-tree", tip)\n'
                      'subprocess.run(["git", "status"])\nsubprocess.run(["python", "-c", "pass"])\n'
                      'repo.ls_tree(tip)\n')
    assert _git_command_lines(sample) == ["sample.py:2: git(...)", "sample.py:3: git_bytes(...)",
                                          'sample.py:4: subprocess.run(["git", ...])']


# -- modules stay short ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_grows_past_the_limit(name: str) -> None:
    limit, why = LONG_MODULES.get(name, (MAX_LINES, ""))
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= limit, (f"{MODULES[name].relative_to(PACKAGE_DIR.parent)} has {lines} lines (at most {limit}): "
                            f"split it along its seams into modules named for what they do")
