"""jsondoc keeps a settings file's bytes: only the members whose data changed are rewritten."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmem.integrations.jsondoc import key_line, read_json_doc

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)
SCALARS = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                      max_leaves=12)
LAYOUTS = st.sampled_from([
    {"indent": 2}, {"indent": 4}, {"indent": "\t"}, {"indent": None},
    {"indent": None, "separators": (",", ":")}, {"indent": 2, "separators": (",", " : ")},
    {"indent": 2, "ensure_ascii": True},
])
ADDED = {"type": "command", "command": "gitmem hook Stop || true", "timeout": 10}


def doc_of(tmp: Path, text: str):
    path = tmp / "settings.json"
    path.write_bytes(text.encode())
    return read_json_doc(path, "settings.json", "fix it")


def _add(data: dict) -> dict:
    """What an install does: a new top-level member, a new member in each object, an element in each list."""
    new = copy.deepcopy(data)
    for value in new.values():
        if isinstance(value, dict):
            value["gitmem-added"] = ADDED
        elif isinstance(value, list):
            value.append(ADDED)
    new["hooks-added-by-gitmem"] = {"Stop": [{"hooks": [ADDED]}]}
    return new


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(KEYS, VALUES, max_size=5), layout=LAYOUTS, final_newline=st.booleans(),
       crlf=st.booleans())
def test_adding_members_and_removing_them_again_gives_back_the_bytes(tmp_path: Path, data: dict, layout: dict,
                                                                     final_newline: bool, crlf: bool) -> None:
    text = json.dumps(data, **layout) + ("\n" if final_newline else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    doc = doc_of(tmp_path, text)
    assert doc.render_text() == text  # nothing changed: nothing rewritten

    doc.data = _add(data)
    added = doc.render_text()
    assert json.loads(added) == doc.data

    again = doc_of(tmp_path, added)
    again.data = copy.deepcopy(data)
    assert again.render_text() == text


def test_a_changed_value_keeps_its_neighbours_spelling(tmp_path: Path) -> None:
    text = '{\n  "n": 1.0,\n  "big": 1e3,\n  "s": "caf\\u00e9",\n  "hooks": {"Stop": [ {"command": "old"} ]}\n}\n'
    doc = doc_of(tmp_path, text)
    doc.data["hooks"]["Stop"][0]["command"] = "new"

    assert doc.render_text() == text.replace('"old"', '"new"')


def test_key_line_finds_nested_keys() -> None:
    text = '{\n  "a": {\n    "b": [1, {"c": 2}]\n  },\n  "d": 3\n}\n'
    assert key_line(text, ("a",)) == 2
    assert key_line(text, ("a", "b")) == 3
    assert key_line(text, ("d",)) == 5
    assert key_line(text, ("x",)) is None
