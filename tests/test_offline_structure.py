"""The offline summarizer reads every sentence, bullet and table row of the transcript's replies and the user's
whole prompts, and knows a choice by its structure (issue 17). The sentences here are written for these tests."""

from __future__ import annotations

import pytest

from gitmem.capture.transcript import Turn
from gitmem.compress.draft import SessionInput
from gitmem.compress.offline import kind_of, sentences, summarize_offline
from gitmem.store.records import Observation


def offline(*turns: Turn) -> object:
    obs = (Observation(ts="2026-01-01T00:00:00.000Z", kind="prompt", text=turns[0].text[:300], event_id="p"),)
    return summarize_offline(SessionInput("s-1", obs, transcript=turns))


@pytest.mark.parametrize(("sentence", "title", "alternative", "why"), [
    ("Keep the session tokens in memory, not in a cookie.", "Keep the session tokens in memory", "in a cookie", ""),
    ("Thumbnails are rendered on upload, not on first view, since cold renders time out.",
     "Thumbnails are rendered on upload", "on first view", "cold renders time out"),
    ("We picked Caddy over nginx because it renews certificates by itself.", "Caddy over nginx", "nginx",
     "it renews certificates by itself"),
    ("I prefer a monorepo over three repositories.", "I prefer a monorepo over three repositories",
     "three repositories", ""),
])
def test_a_choice_against_an_alternative_is_a_decision(sentence: str, title: str, alternative: str, why: str) -> None:
    assert kind_of(sentence) == "decision"
    draft = offline(Turn("user", "Tidy the service up"), Turn("assistant", sentence))
    (note,) = draft.decisions
    assert (note.title, note.alternatives, note.rationale) == (title, (alternative,), why)


@pytest.mark.parametrize("sentence", [
    "The build passes now, not sure why it failed before.",
    "The payload travels over the network twice per request.",
    "Latency got better over time after the cache warmed.",
])
def test_the_same_words_in_another_structure_are_no_decision(sentence: str) -> None:
    assert kind_of(sentence) != "decision"


def test_every_table_row_is_a_candidate_and_its_header_and_rule_are_not() -> None:
    reply = ("Options I compared:\n\n| Store | Verdict |\n|:---|---:|\n"
             "| SQLite | chosen because it ships inside Python |\n| Postgres | too heavy for a CLI |\n")
    assert sentences(reply) == ["Options I compared:", "SQLite: chosen because it ships inside Python.",
                                "Postgres: too heavy for a CLI."]


def test_a_choice_in_an_earlier_reply_and_a_rule_in_a_long_prompt_are_seen() -> None:
    prompt = ("Please move the nightly export into its own job. " + "Some background on the export. " * 12 +
              "Write the files as Parquet, not CSV, because the analysts load them into DuckDB.")
    assert len(prompt) > 300  # past what the hook's prompt observation keeps
    draft = offline(
        Turn("user", prompt),
        Turn("assistant", "Plan:\n- read the exporter\n- split the job\n- Went with hourly runs over nightly ones, so a "
                          "failed run loses one hour of data.\n- add a test"),
        Turn("assistant", "Done. The export is its own job now."))
    titles = {d.title: d for d in draft.decisions}
    assert titles["Write the files as Parquet"].alternatives == ("CSV",)
    assert titles["Write the files as Parquet"].rationale == "the analysts load them into DuckDB"
    hourly = titles["Went with hourly runs over nightly ones"]
    assert (hourly.alternatives, hourly.rationale) == (("nightly ones",), "a failed run loses one hour of data")
    assert draft.completed[0] == "The export is its own job now"


def test_a_choice_taken_back_later_in_the_session_is_a_dead_end_and_the_return_is_the_decision() -> None:
    draft = offline(
        Turn("user", "Cache the exchange rates"),
        Turn("assistant", "We decided to use memcached for the rate cache because it is already deployed."),
        Turn("assistant", "Memcached evicts the rates under load. We went back to the in-process LRU because "
                          "eviction broke the invariants."),
        Turn("assistant", "Done: the LRU holds the rates for five minutes."))
    assert [(d.title, d.rationale) for d in draft.decisions] == [
        ("Went back to the in-process LRU", "eviction broke the invariants")]
    assert any(d.startswith("We decided to use memcached") and "taken back" in d for d in draft.dead_ends)
    assert not any("memcached" in c for c in draft.completed)


