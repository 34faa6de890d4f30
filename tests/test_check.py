"""`gitmem check`: every problem in .gitmem/ with file, line and fix; the pre-commit hook the project ships.

The hook is run by the real pre-commit framework in a real repository. By
default it runs as a `repo: local` hook built from this project's own
`.pre-commit-hooks.yaml` (its `files` pattern, `pass_filenames` and entry), with
`language: system` pointing at the gitmem installed in this environment, so
nothing is downloaded. `GITMEM_LIVE_TESTS=1` also runs the manifest as
published: `pre-commit try-repo` with `language: python`, which builds a
virtualenv and pip-installs gitmem from PyPI's packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import git, run

from gitmem.cli.app import main
from gitmem.config import CONFIG_FILE, DECISIONS_DIR
from gitmem.decisions import check

PROJECT = Path(__file__).resolve().parents[1]
GOOD = ("---\nid: d-good000001\ntitle: Keep the index in SQLite\nstatus: accepted\ndate: 2026-11-24\n"
        "authors: [Dana]\nsupersedes: []\nfiles: [src/index/**]\ntags: [storage]\nsession: ''\n---\n\nBody.\n")


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def decision(name: str, text: str) -> str:
    return f"{DECISIONS_DIR}/{name}"


def lines(result: check.CheckResult) -> list[str]:
    return [str(p) for p in result.problems]


# -- clean ------------------------------------------------------------------------------------------------------


def test_a_clean_folder_passes(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-keep-the-index-in-sqlite.md", GOOD)
    write(in_repo, CONFIG_FILE, "summarizer: offline\nbrief_budget_tokens: 900\n")
    code, out, _ = run(capsys, "check")
    assert code == 0
    assert out.strip() == "gitmem check: 2 files checked, no problems"


def test_this_projects_own_gitmem_folder_passes() -> None:
    result = check.check(PROJECT)
    assert result.problems == ()
    assert CONFIG_FILE in result.checked
    assert sum(1 for c in result.checked if c.startswith(DECISIONS_DIR)) == len(list((PROJECT / DECISIONS_DIR).glob("*.md")))
    assert len(result.checked) >= 2


def test_no_gitmem_folder_is_clean(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check") == (0, "gitmem check: 0 files checked, no problems\n", "")


# -- each problem, with its line and its fix -------------------------------------------------------------------------


def good_with(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


CASES = [
    # (file name, text, expected line prefix, words in the message and fix)
    ("2026-11-24-x.md", good_with("status: accepted", "status: acepted"),
     ":4: status `acepted` is not one of proposed, accepted, superseded, rejected; fix: set `status: accepted`"),
    ("2026-11-24-x.md", good_with("tags:", "colour: red\ntags:"),
     ":9: unknown field `colour`; fix: remove it or fix its spelling; known fields: id, title"),
    ("2026-11-24-x.md", good_with("tags: [storage]", "tags: {a: 1}"),
     ":9: `tags` must be a list, not dict; fix:"),
    ("2026-11-24-x.md", good_with("authors: [Dana]", "authors:\n- Dana\n- [nested]"),
     ":8: `authors` item 2 is not a single value; fix:"),
    ("2026-11-24-x.md", good_with("title: Keep the index in SQLite", "title: [unclosed"),
     ":4: invalid YAML: expected ',' or ']', but got ':'; fix: fix the YAML syntax"),
    ("2026-11-24-x.md", good_with("supersedes: []", "supersedes: [d-nowhere]"),
     ":7: supersedes `d-nowhere`, which no decision has; fix: use the id of an existing decision"),
    ("2026-11-24-x.md", good_with("supersedes: []", "supersedes: [d-good000001]"),
     ":7: supersedes its own id `d-good000001`; fix: remove the entry"),
    ("2026-11-24-x.md", good_with("date: 2026-11-24", "date: 2026-11-31"),
     ":5: invalid date: day is out of range for month; fix:"),
    ("2026-11-24-x.md", good_with("date: 2026-11-24", "date: 'next week'"),
     ":5: date `next week` is not a yyyy-mm-dd date; fix:"),
    ("2026-11-24-x.md", good_with("id: d-good000001\n", ""),
     ":2: missing `id`; fix: add `id: d-"),
    ("2026-11-24-x.md", good_with("title: Keep the index in SQLite", "title: ''"),
     ":3: `title` is empty; fix:"),
    ("2026-11-24-x.md", good_with("files: [src/index/**]", "files: [/etc/passwd]"),
     ":8: `/etc/passwd` is not a path inside the repository; fix: write paths and globs relative"),
    ("2026-11-24-x.md", good_with("session: ''", "session: ''\nbody: x"),
     ":11: `body` is not a front matter field; fix: write the body below the closing `---` line"),
    ("2026-11-24-x.md", good_with("status: accepted", "status: accepted\nstatus: rejected"),
     ":5: `status` appears twice; the last one wins; fix: keep one of them"),
    ("2026-11-24-x.md", good_with("session: ''", "session: ''\nschema: 9"),
     ":11: schema 9 is newer than this gitmem understands (1); fix: upgrade gitmem"),
    ("2026-11-24-x.md", GOOD.replace("---\n\nBody", "\nBody"),
     ":1: front matter is not closed by a `---` line; fix: add a line `---`"),
    ("2026-11-24-x.md", "no front matter\n",
     ":1: does not start with a `---` front matter line; fix:"),
    ("Keep_It.md", GOOD,
     ": file name `Keep_It.md` is not <yyyy-mm-dd>-<slug>.md (a date, then lower-case letters, digits and single "
     "hyphens); fix: rename it, e.g. to `2026-11-24-keep-the-index-in-sqlite.md`"),
    ("2026-99-24-x.md", GOOD,
     ": file name `2026-99-24-x.md` starts with `2026-99-24`, which is not a date; fix:"),
    ("2026-11-24-x.md", b"---\nid: d-x\ntitle: caf\xe9\n---\n",
     ": is not UTF-8 text (invalid continuation byte at byte 22); fix: save it as UTF-8"),
]


@pytest.mark.parametrize("name, text, expected", CASES, ids=[c[2].split(";")[0][:50] for c in CASES])
def test_each_problem_names_file_line_and_fix(in_repo: Path, capsys: pytest.CaptureFixture[str], name: str,
                                              text: str | bytes, expected: str) -> None:
    write(in_repo, f"{DECISIONS_DIR}/{name}", text)
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert f"{DECISIONS_DIR}/{name}{expected}" in out, out
    assert out.splitlines()[-1].startswith("gitmem check: ") and " error" in out.splitlines()[-1]


def test_every_problem_of_a_file_is_reported_not_only_the_first(in_repo: Path) -> None:
    text = good_with("status: accepted", "status: acepted").replace("tags: [storage]", "tagz: [storage]")
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-X.md", text)
    got = lines(check.check(in_repo))
    assert [g.split(": ", 1)[0] for g in got] == [".gitmem/decisions/2026-11-24-X.md",
                                                   ".gitmem/decisions/2026-11-24-X.md:4",
                                                   ".gitmem/decisions/2026-11-24-X.md:9"]
    assert "did you mean `tags`?" in got[2]


def test_duplicate_ids_across_files(in_repo: Path) -> None:
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-a.md", GOOD)
    write(in_repo, f"{DECISIONS_DIR}/2026-11-25-b.md", good_with("date: 2026-11-24", "date: 2026-11-25"))
    assert lines(check.check(in_repo)) == [
        ".gitmem/decisions/2026-11-25-b.md:2: id `d-good000001` is also the id of .gitmem/decisions/2026-11-24-a.md; "
        "fix: give one of the two decisions a new id (ids are never numbered; `gitmem decide` derives one from the "
        "content)"]


def test_supersede_links_are_checked_both_ways(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = good_with("status: accepted", "status: superseded")
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-old.md", old)
    code, out, _ = run(capsys, "check")
    assert code == 0   # a warning alone does not fail
    assert (".gitmem/decisions/2026-11-24-old.md:4: warning: d-good000001 is superseded, but no decision names it "
            "in its supersedes; fix: run `gitmem decisions supersede d-good000001 --by NEW_ID`") in out
    assert run(capsys, "check", "--strict")[0] == 1
    # an accepted decision that an accepted one replaces
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-old.md", GOOD)
    write(in_repo, f"{DECISIONS_DIR}/2026-11-30-new.md", GOOD.replace("d-good000001", "d-new0000001").replace(
        "supersedes: []", "supersedes: [d-good000001]").replace("2026-11-24", "2026-11-30"))
    got = lines(check.check(in_repo))
    assert got == [".gitmem/decisions/2026-11-24-old.md:4: warning: d-good000001 is accepted, but the accepted decision "
                   "d-new0000001 (.gitmem/decisions/2026-11-30-new.md) supersedes it; fix: run `gitmem decisions "
                   "supersede d-good000001 --by d-new0000001`"]
    assert run(capsys, "decisions", "supersede", "d-good000001", "--by", "d-new0000001")[0] == 0
    assert check.check(in_repo).problems == ()


def test_date_differing_from_the_file_name_is_a_warning(in_repo: Path) -> None:
    write(in_repo, f"{DECISIONS_DIR}/2026-11-20-x.md", GOOD)
    [problem] = check.check(in_repo).problems
    assert str(problem).startswith(".gitmem/decisions/2026-11-20-x.md:5: warning: date 2026-11-24 differs from the "
                                   "date 2026-11-20 in the file name")


def test_a_file_that_is_not_markdown_is_a_warning(in_repo: Path) -> None:
    write(in_repo, f"{DECISIONS_DIR}/notes.txt", "scratch")
    write(in_repo, f"{DECISIONS_DIR}/.gitkeep", "")
    assert [p.severity for p in check.check(in_repo).problems] == ["warning"]


# -- .gitmem/config.yaml ---------------------------------------------------------------------------------------


def test_config_problems_each_with_a_line(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_repo, CONFIG_FILE, "# settings\nsummarizer: gpt\nbrief_budget_tokens: many\nsumariser: offline\n"
                                "propose_decisions: 3\nprompt_recall_budget_tokens: 0\nmodel: claude-haiku-4-5\n")
    code, out, _ = run(capsys, "check")
    assert code == 1
    assert out.splitlines()[:-1] == [
        ".gitmem/config.yaml:2: summarizer must be one of auto, anthropic, claude, offline, not `gpt`; fix: correct "
        "`summarizer` (the default is 'auto')",
        ".gitmem/config.yaml:3: `brief_budget_tokens` must be a whole number, not 'many'; fix: write "
        "`brief_budget_tokens: 1500`",
        ".gitmem/config.yaml:4: warning: unknown setting `sumariser` ignored (maybe from a newer gitmem); fix: did "
        "you mean `summarizer`? fix its spelling, or remove it if no gitmem your team uses knows it; known settings: "
        "summarizer, model, propose_decisions, summarizer_timeout_seconds, "
        "summarizer_max_input_chars, brief_budget_tokens, prompt_recall, prompt_recall_budget_tokens",
        ".gitmem/config.yaml:5: `propose_decisions` must be true or false, not 3; fix: write `propose_decisions: true`",
        ".gitmem/config.yaml:6: prompt_recall_budget_tokens must be a positive number; fix: correct "
        "`prompt_recall_budget_tokens` (the default is 200)",
    ]


@pytest.mark.parametrize("text, expected", [
    ("summarizer: [offline\n", ".gitmem/config.yaml:1: invalid YAML"),
    ("- a\n- b\n", ".gitmem/config.yaml:1: expected `key: value` settings, found list"),
])
def test_broken_config(in_repo: Path, text: str, expected: str) -> None:
    write(in_repo, CONFIG_FILE, text)
    assert lines(check.check(in_repo))[0].startswith(expected)


def test_the_config_template_passes(in_repo: Path) -> None:
    write(in_repo, CONFIG_FILE, (PROJECT / "templates" / "config.yaml").read_text())
    assert check.check(in_repo).problems == ()


def test_an_unknown_setting_is_a_warning_and_is_ignored(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 4: a newer teammate's key used to be an error that turned memory off for everyone."""
    write(in_repo, CONFIG_FILE, "summarizer: offline\nrecall_by_meaning: true\n")
    code, out, _ = run(capsys, "check")
    assert code == 0, out
    assert out.splitlines()[0].startswith(".gitmem/config.yaml:2: warning: unknown setting `recall_by_meaning` "
                                          "ignored (maybe from a newer gitmem); fix: ")
    assert run(capsys, "check", "--strict")[0] == 1
    write(in_repo, CONFIG_FILE, "summarizer: offline\nrecall_by_meaning: true\nbrief_budget_tokens: lots\n")
    assert [p.severity for p in check.check(in_repo).problems] == ["warning", "error"]   # a wrong type stays an error


