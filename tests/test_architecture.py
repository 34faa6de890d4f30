"""The module map of STYLE.md, checked by parsing every module's imports with ``ast``.

Dependencies point one way: entry points (``cli``, ``hook``) -> feature
modules -> ``store`` -> ``git``, ``records``, ``config`` -> ``errors``. A module
may import modules of its own layer or below, never above. Imports inside
functions count too: a lazy import is still a dependency.

A new module must be placed in ``LAYERS`` below; the test fails until it is.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import gitmem

PACKAGE_DIR = Path(gitmem.__file__).parent

BASE, FOUNDATION, STORAGE, FEATURE, VIEW, ENTRY = range(6)
LAYER_NAMES = {BASE: "base", FOUNDATION: "foundation", STORAGE: "storage", FEATURE: "feature", VIEW: "view",
               ENTRY: "entry point"}

# Every module of src/gitmem, by layer. Modules listed here that do not exist yet are skipped.
LAYERS: dict[str, int] = {
    "gitmem": BASE,                 # __init__: __version__ only
    "gitmem.errors": BASE,
    "gitmem.app": BASE,  # the part's package: a docstring only
    "gitmem.capture": BASE,  # the part's package: a docstring only
    "gitmem.cli": BASE,  # the part's package: a docstring only
    "gitmem.compress": BASE,  # the part's package: a docstring only
    "gitmem.decisions": BASE,  # the part's package: a docstring only
    "gitmem.index": BASE,  # the part's package: a docstring only
    "gitmem.integrations": BASE,  # the part's package: a docstring only
    "gitmem.store": BASE,  # the part's package: a docstring only
    "gitmem.team": BASE,  # the part's package: a docstring only
    "gitmem.sync": ENTRY,  # `python -m gitmem.sync --after-push`: the pre-push line an older gitmem wrote
    "gitmem.git": FOUNDATION,       # the only code that runs git
    "gitmem.git.repo": FOUNDATION,
    "gitmem.git.config": FOUNDATION,
    "gitmem.git.history": FOUNDATION,
    "gitmem.git.objects": FOUNDATION,
    "gitmem.git.refs": FOUNDATION,
    "gitmem.git.worktree": FOUNDATION,
    "gitmem.git.scratch": FOUNDATION,   # the demo's throw-away repository: create it, commit into it
    "gitmem.git.trees": FOUNDATION,
    "gitmem.git.transport": FOUNDATION,
    "gitmem.git.quarantine": FOUNDATION,
    "gitmem.store.records": FOUNDATION,
    "gitmem.config": FOUNDATION,
    "gitmem.yaml_text": FOUNDATION,  # YAML text: safe loads naming the line, dumps, front matter
    "gitmem.lock_wait": FOUNDATION,  # an exclusive file lock waited for until a deadline
    "gitmem.switches": BASE,        # the GITMEM_* process switches, named and read in one place
    "gitmem.crash_log": FOUNDATION,  # an unexpected error's traceback appended to gitmem.log (cli, mcp server)
    "gitmem.atomic": FOUNDATION,    # replacing a file whole through a temporary file
    "gitmem.integrations.jsondoc": FOUNDATION,   # reading and atomically writing the user's JSON settings files
    "gitmem.redact": FOUNDATION,    # pure text scrubbing, used by capture, summarize and flush
    "gitmem.fence": FOUNDATION,     # memory text made safe inside the fence; stdlib only (recall runs it in the hook)
    "gitmem.redact.rules": FOUNDATION,
    "gitmem.redact.context": FOUNDATION,
    "gitmem.redact.entropy": FOUNDATION,
    "gitmem.redact.providers": FOUNDATION,
    "gitmem.redact.patterns": FOUNDATION,
    "gitmem.redact.paths": FOUNDATION,
    "gitmem.globs": FOUNDATION,     # the one glob dialect (git wildmatch via pathspec) for files and --file
    "gitmem.decisions.frontmatter": FOUNDATION,  # in-place edits of a Markdown file's YAML front matter
    "gitmem.worktree_files": FOUNDATION,  # regular files inside the work tree only: no links, bounded reads
    "gitmem.compress.deadline": FOUNDATION,  # one overall deadline for a blocking call (the summarizer's HTTP request)
    "gitmem.app.doctor": FEATURE,       # `gitmem doctor`: check and repair the memory ref from reflog, remote, spool
    "gitmem.store.memory_ref": STORAGE,        # records <-> the memory ref
    "gitmem.capture.spool": STORAGE,        # the hook's raw event files
    "gitmem.capture.compaction": FEATURE,   # spool events -> observations and session facts; the transcript
    "gitmem.capture.claude_tools": FEATURE,  # Claude Code's tools (Read, Edit, Bash, Grep, Task...) -> observation fields
    "gitmem.capture.payload_fields": FEATURE,  # a payload's fields read defensively: cleaned, redacted, bounded
    "gitmem.compress.summarize": FEATURE,    # the backend chosen, the prompt built and redacted, one summarizer call
    "gitmem.compress.draft": FEATURE,        # what a summarizer is given (SessionInput) and gives back (Draft)
    "gitmem.compress.offline": FEATURE,      # the offline summarizer: sentences, reasons, dead ends -> a summary
    "gitmem.compress.answer": FEATURE,       # the schema a model fills, and its answer read back into a Draft
    "gitmem.compress.anthropic_api": FEATURE,  # the Anthropic Messages API backend, the only importer of anthropic
    "gitmem.compress.claude_cli": FEATURE,   # the `claude` command run headless, isolated and bounded, for summarize
    "gitmem.decisions.decision_files": FEATURE,
    "gitmem.compress.restatement": FEATURE,   # the same thing said again: a restated decision, a next step done later
    "gitmem.decisions.proposals": FEATURE,   # decisions a session proposes, once each (the ledger)
    "gitmem.decisions.lifecycle": FEATURE,  # accept, reject, supersede: in-place status edits
    "gitmem.decisions.check": FEATURE,        # `gitmem check`: validate .gitmem/ with file, line and fix
    "gitmem.app.why": FEATURE,          # `gitmem why`: decisions and sessions that concern a path
    "gitmem.team.fetched": FEATURE,      # merges memory a plain `git fetch` brought, before any reader reads
    "gitmem.store.layout": FOUNDATION,  # where each record lives in the memory ref
    "gitmem.store.dates": FOUNDATION,   # a record's date, believed only when not too far in the future
    "gitmem.since": FOUNDATION,         # the dates and ages a user types (--since 2w, 2026-11-01)
    "gitmem.store.stream": FOUNDATION,  # commits as fast-import text, paths quoted for it
    "gitmem.store.ancestry": STORAGE,     # which sessions are reachable from HEAD, and which are one's own
    "gitmem.store.identity": STORAGE,     # who "I" am for memory, and whether a record is mine
    "gitmem.store.recent": STORAGE,       # the newest session summaries read from the ref, without the index
    "gitmem.index.index_build": FEATURE,  # the detached background build of the search index, one at a time
    "gitmem.team.shallow": FEATURE,      # fetching only the recent history of the memory ref (sync --depth/--since)
    "gitmem.app.inject": FEATURE,
    "gitmem.recall": FEATURE,       # prompt-time recall, run inside the hook: standard library only
    "gitmem.integrations.mcp_config": FEATURE,   # gitmem's entry in Claude Code's .mcp.json
    "gitmem.integrations.mcp_server": ENTRY,     # `gitmem mcp`: the stdio MCP server, the only importer of mcp
    "gitmem.index.search": FEATURE,     # the search entry points: search, opened, record counts
    "gitmem.index.rows": FEATURE,       # session folders and decision files -> index rows
    "gitmem.index.tables": FEATURE,     # writing rows into the index's tables, a whole source at a time
    "gitmem.index.index_file": FEATURE,  # the index file: where, opening, freshness, refresh, rebuild, lock
    "gitmem.index.query": FEATURE,      # the query language: terms, filters, file matching, ranking
    "gitmem.integrations.mcp_tools": FEATURE,    # what the MCP tools answer, as JSON-able dicts, without the SDK
    "gitmem.index.migrations": FEATURE,
    "gitmem.team.sync": FEATURE,         # fetch, merge and push the memory ref with one remote
    "gitmem.team.setup": FEATURE,        # remote names, notes config, fetch refspecs, the pre-push hook
    "gitmem.team.resolve": FEATURE,      # what both sides changed: combined notes, ranked records, a union plan
    "gitmem.team.merge": FEATURE,        # a teammate's memory into the local ref: fast-forward or merge, by CAS
    "gitmem.team.after_push": FEATURE,   # the detached background sync after `git push`
    "gitmem.team.sharing": FEATURE,      # which remotes receive memory, the push hold, refusing remotes
    "gitmem.team.merge_guard": FEATURE,  # what a fetch may do: tree checks, no deletions, own records, tombstones
    "gitmem.app.forget": FEATURE,       # `gitmem forget`: rewrite the memory ref without records, push with a lease
    "gitmem.integrations.install": FEATURE,
    "gitmem.integrations.claude_commands": FEATURE,  # the hook commands gitmem writes, and how they start gitmem
    "gitmem.integrations.local_exclude": FEATURE,  # a personal file kept out of commits through info/exclude
    "gitmem.integrations.claude_plugin": FEATURE,  # is the gitmem Claude Code plugin enabled (it brings the hooks)
    "gitmem.integrations.watch": FEATURE,
    "gitmem.integrations.watch_events": FEATURE,  # file events -> what a burst adds up to -> spool lines
    "gitmem.integrations.watch_ignore": FEATURE,  # which paths git ignores, asked in batches and cached
    "gitmem.integrations.watch_status": FEATURE,  # watch options, the status line, watch session ids
    "gitmem.app.flush": FEATURE,        # the detached worker: spool -> capture -> summarize -> store
    "gitmem.app.project": FEATURE,      # init and status of a repository
    "gitmem.cli.render": VIEW,          # records -> terminal text and JSON, for cli
    "gitmem.cli.output": VIEW,          # what commands print besides rendered records: JSON, error and warning lines
    "gitmem.cli.repository": ENTRY,     # the repository a command runs in, opened for writers and for readers
    "gitmem.cli.setup_commands": ENTRY,     # init, install, uninstall, status, doctor, mcp
    "gitmem.cli.memory_commands": ENTRY,    # log, show, search, reindex, context, why
    "gitmem.cli.capture_commands": ENTRY,   # hook, flush, watch
    "gitmem.cli.team_commands": ENTRY,      # sync, remote, forget
    "gitmem.cli.decision_commands": ENTRY,  # decide, decisions, check
    "gitmem.cli.app": ENTRY,            # the typer app, the one error renderer, main; adds the command modules
    "gitmem.hook": FEATURE,         # the hook entry point, placed with the features because watch and flush
                                    # append to the spool with its stdlib-only hook.append_line, the one protocol
    "gitmem._hook": ENTRY,          # the launcher script the installed hook command runs
    "gitmem.workers": ENTRY,        # `python -m gitmem.workers <job>`: the detached workers' entry points
    "gitmem.entry": ENTRY,          # the console script
    "gitmem.__main__": ENTRY,
    "gitmem.app.demo": ENTRY,           # `make demo`
}
LOWER_LAYERS = (BASE, FOUNDATION, STORAGE)

# The modules of the CLI that build or drive the typer app.
TYPER_MODULES = {"gitmem.cli.app", "gitmem.cli.output", "gitmem.cli.setup_commands", "gitmem.cli.memory_commands",
                 "gitmem.cli.capture_commands", "gitmem.cli.team_commands", "gitmem.cli.decision_commands"}

# Third-party packages (top-level names) and the only modules allowed to import them.
EXCLUSIVE_IMPORTS = {
    "typer": TYPER_MODULES,
    "click": TYPER_MODULES,
    "rich": TYPER_MODULES | {"gitmem.cli.render"},   # render: display widths (rich.cells), inside a function
    "anthropic": {"gitmem.compress.anthropic_api"},
    "watchdog": {"gitmem.integrations.watch"},
    "git": {"gitmem.git"},          # GitPython, if it is ever used, stays behind gitmem.git
    "mcp": {"gitmem.integrations.mcp_server"},
    "pydantic": {"gitmem.integrations.mcp_server"},
}

# What hook.py may import at module level: modules the interpreter has already
# loaded at start-up plus tiny C modules (see MEASUREMENTS.md). posix is os's C core.
HOOK_TOP_LEVEL = {"os", "posix", "sys", "fcntl", "errno", "time"}


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
        if importer == "gitmem._hook":  # it puts its own folder on sys.path: `import hook` is gitmem.hook
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
            if _is_main_block(child) and _main_block_forwards_to_workers(child):
                continue  # `python -m gitmem.X` kept working by handing over to the workers' entry point
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def _is_main_block(node: ast.AST) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare) and isinstance(node.test.left, ast.Name)
            and node.test.left.id == "__name__" and isinstance(node.test.comparators[0], ast.Constant)
            and node.test.comparators[0].value == "__main__")


def _main_block_forwards_to_workers(node: ast.If) -> bool:
    """A feature module's ``__main__`` block may import only ``gitmem.workers``, to hand an old command line over."""
    imports = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return bool(imports) and all(isinstance(n, ast.ImportFrom) and n.module == "gitmem"
                                 and [a.name for a in n.names] == ["workers"] for n in imports)