def test_a_reversal_within_one_sentence_keeps_only_the_return() -> None:
    draft = offline(Turn("user", "Push rate updates to the browser"),
                    Turn("assistant", "Went with gRPC streaming for a day, then back to plain REST polling since "
                                      "the proxies drop streams."))
    (note,) = draft.decisions
    assert (note.title, note.rationale) == ("Back to plain REST polling", "the proxies drop streams")
    assert "gRPC" not in note.title + note.decision
    assert draft.dead_ends == ("Went with gRPC streaming for a day (taken back: back to plain REST polling since "
                               "the proxies drop streams)",)


# -- what was tried and failed, told by the user or in another language ----------------------------------------


def test_a_dead_end_the_user_tells_in_the_prompt_is_a_dead_end_and_never_the_title_or_a_decision() -> None:
    draft = offline(Turn("user", "The nightly import is slow again. I already tried adding an index on imported_at, "
                                 "no change. Find the cause."),
                    Turn("assistant", "The importer parses every row twice; it parses once now."))
    assert draft.dead_ends == ("I already tried adding an index on imported_at, no change.",)
    assert draft.title == "The nightly import is slow again. Find the cause."
    assert not any("index" in x for x in (*draft.completed, *draft.learned, *(d.decision for d in draft.decisions)))


@pytest.mark.parametrize("sentence", [
    "Probé subir el timeout a 30 s, pero el cliente sigue cortando la conexión.",      # es: tried X, but
    "Ich habe das Caching im Client versucht, aber die Antworten kommen trotzdem doppelt.",   # de
    "Já tentei trocar o driver do banco pela versão 42, não resolveu nada.",          # pt: tried X, no
    "J'ai essayé de vider le cache du navigateur, mais la page reste blanche.",       # fr
    "I tried pinning the resolver to 1.2, no difference.",                            # en without a stock phrase
    "tried rerunning with -p no:randomly, still fails.",                              # a try, then a failure verb
    "jemalloc segfaults under load after an hour, reverted.",                         # a failure, then a revert
])
def test_a_failure_report_is_a_dead_end_in_any_of_the_languages(sentence: str) -> None:
    assert kind_of(sentence) == "dead_end"
    draft = offline(Turn("user", "Please look at the flaky client"), Turn("assistant", sentence + " Done now."))
    assert draft.dead_ends == (sentence,)
    assert draft.decisions == () and sentence.rstrip(".") not in draft.completed


@pytest.mark.parametrize("sentence", [
    "I tried the new endpoint and it returned no errors.",
    "I tried the patched build on staging, no errors since.",
    "I tried the fix on the slow pods, no more timeouts.",
    "I tried to reproduce the crash locally with the fixture from the report.",
    "I tried the patch and it no longer fails on Windows.",
    "Probé el cambio en staging y funciona bien.",
    "We tried three layouts and kept the second one because it reads best.",
])
def test_a_try_that_worked_is_no_dead_end(sentence: str) -> None:
    assert kind_of(sentence) != "dead_end"


# -- a later choice for the same subject takes the earlier one back ------------------------------------------------


def test_a_later_turn_choosing_another_option_for_the_same_file_takes_the_first_choice_back() -> None:
    draft = offline(
        Turn("user", "Give deploy/targets.cfg a real format"),
        Turn("assistant", "I went with YAML for `deploy/targets.cfg` since people edit it by hand."),
        Turn("user", "Use TOML in deploy/targets.cfg, YAML's implicit typing already turned a version into a float."),
        Turn("assistant", "Converted the targets file; 12 tests pass."))
    assert [d.title for d in draft.decisions] == ["Use TOML in deploy/targets.cfg"]
    assert draft.decisions[0].rationale == "YAML's implicit typing already turned a version into a float"
    assert any(d.startswith("I went with YAML") and "taken back" in d for d in draft.dead_ends)


def test_a_later_choice_for_the_same_subject_named_in_words_takes_the_first_back() -> None:
    draft = offline(
        Turn("user", "Deduplicate the incoming events"),
        Turn("assistant", "We decided to use a Bloom filter for the dedup check because it needs little memory."),
        Turn("user", "Switch the dedup check to an exact hash set, since false positives dropped real events."),
        Turn("assistant", "Done: the hash set holds the last hour of event ids."))
    assert [d.title for d in draft.decisions] == ["Switch the dedup check to an exact hash set"]
    assert any("Bloom filter" in d and "taken back" in d for d in draft.dead_ends)


def test_choices_for_other_subjects_or_the_same_choice_again_both_stand() -> None:
    draft = offline(
        Turn("user", "Tidy the config loading"),
        Turn("assistant", "I went with YAML for `deploy/targets.cfg` since people edit it by hand."),
        Turn("user", "Keep YAML in deploy/targets.cfg but add a schema check. Use env vars for `deploy/secrets.cfg`, "
                     "never a file."),
        Turn("assistant", "Added the schema check."))
    assert len(draft.decisions) == 3 and not any("taken back" in d for d in draft.dead_ends)


