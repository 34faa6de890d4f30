"""Text from memory made safe to place inside the ``<gitmem-memory>`` fence.

Everything gitmem hands a model (the SessionStart brief, prompt-time recall,
MCP answers, ``gitmem context``, ``show``/``log``/``search``, which the
assistant runs itself) is text that past sessions and teammates wrote, and it
arrives with no review. This module is the one place that makes such text
data: it can sit inside a fence without ending the fence or starting a
structure of its own.

Invariants:
- No tag survives. An opening angle bracket that starts a tag (``<name``,
  ``</name``, ``< / name >``, ``<!``, ``<?``) becomes ``[`` and the bracket
  that closes it ``]``, whatever the tag's name (an email address written
  ``<name@host>`` is left alone, as git writes identities): the rule is the shape of a
  tag, not a list of phrases, so ``</gitmem-memory>``, ``</system>`` and
  ``<system-reminder>`` are all treated alike. Look-alikes count as the
  real thing: case, whitespace and invisible characters inside the tag,
  Unicode compatibility forms (NFKC: fullwidth ``＜／``), angle-bracket and
  slash confusables NFKC leaves alone (``‹ 〈 ⟨ ❮ ˂ ᐸ ∕ ⁄``), HTML named
  and numeric entities (``&lt;`` ``&#60`` ``&#x3C;``) and ``\\u003c``,
  ``\\x3c``, ``%3C`` escapes.
- ``inline`` returns one line: control characters, line and paragraph
  separators become spaces, invisible format characters (zero-width, bidi
  controls) are dropped, runs of white space become one space.
- ``block`` keeps line breaks, but no line starts a Markdown heading, a code
  fence or a rule (it is escaped with a backslash).
- Work is bounded by the cap: a 50 MB field costs what its first few
  kilobytes cost, and the output is at most ``cap`` characters.
- Standard library only and no ``re``: prompt-time recall imports this
  inside the UserPromptSubmit hook (``unicodedata`` is a small C module).
"""

import unicodedata

ELLIPSIS = "…"
OPEN_MARK = "["
CLOSE_MARK = "]"
TAG_REACH = 256          # how far after ``<`` the bracket that closes a tag is looked for
FIELD_CHARS = 4000       # default cap of one field read for display
_SLACK = 64

# Confusables that NFKC does not fold into ASCII (it already folds ＜ ﹤ ／ ＞ and 〈 -> 〈).
_LOOKALIKE = {}
for _ch in "\u2039\u2329\u3008\u27e8\u276e\u276c\u02c2\u1438\u29fc\u00ab\u300a\u2264\u226a\u02f1\u1401":
    _LOOKALIKE[_ch] = "<"
for _ch in "\u203a\u232a\u3009\u27e9\u276f\u276d\u02c3\u1433\u29fd\u00bb\u300b\u2265\u226b\u02f2\u1405":
    _LOOKALIKE[_ch] = ">"
for _ch in "\u2044\u2215\u29f8\u2571\u27cb\u2afd\u0338":
    _LOOKALIKE[_ch] = "/"
for _ch in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\u2043":
    _LOOKALIKE[_ch] = "-"
# Named character references a reader might decode into one of the characters that matter.
_NAMED = {"lt": "<", "gt": ">", "lang": "<", "rang": ">", "langle": "<", "rangle": ">", "lsaquo": "<",
          "rsaquo": ">", "laquo": "<", "raquo": ">", "sol": "/", "frasl": "/", "excl": "!", "quest": "?"}
_HEX = "0123456789abcdefABCDEF"
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_ASCII_CONTROLS = {i: " " for i in list(range(32)) + [127]}
_ASCII_CONTROLS_KEEP_LINES = {**_ASCII_CONTROLS, **{ord(c): "\n" for c in "\n\r\x0b\x0c\x1c\x1d\x1e"}, 9: "\t"}
_skeletons: dict[str, str] = {}


def _skeleton(ch):
    """The character a reader could take ``ch`` for (for detection only)."""
    if ch < "\x80":
        return ch
    found = _skeletons.get(ch)
    if found is None:
        found = _LOOKALIKE.get(ch)
        if found is None:
            norm = unicodedata.normalize("NFKC", ch)
            found = _LOOKALIKE.get(norm, norm) if len(norm) == 1 else ch
        if len(_skeletons) < 4096:
            _skeletons[ch] = found
    return found


def _invisible(ch):
    return ch >= "\x80" and unicodedata.category(ch) in ("Cf", "Mn", "Me")


def _number(text, i, digits, limit=8):
    """(value, end) of a run of ``digits`` (decimal or hex) at ``i``; value -1 when there is none."""
    j = i
    while j < len(text) and j - i < limit and text[j] in digits:
        j += 1
    if j == i:
        return -1, i
    return int(text[i:j], 16 if digits is _HEX else 10), j