def existing(names) -> list[str]:
    return [n for n in names if n in MODULES]


def _where(imp: Import) -> str:
    path = MODULES[imp.importer]
    shown = path.relative_to(PACKAGE_DIR.parent) if path.is_relative_to(PACKAGE_DIR.parent) else path
    return f"{shown}:{imp.line}"


# -- the table itself -----------------------------------------------------------------------------


def test_every_module_is_placed_in_a_layer() -> None:
    missing = sorted(set(MODULES) - set(LAYERS))
    assert not missing, (
        f"new module(s) {', '.join(missing)} are not in the layer table; add each to LAYERS in "
        f"tests/test_architecture.py (base, foundation, storage, feature, view or entry point; see STYLE.md)")


def test_the_core_modules_exist() -> None:
    # the table must be checking something: if these move, update the table
    assert {"gitmem.errors", "gitmem.git", "gitmem.store.records", "gitmem.config", "gitmem.store.memory_ref",
            "gitmem.cli.app"} <= set(MODULES)


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


@pytest.mark.parametrize("name", sorted(set(MODULES) & set(LAYERS)))
def test_imports_point_down_the_layers(name: str) -> None:
    layer = LAYERS[name]
    upward = [
        f"{_where(i)} imports {i.target} ({LAYER_NAMES[LAYERS[i.target]]})"
        for i in imports_of(name)
        if i.internal and i.target in LAYERS and LAYERS[i.target] > layer
    ]
    assert not upward, f"{name} is a {LAYER_NAMES[layer]} module and may not import upward:\n" + "\n".join(upward)


