"""Putting gitmem's handlers into a hooks file's ``hooks`` mapping and taking them out, for every agent's file.

One merge serves every shape: ``hooks`` → event name → a list, whose items are matcher groups holding
handlers (``MATCHER_GROUPS``: Claude Code, Codex, Copilot, Gemini) or the handlers themselves
(``HANDLER_LIST``: Cursor). A ``Shape`` is the small adapter that finds gitmem's handlers in one event's list,
puts gitmem's item in place of the first, and drops the rest. gitmem's handlers are recognised by their command
(``claude_commands.is_gitmem_command``); everything else keeps its place. A container the merge empties goes
only when ``may_drop`` says the install created it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from gitmem.integrations.claude_commands import is_gitmem_command
from gitmem.integrations.jsondoc import JsonDoc


def _is_gitmem(handler: Any) -> bool:
    return isinstance(handler, dict) and isinstance(handler.get("command"), str) \
        and is_gitmem_command(handler["command"])


def _spots(groups: list[Any]) -> list[tuple[int, int]]:
    """(group, handler) positions of gitmem's handlers in one event's list of matcher groups."""
    found = []
    for gi, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
            continue
        found += [(gi, hi) for hi, handler in enumerate(group["hooks"]) if _is_gitmem(handler)]
    return found


def _drop(groups: list[Any], spots: list[tuple[int, int]]) -> None:
    """Remove the handlers at ``spots``, and the groups that this leaves empty."""
    for gi, hi in sorted(spots, reverse=True):
        del groups[gi]["hooks"][hi]
    for gi in sorted({gi for gi, _ in spots}, reverse=True):
        if not groups[gi]["hooks"]:
            del groups[gi]


def _put_group(groups: list[Any], spot: tuple[int, int], group: dict[str, Any]) -> None:
    gi, hi = spot
    if len(groups[gi]["hooks"]) == 1:
        groups[gi] = copy.deepcopy(group)
    else:  # a person grouped gitmem with other handlers: swap only gitmem's one
        groups[gi]["hooks"][hi] = copy.deepcopy(group["hooks"][0])


def _group_handler(groups: list[Any], spot: tuple[int, int]) -> dict[str, Any]:
    return groups[spot[0]]["hooks"][spot[1]]


def _handler_spots(entries: list[Any]) -> list[int]:
    """Positions of gitmem's handlers in one event's list of handlers."""
    return [i for i, entry in enumerate(entries) if _is_gitmem(entry)]


def _drop_handlers(entries: list[Any], spots: list[int]) -> None:
    for i in sorted(spots, reverse=True):
        del entries[i]


def _list_handler(entries: list[Any], spot: int) -> dict[str, Any]:
    return entries[spot]


def _put_handler(entries: list[Any], spot: int, handler: dict[str, Any]) -> None:
    entries[spot] = copy.deepcopy(handler)


@dataclass(frozen=True, slots=True)
class Shape:
    """How one kind of hooks file lists an event's handlers: where gitmem's are, how gitmem's item replaces the
    first and how the others go; ``noun``, what an event's list holds (for messages); ``head``, the keys the file
    starts with when gitmem creates ``hooks``."""

    noun: str
    spots: Callable[[list[Any]], list[Any]]
    put: Callable[[list[Any], Any, dict[str, Any]], None]
    drop: Callable[[list[Any], list[Any]], None]
    handler: Callable[[list[Any], Any], dict[str, Any]]   # gitmem's handler at a spot
    head: dict[str, Any] = field(default_factory=dict)


MATCHER_GROUPS = Shape("matcher groups", _spots, _put_group, _drop, _group_handler)
HANDLER_LIST = Shape("hook commands", _handler_spots, _put_handler, _drop_handlers, _list_handler, {"version": 1})


def has_gitmem(data: dict[str, Any], shape: Shape = MATCHER_GROUPS) -> bool:
    """Whether any event of ``data``'s ``hooks`` runs gitmem."""
    hooks = data.get("hooks")
    return isinstance(hooks, dict) and any(shape.spots(v) for v in hooks.values() if isinstance(v, list))