def _char_from(code):
    return chr(code) if 0 < code < 0x110000 and not 0xD800 <= code < 0xE000 else ""


def _token(text, i):
    """(skeleton, length) of the character at ``i``: one character, or an entity or escape spelling one."""
    ch = text[i]
    if ch == "&":
        j = i + 1
        if text[j:j + 1] == "#":
            if text[j + 1:j + 2] in ("x", "X"):
                code, end = _number(text, j + 2, _HEX)
            else:
                code, end = _number(text, j + 1, "0123456789")
            decoded = _char_from(code) if code >= 0 else ""
        else:
            end = j
            while end < len(text) and end - j < 8 and text[end].isalpha() and text[end].isascii():
                end += 1
            decoded = _NAMED.get(text[j:end].lower(), "")
            while not decoded and end > j + 1:  # `&ltfoo`: HTML reads `&lt` without its semicolon
                end -= 1
                decoded = _NAMED.get(text[j:end].lower(), "") if text[j:end].lower() in ("lt", "gt") else ""
        if decoded:
            if text[end:end + 1] == ";":
                end += 1
            return _skeleton(decoded), end - i
    elif ch == "\\":
        kind = text[i + 1:i + 2]
        if kind in ("u", "U", "x", "X"):
            start = i + 2 + (text[i + 2:i + 3] == "{")
            code, end = _number(text, start, _HEX, 8 if kind == "U" else (4 if kind == "u" else 2))
            if code >= 0 and _char_from(code):
                if text[end:end + 1] == "}" and start > i + 2:
                    end += 1
                return _skeleton(chr(code)), end - i
    elif ch == "%":
        code, end = _number(text, i + 1, _HEX, 2)
        if end == i + 3 and code >= 0:
            return _skeleton(chr(code)), 3
    return _skeleton(ch), 1


def _skip(text, i, spaces):
    """Past invisible characters (and white space when ``spaces``) from ``i``."""
    while i < len(text):
        ch = text[i]
        if _invisible(ch) or (spaces and ch.isspace()):
            i += 1
            continue
        if spaces and ch in "&\\%":
            sk, n = _token(text, i)
            if sk.isspace() and n > 1:
                i += n
                continue
        break
    return i


def _tag_at(text, i):
    """Is there a tag after the ``<`` look-alike that ends at ``i``? (is_tag, where its name starts)."""
    j = _skip(text, i, False)
    if j >= len(text):
        return False, j
    sk, n = _token(text, j)
    if sk in ("!", "?"):
        return True, j + n
    k = _skip(text, j, True)
    spaced = k > j
    closing = False
    if k < len(text):
        sk, n = _token(text, k)
        if sk == "/":
            closing = True
            k = _skip(text, k + n, True)
    if k >= len(text) or not _token(text, k)[0].isalpha():
        return False, k
    return closing or not spaced, k


def _closer(text, i):
    """(start, length) of the ``>`` look-alike that closes a tag whose name starts at ``i``, or (-1, 0)."""
    end = min(len(text), i + TAG_REACH)
    while i < end:
        if text[i] in _LINE_BREAKS:
            break
        sk, n = _token(text, i)
        if sk == ">":
            return i, n
        if sk == "<":
            break
        i += n
    return -1, 0


def _bare_name_closes(text, i):
    """Is there a tag name at ``i`` followed by nothing but white space and ``>`` (or ``/>``)?"""
    if i >= len(text) or not _token(text, i)[0].isalpha():
        return False
    while i < len(text):
        sk, n = _token(text, i)
        if not (sk.isalnum() or sk in "-_:."):
            break
        i += n
    i = _skip(text, i, True)
    if i < len(text) and _token(text, i)[0] == "/":
        i = _skip(text, i + _token(text, i)[1], True)
    return i < len(text) and _token(text, i)[0] == ">"


def _is_address(text, i):
    """Is ``name@host>`` at ``i``: an email address in angle brackets?"""
    j = i
    while j < len(text) and j - i < 254 and text[j].isascii() and (text[j].isalnum() or text[j] in "._+-@"):
        j += 1
    return "@" in text[i:j] and text[j:j + 1] == ">"


def neutralize(text):
    """``text`` with every tag-like construct (and look-alike) turned into ``[...]``; nothing else changes."""
    if not text:
        return ""
    out = []
    last = i = 0
    n = len(text)
    pending = -1   # where the bracket closing the last tag starts
    while i < n:
        if i == pending:
            _at, width = _closer(text, i)
            out.append(text[last:i])
            out.append(CLOSE_MARK)
            i = last = i + width
            pending = -1
            continue
        ch = text[i]
        if ch.isascii() and (ch.isalnum() or ch == " "):
            i += 1
            continue
        sk, width = _token(text, i)
        if sk != "<":
            step = width if width > 1 and sk in "<>/!?" else 1
            i = min(i + step, pending) if pending > i else i + step
            continue
        is_tag, name = _tag_at(text, i + width)
        if is_tag and name == i + width and _is_address(text, name):
            i += width  # `Name <name@example.com>`: how git writes an identity, not a tag
            continue
        if not is_tag:  # `< name >` is a tag, `x < limit and y > 3` a comparison
            name = _skip(text, i + width, True)
            if not _bare_name_closes(text, name):
                i += width
                continue
        out.append(text[last:i])
        out.append(OPEN_MARK)
        i = last = i + width
        pending = _closer(text, name)[0]
    out.append(text[last:])
    return "".join(out)