def test_another_decision_about_the_same_file_that_neither_names_nor_replaces_the_first_leaves_it_standing() -> None:
    draft = offline(
        Turn("user", "Fix the money math"),
        Turn("assistant", "We decided to keep amounts as integer cents in `billing/money.py` because floats drift."),
        Turn("user", "Use banker's rounding in billing/money.py, the auditors require it. Keep it short. Move the "
                     "rounding helpers to billing/round.py."),
        Turn("assistant", "Done."))
    assert [d.title for d in draft.decisions] == ["Keep amounts as integer cents in `billing/money.py`",
                                                  "Use banker's rounding in billing/money.py"]
    assert draft.dead_ends == ()


# -- commit messages and code comments are candidates ------------------------------------------------------------


def _obs(*items: tuple[str, dict]) -> tuple[Observation, ...]:
    return tuple(Observation(ts=f"2026-01-01T00:00:{n:02d}.000Z", kind=kind, **fields)
                 for n, (kind, fields) in enumerate(items))


def test_a_commit_message_with_escaped_quotes_is_read_whole_and_its_body_is_classified() -> None:
    command = ('git add cache.py && git commit -m "Revert \\"Cache the rendered pages\\"\\n\\nStale pages reached '
               'users, so the render cache is off. Keep per-request memoization, not a shared cache, because '
               'templates read the session."')
    draft = summarize_offline(SessionInput("s", _obs(("prompt", {"text": "Undo the page cache"}),
                                                     ("edit", {"tool": "Edit", "files": ("cache.py",)}),
                                                     ("command", {"tool": "Bash", "command": command,
                                                                  "outcome": "ok"}))))
    assert draft.completed[0].startswith('Committed "Revert "Cache the rendered pages"')
    assert "Cache the rendered pages (reverted)" in draft.dead_ends
    (note,) = draft.decisions
    assert (note.title, note.alternatives, note.rationale) == (
        "Keep per-request memoization", ("a shared cache",), "templates read the session")


def test_a_commit_message_written_as_a_heredoc_is_read() -> None:
    command = ("git commit -m \"$(cat <<'EOF'\nMove sessions to Redis\n\nWe chose Redis over Memcached because "
               "sessions must survive a restart.\nEOF\n)\"")
    draft = summarize_offline(SessionInput("s", _obs(("command", {"tool": "Bash", "command": command,
                                                                  "outcome": "ok"}))))
    assert draft.completed[0].startswith('Committed "Move sessions to Redis')
    assert [(d.alternatives, d.rationale) for d in draft.decisions] == [(("Memcached",),
                                                                          "sessions must survive a restart")]


def test_a_reason_written_only_in_a_code_comment_of_an_edit_is_a_decision_with_its_reason() -> None:
    draft = summarize_offline(SessionInput("s", _obs(
        ("prompt", {"text": "Fix the hashing"}),
        ("edit", {"tool": "Edit", "files": ("auth/hash.py",), "text": "replaced 1 occurrence",
                  "detail": "- a\n+ b\ncomment: scrypt, not argon2: the FIPS image ships no argon2 backend."}))))
    (note,) = draft.decisions
    assert (note.title, note.alternatives, note.rationale, note.files) == (
        "Scrypt", ("argon2",), "the FIPS image ships no argon2 backend", ("auth/hash.py",))


# -- a command that failed and later passed ----------------------------------------------------------------------


def test_a_command_that_failed_then_passed_after_a_change_is_learned_with_what_fixed_it() -> None:
    draft = summarize_offline(SessionInput("s", _obs(
        ("prompt", {"text": "make the build green"}),
        ("command", {"tool": "Bash", "command": "make build", "outcome": "error",
                     "detail": "exit 2: cc -c src/io.c\nsrc/io.c:4: error: unknown type name 'ssize_t'"}),
        ("edit", {"tool": "Edit", "files": ("src/io.c",)}),
        ("command", {"tool": "Bash", "command": "make build", "outcome": "ok", "detail": "exit 0"}))))
    assert draft.learned[0] == ("`make build` failed (src/io.c:4: error: unknown type name 'ssize_t'), then passed "
                                "after changing src/io.c")
    assert not any("make build" in d for d in draft.dead_ends)