@pytest.mark.parametrize("name", existing(n for n, layer in LAYERS.items() if layer in LOWER_LAYERS))
def test_lower_layers_never_import_features_cli_or_typer(name: str) -> None:
    bad = [f"{_where(i)} imports {i.target}" for i in imports_of(name)
           if i.target in ("typer", "click", "rich")
           or (i.internal and LAYERS.get(i.target, ENTRY) >= FEATURE)]
    assert not bad, "\n".join(bad)


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
           if i.target == package and name not in allowed]
    assert not bad, f"only {', '.join(sorted(allowed))} may import {package}:\n" + "\n".join(bad)


def test_the_anthropic_backend_imports_anthropic_only_inside_a_function() -> None:
    if "gitmem.compress.anthropic_api" not in MODULES:
        pytest.skip("anthropic_api.py does not exist yet")
    found = [i for i in imports_of("gitmem.compress.anthropic_api") if i.target == "anthropic"]
    assert found, "the parser found no import of anthropic in anthropic_api.py"
    top = [i for i in found if i.top_level]
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


@pytest.mark.parametrize("name", existing(n for n, layer in LAYERS.items() if layer in LOWER_LAYERS))
def test_lower_layers_never_print(name: str) -> None:
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
    "gitmem.capture.compaction.read_transcript_text": "the transcript's text turns within a budget: kept for the issue "
                                           "'summaries from the whole transcript', which feeds it to the summarizer",
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