def _fold(text, keep_lines):
    """Control characters to spaces (line breaks to ``\\n`` when ``keep_lines``); invisible format characters
    dropped."""
    if text.isascii():
        if keep_lines:
            return text.replace("\r\n", "\n").translate(_ASCII_CONTROLS_KEEP_LINES)
        return text.translate(_ASCII_CONTROLS)
    out = []
    if keep_lines:
        text = text.replace("\r\n", "\n")
    for ch in text:
        if ch < " " or ch == "\x7f" or ("\x80" <= ch and ch in _LINE_BREAKS):
            out.append("\n" if keep_lines and (ch in _LINE_BREAKS) else ("\t" if keep_lines and ch == "\t" else " "))
        elif ch >= "\x80":
            cat = unicodedata.category(ch)
            if cat == "Cf":
                continue
            out.append(" " if cat in ("Cc", "Zl", "Zp", "Cs") else ch)
        else:
            out.append(ch)
    return "".join(out)


def cut(text, cap):
    """``text`` as it is when it fits ``cap`` characters, else its head and an ellipsis: the one clip of gitmem."""
    return text if len(text) <= cap else text[:max(cap - 1, 0)].rstrip() + ELLIPSIS


def one_line(text, cap):
    """``text`` with its whitespace runs as single spaces, cut to ``cap`` (no fencing: see ``inline``)."""
    return cut(" ".join(str(text).split()), cap)


def inline(text, cap=FIELD_CHARS):
    """One line of at most ``cap`` characters, with no tag in it: for a title, a name, a branch, an id."""
    if not text:
        return ""
    text = str(text)[:cap * 4 + _SLACK]
    return cut(neutralize(" ".join(_fold(text, False).split())), cap)


def record(value, cap=FIELD_CHARS, items=1000, blocks=("body",)):
    """A copy of a frozen record (a dataclass, nested ones included) for display: every text field fenced
    and capped (``inline``; ``block`` for fields named in ``blocks``), lists cut to ``items`` entries.

    Clipping when a record is read for display keeps a 50 MB title from costing what 50 MB costs."""
    import dataclasses  # not at the top: recall imports this module in the hook, and dataclasses pulls in re

    def one(v, name=""):
        if isinstance(v, str):
            return block(v, cap) if name in blocks else inline(v, cap)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return record(v, cap, items, blocks)
        if isinstance(v, tuple):
            return tuple(one(x) for x in v[:items])
        return v

    changes = {}
    for f in dataclasses.fields(value):
        v = getattr(value, f.name)
        new = one(v, f.name)
        if new is not v and new != v:
            changes[f.name] = new
    return dataclasses.replace(value, **changes) if changes else value


TEAMMATE = "teammate's session"
UNREVIEWED = "unreviewed"


def author_key(author):
    """Who an identity ``Name <email>`` names, for telling the local user's sessions from teammates': the
    email in lower case, else the whole identity."""
    head = (author or "")[:400]
    start, end = head.find("<"), head.find(">")
    return (head[start + 1:end] if 0 <= start < end else head).strip().lower()


_BLOCK_STARTS = ("#", "```", "~~~", "---", "===", "***", "___")


def block(text, cap=FIELD_CHARS):
    """Text of at most ``cap`` characters that may span lines, with no tag in it and no line that starts a
    heading, a code fence or a rule (those get a backslash in front): for a body or a long answer."""
    if not text:
        return ""
    text = neutralize(_fold(str(text)[:cap * 4 + _SLACK], True))
    lines = []
    for line in text.split("\n"):
        bare = line.lstrip(" \t")
        if bare.startswith(_BLOCK_STARTS):
            line = line[:len(line) - len(bare)] + "\\" + bare
        lines.append(line.rstrip())
    return cut("\n".join(lines).strip("\n"), cap)


def scrub(value, cap=FIELD_CHARS, blocks=("body",)):
    """Plain data (dicts, lists, tuples) with every string fenced: values under a key in ``blocks`` through
    ``block``, all others through ``inline``; keys, numbers and the shape stay as they are."""
    if isinstance(value, str):
        return inline(value, cap)
    if isinstance(value, dict):
        return {k: block(v, cap) if k in blocks and isinstance(v, str) else scrub(v, cap, blocks)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, cap, blocks) for v in value]
    return value
