"""The memory ref's layout (store/layout.py): pure functions on paths, so plain asserts and their edge cases."""

from __future__ import annotations

import pytest

from gitmem.errors import RecordError
from gitmem.store import layout

FOLDER = "sessions/2026-11/s-1"
SHA1 = "ab" + "c" * 38
SHA256 = "0f" + "e" * 62


@pytest.mark.parametrize("good", ["a", "s-1", "0f3c9a2e-1b7d-4c1e-9a55-2f1e0b7c6d11", "A.b_c-d", "x" * 128])
def test_a_session_id_of_letters_digits_dots_dashes_and_underscores_is_taken_as_is(good: str) -> None:
    assert layout.validate_session_id(good) == good


@pytest.mark.parametrize("bad", ["", "abc\n", "\nabc", "a/b", "..", "a..b", ".hidden", "-x", "x" * 129, "a b",
                                 "a\x00b", "é"])
def test_a_session_id_that_could_leave_its_folder_is_refused(bad: str) -> None:
    with pytest.raises(RecordError, match="invalid session id"):
        layout.validate_session_id(bad)


def test_a_session_folder_is_named_for_the_month_the_session_started() -> None:
    assert layout.session_dir("s-1", "2026-11-24T08:00:00Z") == FOLDER
    with pytest.raises(RecordError, match="yyyy-mm"):
        layout.session_dir("s-1", "24/11/2026")


def test_record_paths_inside_a_folder_are_built_and_taken_apart_the_same_way() -> None:
    summary, obs = layout.summary_path(FOLDER), layout.obs_path(FOLDER, 7)
    assert summary == FOLDER + "/summary.md" and obs == FOLDER + "/obs-0007.yaml"
    assert layout.summary_path(FOLDER + "/") == summary   # a folder written with its trailing slash
    assert layout.obs_path(FOLDER, 12345) == FOLDER + "/obs-12345.yaml"
    for path in (summary, obs):
        assert layout.session_file(path) == (FOLDER, layout.file_name(path))
        assert layout.session_folder(path) == FOLDER
    assert layout.obs_seq(layout.file_name(obs)) == 7 and layout.is_obs_file("obs-0007.yaml")
    assert layout.summary_folder(summary) == FOLDER and layout.summary_folder(obs) is None


def test_observation_file_names_need_four_digits_and_the_yaml_suffix() -> None:
    assert [layout.obs_seq(n) for n in ("obs-0001.yaml", "obs-001.yaml", "obs-0001.yml", "obs-0001.yaml.bak",
                                        "summary.md", "")] == [1, None, None, None, None, None]
    assert not layout.is_obs_file(FOLDER + "/obs-0001.yaml")   # a name, not a path


def test_a_path_of_three_parts_is_a_folder_not_a_file_in_one() -> None:
    assert layout.is_session_folder(FOLDER)
    assert layout.session_folder(FOLDER) is None and layout.session_file(FOLDER) is None
    assert layout.folder_session_id(FOLDER) == "s-1" and layout.folder_session_id(FOLDER + "/") == "s-1"
    assert layout.folder_month(FOLDER) == "2026-11" and layout.folder_month(FOLDER + "/summary.md") == "2026-11"
    for other in ("sessions/2026-11", "sessions", "forgotten/a/b", "sessions//s-1", "conflicts/sessions/2026-11"):
        assert not layout.is_session_folder(other)
    assert layout.folder_month("forgotten/x.yaml") == "" and layout.folder_month("sessions/2026-11") == ""


def test_a_file_deeper_than_a_session_folder_belongs_to_the_folder_but_is_no_record_of_it() -> None:
    deep = FOLDER + "/sub/summary.md"
    assert layout.session_folder(deep) == FOLDER
    assert layout.session_file(deep) is None and layout.summary_folder(deep) is None


def test_tombstones_conflict_copies_and_records_are_told_apart() -> None:
    stone = layout.tombstone_path("20261124T080000Z", "0123456789ab")
    assert stone == "forgotten/20261124T080000Z-0123456789ab.yaml"
    assert layout.is_tombstone(stone) and layout.is_record_path(stone) and layout.session_folder(stone) is None
    copy = layout.conflict_copy(FOLDER + "/summary.md", "f" * 40)
    assert copy == f"conflicts/{FOLDER}/summary.md~{'f' * 16}"
    assert layout.is_conflict_copy(copy) and not layout.is_record_path(copy) and layout.session_folder(copy) is None
    assert layout.is_record_path(FOLDER + "/obs-0001.yaml") and not layout.is_record_path("sessionsX/a/b/c")


@pytest.mark.parametrize("path, commit", [
    (SHA1, SHA1),                                   # flat, as a few notes are written
    (f"{SHA1[:2]}/{SHA1[2:]}", SHA1),               # fanned out, as git writes many
    (f"{SHA1[:2]}/{SHA1[2:4]}/{SHA1[4:]}", SHA1),   # two levels of fan-out
    (SHA256, SHA256),                               # a sha256 repository's 64-hex note path
    (f"{SHA256[:2]}/{SHA256[2:]}", SHA256),
    (SHA1[:39], None),                              # too short
    (SHA1.upper(), None),                           # git writes lower case
    (f"{SHA1[:3]}/{SHA1[3:]}", None),               # fan-out parts are two characters
    (f"sessions/{SHA1[:2]}/{SHA1[2:]}", None),      # inside sessions/: never a note
    ("summary.md", None),
])
def test_a_note_path_names_the_commit_it_annotates(path: str, commit: str | None) -> None:
    assert layout.note_commit(path) == commit
