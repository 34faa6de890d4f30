"""YAML text as gitmem's records and settings write it: safe loading with errors naming the file's line,
dumping that never ends a front matter early, and the ``---`` front matter of a Markdown file.

Part of the foundation: ``config`` reads ``.gitmem/config.yaml`` with it, ``store.records`` its records.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml

from gitmem import yaml_subset
from gitmem.errors import RecordError

# libyaml's C parser is several times faster; the pure-Python one remains the fallback and the source
# of precise error messages. Dumping stays pure Python: libyaml's emitter ends documents whose last
# value keeps trailing newlines with a `...` line, which would close the front matter early.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line strings as literal blocks.

    Block scalars are always indented under their key, so no dumped line can
    read ``---`` at column 0 and end the front matter early.
    """


# YAML 1.1 also counts NEL, LS and PS as line breaks, and a reader folds NEL
# into "\n" (or a space) inside literal and single-quoted scalars; only the
# double-quoted style escapes them (\N, \L, \P), so it is forced for them.
_YAML_ONLY_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(ch in value for ch in _YAML_ONLY_BREAKS):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    # width: never fold long lines (the C emitter wants an int, not infinity)
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=2**31 - 1, default_flow_style=False)


def load_yaml(text: str, path: str, line_offset: int = 0) -> Any:
    """``text`` parsed safely; ``RecordError`` naming the file's line (``line_offset`` + the YAML's own line).

    Text in the shape gitmem's own dumper writes is read by ``yaml_subset`` (same result, several times faster);
    anything else by PyYAML: libyaml parses first; on any error the pure-Python parser runs again for its precise message, so both
    builds of PyYAML report the same line. Deep nesting is the one error the two disagree on (libyaml
    >= 6.0.4 stops it with a ScannerError, the pure parser recurses out): the line is where the pure
    parser's reader stood when it gave up, which is the line the nesting passed the limit on.
    """
    fast = yaml_subset.load(text)
    if fast is not None:
        return fast
    if _FAST_LOADER is not None:
        try:
            return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - CSafeLoader is the safe loader
        except Exception:  # noqa: BLE001 - the pure-Python parser below reports the error precisely
            pass
    loader: yaml.SafeLoader | None = None
    try:
        loader = yaml.SafeLoader(text)  # checks for control characters (ReaderError) before parsing
        return loader.get_single_data()
    except RecursionError:
        depth_line = loader.get_mark().line if loader is not None else 0
        raise RecordError("invalid YAML: nested too deeply", path, depth_line + 1 + line_offset,
                          hint="restore the record from the ref's history.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or str(exc)
        raise RecordError(f"invalid YAML: {problem}", path, line,
                          hint="fix the YAML syntax at that line (quote values that contain ': ' or start with a special character).") from None
    except yaml.reader.ReaderError as exc:
        # Raised for control characters before any parsing, with a character offset instead of a mark.
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        raise RecordError(f"invalid YAML: control character {exc.character:#04x} is not allowed", path, line,
                          hint="remove the character, or write it as an escape inside double quotes.") from None
    except yaml.YAMLError as exc:
        raise RecordError(f"invalid YAML: {exc}", path, hint="fix the YAML syntax.") from None
    except (ValueError, OverflowError) as exc:
        # A value YAML recognises but cannot build, such as the date 2026-13-01.
        bad = str(exc).split(":", 1)[0]
        line = next((i + 1 + line_offset for i, text_line in enumerate(text.split("\n"))
                     if re.search(r":\s*'?\d{4}-\d{1,2}-\d{1,2}", text_line) and _bad_date(text_line)), None)
        raise RecordError(f"invalid {'date' if line else 'value'}: {bad}", path, line,
                          hint="write a real date as yyyy-mm-dd, or quote the value to keep it as text.") from None
    finally:
        if loader is not None:
            loader.dispose()


def _bad_date(line: str) -> bool:
    m = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", line)
    if not m:
        return False
    try:
        datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return True
    return False


def split_front_matter(text: str, path: str) -> tuple[str, str, int]:
    """Return (front matter, body, number of the first front matter line)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if not lines or lines[0].rstrip("\r") != "---":
        raise RecordError("does not start with a `---` front matter line", path, 1,
                          hint="put the YAML front matter between two `---` lines at the top of the file.")
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r") in ("---", "..."):
            front = "\n".join(lines[1:i])
            body = "\n".join(lines[i + 1:])
            return front, body, 2
    raise RecordError("front matter is not closed by a `---` line", path, 1,
                      hint="add a line `---` after the YAML front matter.")