CONFLICTED = ("---\nid: d-good000001\n<<<<<<< HEAD\ntitle: Keep the index in SQLite\n=======\ntitle: Keep the "
              "index in Postgres\n>>>>>>> feature\nstatus: accepted\ndate: 2026-11-24\n---\n\nBody.\n")


def test_merge_conflict_markers_fail_check_with_each_line(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14 item 3: a conflicted decision passed `gitmem check`."""
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-x.md", CONFLICTED)
    write(in_repo, f"{DECISIONS_DIR}/2026-11-25-body.md", good_with("Body.\n", "<<<<<<< HEAD\nOurs.\n=======\n"
                                                                    "Theirs.\n>>>>>>> feature\n").replace(
        "d-good000001", "d-body000001").replace("2026-11-24", "2026-11-25"))
    code, out, _ = run(capsys, "check")
    assert code == 1
    fix = ("fix: resolve the merge conflict: keep the text you want, delete the `<<<<<<<`, `=======` and `>>>>>>>` "
           "lines, then `git add` the file")
    assert out.splitlines()[:-1] == [
        f".gitmem/decisions/2026-11-24-x.md:3: unresolved merge conflict marker `<<<<<<<`; {fix}",
        f".gitmem/decisions/2026-11-24-x.md:5: unresolved merge conflict marker `=======`; {fix}",
        f".gitmem/decisions/2026-11-24-x.md:7: unresolved merge conflict marker `>>>>>>>`; {fix}",
        f".gitmem/decisions/2026-11-25-body.md:13: unresolved merge conflict marker `<<<<<<<`; {fix}",
        f".gitmem/decisions/2026-11-25-body.md:15: unresolved merge conflict marker `=======`; {fix}",
        f".gitmem/decisions/2026-11-25-body.md:17: unresolved merge conflict marker `>>>>>>>`; {fix}",
    ]
    write(in_repo, CONFIG_FILE, "<<<<<<< HEAD\nsummarizer: offline\n=======\nsummarizer: auto\n>>>>>>> b\n")
    assert [str(p).split(";")[0] for p in check.check(in_repo, [CONFIG_FILE]).problems] == [
        ".gitmem/config.yaml:1: unresolved merge conflict marker `<<<<<<<`",
        ".gitmem/config.yaml:3: unresolved merge conflict marker `=======`",
        ".gitmem/config.yaml:5: unresolved merge conflict marker `>>>>>>>`"]


def test_a_decision_of_only_template_comments_fails_check(in_repo: Path) -> None:
    """Issue 14 item 15: `gitmem decide "X" </dev/null` wrote only the template's prompts and check passed it."""
    from gitmem.decisions import decision_files

    made = decision_files.create_decision(in_repo, "Keep it simple", date="2026-11-24")
    [problem] = check.check(in_repo).problems
    assert str(problem).startswith(f"{made.path}:18: the decision states nothing: its body is empty or only template "
                                   "comments; fix: write what was decided under `## Decision`")
    text = (in_repo / made.path).read_text()
    (in_repo / made.path).write_text(text.replace("<!-- What forces this decision", "Too many modules. <!-- x"))
    [problem] = check.check(in_repo).problems
    assert str(problem).startswith(f"{made.path}:18: the `## Decision` section states nothing (only a template "
                                   "comment)")
    (in_repo / made.path).write_text(text.replace("<!-- What we do, in a few sentences. -->", "One module."))
    assert check.check(in_repo).problems == ()


def test_links_and_files_that_are_not_regular_are_refused_by_name(in_repo: Path, tmp_path: Path) -> None:
    """Issue 15: `.gitmem/config.yaml -> /dev/zero` took all memory; links put outside content in the brief."""
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-keep-the-index-in-sqlite.md", GOOD)
    (in_repo / CONFIG_FILE).symlink_to("/dev/zero")
    (in_repo / DECISIONS_DIR / "2026-11-25-zero.md").symlink_to("/dev/zero")
    os.mkfifo(in_repo / DECISIONS_DIR / "2026-11-26-fifo.md")
    assert lines(check.check(in_repo)) == [
        ".gitmem/config.yaml: refused: it is a symbolic link to /dev/zero; fix: replace the link with the real file "
        "(`git rm .gitmem/config.yaml`, then add and commit it); gitmem reads only regular files inside the work tree",
        ".gitmem/decisions/2026-11-25-zero.md: refused: it is a symbolic link to /dev/zero; fix: replace the link "
        "with the real file (`git rm .gitmem/decisions/2026-11-25-zero.md`, then add and commit it); gitmem reads "
        "only regular files inside the work tree",
        ".gitmem/decisions/2026-11-26-fifo.md: refused: it is a named pipe (FIFO), not a regular file; fix: remove "
        ".gitmem/decisions/2026-11-26-fifo.md"]
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "2026-11-24-outside.md").write_text(GOOD.replace("status: accepted", "status: acepted"))
    shutil.rmtree(in_repo / DECISIONS_DIR)
    (in_repo / DECISIONS_DIR).symlink_to(outside)
    assert [str(p).split(";")[0] for p in check.check(in_repo).problems] == [
        ".gitmem/config.yaml: refused: it is a symbolic link to /dev/zero",
        f".gitmem/decisions: refused: it is a symbolic link to {outside}"]