def gitmem_spots(data: dict[str, Any], shape: Shape = MATCHER_GROUPS) -> list[tuple[str, list[Any], Any]]:
    """(event, its list, spot) of each of gitmem's handlers in ``data``; a part of the wrong shape is skipped."""
    hooks = data.get("hooks")
    return [(event, items, spot) for event, items in (hooks.items() if isinstance(hooks, dict) else ())
            if isinstance(items, list) for spot in shape.spots(items)]


def default_may_drop(entry: dict[str, Any] | None, shape: Shape = MATCHER_GROUPS) -> Callable[[str], bool]:
    """What may go once empty: what the install recorded in ``entry`` created, else anything but ``head``."""
    if entry:
        return lambda c: c in entry["created"]
    return lambda c: c not in shape.head


def remove_gitmem(data: dict[str, Any], keep: set[str], may_drop: Callable[[str], bool],
                  shape: Shape = MATCHER_GROUPS) -> list[str]:
    """Remove gitmem's handlers from every event not in ``keep``; return those events."""
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return []
    removed = []
    for event in list(hooks):
        items = hooks[event]
        if event in keep or not isinstance(items, list):
            continue
        spots = shape.spots(items)
        if not spots:
            continue
        shape.drop(items, spots)
        removed.append(event)
        if not items and may_drop(f"hooks/{event}"):
            del hooks[event]
    if removed and not hooks and may_drop("hooks"):
        del data["hooks"]
        for key in shape.head:
            if may_drop(key):
                data.pop(key, None)
    return removed


def merge(data: dict[str, Any], wanted: dict[str, dict[str, Any]], may_drop: Callable[[str], bool],
          shape: Shape = MATCHER_GROUPS) -> tuple[list[str], list[str], list[str], list[str]]:
    """Put gitmem's one item per event (``wanted``) into ``data``; (added, replaced, removed, created
    containers)."""
    added, replaced, created = [], [], []
    if "hooks" not in data:
        for key, value in shape.head.items():
            if key not in data:
                data[key] = value
                created.append(key)
        data["hooks"] = {}
        created.append("hooks")
    hooks = data["hooks"]
    for event, item in wanted.items():
        if event not in hooks:
            hooks[event] = []
            created.append(f"hooks/{event}")
        items = hooks[event]
        spots = shape.spots(items)
        if not spots:
            items.append(copy.deepcopy(item))
            added.append(event)
            continue
        before = copy.deepcopy(items)
        shape.put(items, spots[0], item)
        shape.drop(items, spots[1:])
        if items != before:
            replaced.append(event)
    removed = remove_gitmem(data, set(wanted), may_drop, shape)
    return added, replaced, removed, created


@dataclass(frozen=True, slots=True)
class HooksMerge:
    """What putting gitmem's hooks into a hooks file did: the events added, replaced and removed, the containers
    it created (``file`` and ``dir`` too, when the file and its folder are new), and whether the data changed."""

    added: tuple[str, ...]
    replaced: tuple[str, ...]
    removed: tuple[str, ...]
    created: tuple[str, ...]
    changed: bool


def merge_hooks(doc: JsonDoc, wanted: dict[str, list[dict[str, Any]]] | dict[str, dict[str, Any]],
                entry: dict[str, Any] | None, shape: Shape = MATCHER_GROUPS) -> HooksMerge:
    """Put ``wanted`` into the hooks file ``doc``: for matcher groups one group per event in a list (Claude Code's
    ``hooks_config``), for a handler list the handler; a container it empties goes only when the install recorded
    in ``entry`` created it (no record: any but ``shape.head``)."""
    items = {e: (w[0] if isinstance(w, list) else w) for e, w in wanted.items()}
    before = copy.deepcopy(doc.data)
    created = [] if doc.existed else ["file"] + ([] if doc.path.parent.exists() else ["dir"])
    added, replaced, removed, made = merge(doc.data, items, default_may_drop(entry, shape), shape)
    return HooksMerge(tuple(added), tuple(replaced), tuple(removed), tuple(created + made),
                      doc.data != before or not doc.existed)