def test_commits_come_before_the_files_changed_in_the_done_work() -> None:
    draft = summarize_offline(SessionInput("s", _obs(
        *(("edit", {"tool": "Edit", "files": (f"m{n}.py",)}) for n in range(5)),
        ("command", {"tool": "Bash", "command": 'git commit -am "Retry charges with idempotency keys"',
                     "outcome": "ok"}))))
    assert draft.completed[0] == 'Committed "Retry charges with idempotency keys"'


# -- folders, explanations, and what the final reply leaves open ---------------------------------------------------


def test_a_decision_that_names_a_folder_concerns_that_folder_and_not_the_files_changed() -> None:
    draft = offline(Turn("user", "Bump the parser. Never touch vendor/, because the upstream patches are applied "
                                 "by a script."),
                    Turn("assistant", "Bumped it."))
    (note,) = draft.decisions
    assert note.files == ("vendor/",)


def test_an_explanation_in_an_earlier_reply_is_learned() -> None:
    draft = offline(Turn("user", "Why are invoices sent twice?"),
                    Turn("assistant", "Found it: the mailer retries on a timeout after the SMTP server already "
                                      "accepted the mail, so slow days send every invoice twice."),
                    Turn("assistant", "I will read the mailer first, since the log names it. "
                                      "`mail/queue.py` owns the retries."),
                    Turn("assistant", "Fixed: the mailer checks the message id before a retry."))
    assert draft.learned == ("`mail/queue.py` owns the retries.",   # a statement about the code comes first
                             "Found it: the mailer retries on a timeout after the SMTP server already accepted the "
                             "mail, so slow days send every invoice twice.")   # a plan ("I will ...") is no fact


def test_only_the_first_paragraph_of_the_final_reply_is_the_done_work_and_the_rest_may_be_left_open() -> None:
    final = ("The webhook verifies signatures now; 9 tests pass.\n\n"
             "Before we enable it for every tenant:\n- rotate the shared secret\n\n"
             "`hooks/legacy.py` still accepts unsigned calls and needs the same check.\n\n"
             "This should make the retries rarer.\n\n"
             "Pendiente: documentar la cabecera nueva.\n\nOffen: die Gutschriften brauchen dieselbe Prüfung.")
    draft = offline(Turn("user", "Verify webhook signatures"), Turn("assistant", final))
    assert draft.completed == ("The webhook verifies signatures now; 9 tests pass",)
    assert draft.next_steps == ("Documentar la cabecera nueva", "Die Gutschriften brauchen dieselbe Prüfung",  # said
                                "`hooks/legacy.py` still accepts unsigned calls and needs the same check")  # inferred


def test_commit_trailers_and_the_agent_signature_are_no_part_of_what_a_commit_says() -> None:
    command = ("git commit -m \"$(cat <<'EOF'\nPage the exports\n\nExports page by 1,000 rows, since one query per "
               "export timed out.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
               "Co-Authored-By: Claude <noreply@anthropic.com>\nSigned-off-by: Dana <dana@example.com>\nEOF\n)\"")
    draft = summarize_offline(SessionInput("s", _obs(("command", {"tool": "Bash", "command": command,
                                                                  "outcome": "ok"}))))
    assert draft.completed == ('Committed "Page the exports Exports page by 1,000 rows, since one query per export '
                               'timed out."',)
    assert draft.learned == ("Exports page by 1,000 rows, since one query per export timed out.",)


# -- where the reason stands -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sentence", "title", "why"), [
    ("We went with Caddy for the edge proxy: it renews certificates by itself.", "Caddy for the edge proxy",
     "it renews certificates by itself"),
    ("The proxies drop idle streams after 60 s, so we switched to long polling.", "We switched to long polling",
     "The proxies drop idle streams after 60 s"),
])
def test_a_reason_after_a_colon_or_before_so_is_the_choices_reason(sentence: str, title: str, why: str) -> None:
    (note,) = offline(Turn("user", "Tidy the edge up"), Turn("assistant", sentence)).decisions
    assert (note.title, note.rationale) == (title, why)


def test_a_commit_subject_that_chooses_is_a_decision_and_a_glob_it_names_is_its_files() -> None:
    command = 'git commit -m "Use protobuf for `proto/**/*.proto` payloads, JSON broke on 64-bit ids"'
    draft = summarize_offline(SessionInput("s", _obs(("edit", {"tool": "Edit", "files": ("api/app.py",)}),
                                                     ("command", {"tool": "Bash", "command": command,
                                                                  "outcome": "ok"}))))
    (note,) = draft.decisions
    assert (note.title, note.rationale, note.files) == (
        "Use protobuf for `proto/**/*.proto` payloads", "JSON broke on 64-bit ids", ("proto/**/*.proto",))