# -- file arguments, json --------------------------------------------------------------------------------------------


def test_file_arguments_limit_the_report(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-good.md", GOOD)
    write(in_repo, f"{DECISIONS_DIR}/2026-11-25-bad.md", good_with("status: accepted", "status: maybe").replace(
        "d-good000001", "d-bad0000001").replace("2026-11-24", "2026-11-25"))
    code, out, _ = run(capsys, "check", f"{DECISIONS_DIR}/2026-11-24-good.md", "README.md")
    assert (code, out) == (0, "gitmem check: 1 file checked, no problems\n")
    code, out, _ = run(capsys, "check", str(in_repo / DECISIONS_DIR / "2026-11-25-bad.md"))   # absolute works too
    assert code == 1 and "2026-11-25-bad.md:4: status `maybe`" in out
    code, out, _ = run(capsys, "check", f"{DECISIONS_DIR}/2026-11-26-gone.md")
    assert code == 1 and "2026-11-26-gone.md: does not exist" in out


def test_cross_file_problems_are_found_when_only_one_file_is_named(in_repo: Path) -> None:
    # the file the commit changes is fine on its own; what it points to is gone
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-x.md", good_with("supersedes: []", "supersedes: [d-deleted]"))
    assert lines(check.check(in_repo, [f"{DECISIONS_DIR}/2026-11-24-x.md"]))[0].startswith(
        ".gitmem/decisions/2026-11-24-x.md:7: supersedes `d-deleted`, which no decision has")


def test_json_output(in_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(in_repo, f"{DECISIONS_DIR}/2026-11-24-x.md", good_with("status: accepted", "status: acepted"))
    code, out, _ = run(capsys, "check", "--json")
    data = json.loads(out)
    assert code == 1
    assert data["problems"] == [{"path": ".gitmem/decisions/2026-11-24-x.md", "line": 4, "severity": "error",
                                 "message": "status `acepted` is not one of proposed, accepted, superseded, rejected",
                                 "fix": "set `status: accepted`"}]


def test_a_file_that_check_passes_is_readable_by_gitmem(in_repo: Path) -> None:
    """check is at least as strict as the reader: whatever it passes, `decisions` and the index can read."""
    from gitmem.decisions import decision_files

    variants = [GOOD, good_with("date: 2026-11-24", "date: '2026-11-24'"), good_with("tags: [storage]", "tags: storage"),
                good_with("status: accepted\n", ""), good_with("title: Keep the index in SQLite", "title: 2026")]
    for i, text in enumerate(variants):
        shutil.rmtree(in_repo / DECISIONS_DIR, ignore_errors=True)
        write(in_repo, f"{DECISIONS_DIR}/2026-11-24-v{i}.md", text)
        assert check.check(in_repo).errors == (), text
        assert decision_files.read_decisions(in_repo).errors == ()


# -- the pre-commit hook -------------------------------------------------------------------------------------------------


def manifest_hook() -> dict:
    """The hook as this project publishes it, read and validated by pre-commit's own manifest loader."""
    from pre_commit.clientlib import load_manifest

    [hook] = load_manifest(str(PROJECT / ".pre-commit-hooks.yaml"))
    return hook


def gitmem_executable() -> str:
    found = Path(sys.executable).parent / "gitmem"
    return str(found) if found.exists() else shutil.which("gitmem") or pytest.fail("gitmem is not installed")


def pre_commit(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=repo, capture_output=True, text=True,
                          env=env, timeout=600)


def test_the_published_hook_definition(tmp_path: Path) -> None:
    hook = manifest_hook()
    assert hook["id"] == "gitmem-check" and hook["entry"] == "gitmem check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False   # the cross-file checks need every decision file
    import re

    assert re.search(hook["files"], ".gitmem/decisions/2026-11-24-x.md")
    assert re.search(hook["files"], ".gitmem/config.yaml")
    assert not re.search(hook["files"], "src/gitmem/check.py")


def test_pre_commit_runs_the_hook_and_fails_on_a_broken_decision(repo: Path, tmp_path: Path) -> None:
    hook = manifest_hook()
    local = {k: hook[k] for k in ("id", "name", "files", "pass_filenames", "require_serial")}
    local.update(language="system", entry=gitmem_executable() + hook["entry"].removeprefix("gitmem"))
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    good = write(repo, f"{DECISIONS_DIR}/2026-11-24-keep-the-index-in-sqlite.md", GOOD)
    git(repo, "add", "-A")

    passed = pre_commit(repo, tmp_path, "run", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "gitmem check" in passed.stdout and "Passed" in passed.stdout

    good.write_text(good_with("status: accepted", "status: acepted"))
    git(repo, "add", "-A")
    failed = pre_commit(repo, tmp_path, "run", "--all-files")
    assert failed.returncode == 1
    assert "Failed" in failed.stdout
    assert (".gitmem/decisions/2026-11-24-keep-the-index-in-sqlite.md:4: status `acepted` is not one of proposed, "
            "accepted, superseded, rejected; fix: set `status: accepted`") in failed.stdout

    # installed as a git hook, it stops the commit
    assert pre_commit(repo, tmp_path, "install").returncode == 0
    commit = subprocess.run(["git", "commit", "-qm", "broken decision"], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")})
    assert commit.returncode != 0 and "status `acepted`" in commit.stdout + commit.stderr
    assert git(repo, "log", "--format=%s").splitlines() == ["initial commit"]


def test_pre_commit_skips_the_hook_when_nothing_under_gitmem_changed(repo: Path, tmp_path: Path) -> None:
    hook = manifest_hook()
    local = {k: hook[k] for k in ("id", "name", "files", "pass_filenames")}
    local.update(language="system", entry=gitmem_executable() + " check")
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]}))
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", "-A")
    result = pre_commit(repo, tmp_path, "run", "--files", "app.py")
    assert result.returncode == 0 and "(no files to check)Skipped" in result.stdout


@pytest.mark.live
@pytest.mark.skipif(os.environ.get("GITMEM_LIVE_TESTS") != "1", reason="installs gitmem from PyPI packages; "
                    "set GITMEM_LIVE_TESTS=1")
def test_pre_commit_try_repo_installs_and_runs_the_published_hook(repo: Path, tmp_path: Path) -> None:
    # A committed snapshot of this work tree: try-repo reads the manifest at a commit.
    snapshot = tmp_path / "gitmem-snapshot"
    files = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=PROJECT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (PROJECT / rel).is_file() and not rel.startswith(".gitmem/"):
            (snapshot / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT / rel, snapshot / rel)
    git(snapshot, "init", "-q")
    git(snapshot, "add", "-A")
    git(snapshot, "commit", "-qm", "snapshot")
    write(repo, f"{DECISIONS_DIR}/2026-11-24-x.md", good_with("status: accepted", "status: acepted"))
    git(repo, "add", "-A")
    result = pre_commit(repo, tmp_path, "try-repo", str(snapshot), "gitmem-check", "--all-files")
    assert result.returncode == 1, result.stdout + result.stderr
    assert ".gitmem/decisions/2026-11-24-x.md:4: status `acepted`" in result.stdout
