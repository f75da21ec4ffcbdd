"""How the canonical model lands in monday.com, as pure functions the target's writes and its
ledger share (so what the mapping screen says is what the run does).

A container is a board, a stage a group, a field a column matched by title and type (or
created), an item an item with every column value in one `create_item`, a comment an update
(author and date in its text), a file an asset in the item's file column. The adapter owns a
few columns of its own (`OWN`): the provenance marker, the description, checklists, the files'
and the links' markers, people, labels and the due date; each is created only when the
container uses it. Column values follow monday.com's documented write shapes (reference M5).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wizard.model import Comment, FieldDef, FieldType, Item, Template
from wizard.provenance import clip, marker, name_for, neutralise

QUERY_CAP = 5_000_000  # complexity points one request may cost (reference M4)
MUTATION_COST = 10_000  # what one create_item costs (reference M5; the sandbox charges every mutation so)
BUDGET = 10_000_000  # points a minute, personal token (1,000,000 on trial and free plans)
MINUTE_REQUESTS = 2_500  # Pro
NAME_LIMIT = 255  # an item's, a group's, a board's name (ItemNameTooLongException past it)
LONG_TEXT_LIMIT = 2_000  # a long text column's value
TEXT_LIMIT = 2_000
LABEL_LIMIT = 100  # a dropdown label, a tag's name
ITEMS_PER_BOARD = 10_000  # monday.com's most (ItemsLimitationException past it, reference M4)
_CONTINUED = re.compile(r"^Items past monday\.com's [\d,]+ a board continue on boards? ([\d, ]+)\.$", re.MULTILINE)


@dataclass(frozen=True)
class OwnColumn:
    """A column the adapter owns: its id (asked for on create, so it is the same on every
    board), title, type and what it says on the board."""

    role: str
    id: str
    title: str
    type: str
    note: str


MARKER = OwnColumn("marker", "mw_source", "Migration source", "text", "kept by the migration: do not edit")
DESCRIPTION = OwnColumn("description", "mw_description", "Description", "long_text", "the source's description")
CHECKLISTS = OwnColumn("checklists", "mw_checklists", "Checklists", "long_text", "the source's checklists")
FILES = OwnColumn("files", "mw_files", "Files", "file", "the source's files")
FILE_SOURCES = OwnColumn("file_sources", "mw_file_sources", "File sources", "long_text", "where each file came from")
LINKS = OwnColumn("links", "mw_links", "Links", "long_text", "the source's links")
PEOPLE = OwnColumn("people", "mw_people", "People", "people", "the source's assignees")
LABELS = OwnColumn("labels", "mw_tags", "Tags", "tags", "the source's labels, as the account's tags")
DUE = OwnColumn("due", "mw_due", "Due", "date", "the source's due date")
HISTORY = OwnColumn("history", "mw_history", "Comment history", "long_text", "the source's comments, oldest first")
OWN = (MARKER, DESCRIPTION, CHECKLISTS, FILES, FILE_SOURCES, LINKS, PEOPLE, LABELS, DUE, HISTORY)
DONE = OwnColumn("done", "mw_done", "Done", "checkbox", "the source's checklist item or sub-item is done")
STAGE = OwnColumn("stage", "mw_stage", "Stage", "text", "the stage of the source's sub-item")
SUBITEM_OWN = (MARKER, DONE)  # on a board's subitems board, when checklist items are subitems
CHILD_OWN = (MARKER, DONE, STAGE)  # and when the source's own sub-items are, beside the board's columns

COLUMN_TYPES: dict[FieldType, str] = {
    FieldType.text: "text",
    FieldType.textarea: "long_text",
    FieldType.number: "numbers",
    FieldType.checkbox: "checkbox",
    FieldType.date: "date",
    FieldType.dropdown: "dropdown",
    FieldType.multiselect: "dropdown",
    FieldType.email: "email",
    FieldType.url: "link",
    FieldType.file: "long_text",
    FieldType.people: "text",
}
OVERRIDE_TYPES = frozenset(COLUMN_TYPES.values()) | {"status"}


def per_request(cost_each: int) -> int:
    """How many mutations of this cost one request may alias under the per-query cap (one
    share kept for the selections)."""
    return max(1, QUERY_CAP // max(1, cost_each) - 1)


BUDGET_HEADROOM = 0.98  # of a minute's budget: what a request's selections and the run's reads leave


def items_per_request(asked: int, cost_each: int, budget: int) -> int:
    """New items aliased into one request: at most what the plan asks and the per-query cap
    allows at what one `create_item` costs, and sized so whole requests fill a minute's budget
    (at the documented cost, the same in a dry run as in the run): 25 a request on the free
    plan's 1,000,000 points would fit three requests, 75 items a minute; 24 fit four, 96."""
    most = max(1, min(asked, per_request(cost_each)))
    per_minute = int(budget * BUDGET_HEADROOM) // MUTATION_COST  # items a minute's budget holds
    if per_minute <= most:
        return max(1, per_minute)
    fill = {s: (per_minute // s) * s for s in range(1, most + 1)}
    best = max(fill.values())
    return max(s for s, n in fill.items() if n >= best * 0.95)  # the largest within 5 % of the best


def batch_size(asked: int) -> int:
    """Mutations aliased into one request: what the plan asks, within the per-query cap."""
    return max(1, min(asked, per_request(MUTATION_COST)))


def own_columns(tpl: Template, with_history: bool = False, *, checklists: bool = True) -> list[OwnColumn]:
    """The adapter's columns this container needs (each only when something uses it; the
    comment history when the container's comment strategy is "field"; the Checklists column
    unless checklist items are subitems)."""
    wanted = [MARKER, DESCRIPTION, FILES, FILE_SOURCES, LINKS, PEOPLE, *([CHECKLISTS] if checklists else []), DUE]
    if tpl.tags:
        wanted.append(LABELS)
    if with_history:
        wanted.append(HISTORY)
    return wanted


def column_type(f: FieldDef, overrides: dict[str, str]) -> str:
    """The column type a field gets: the plan's override, else the preset's."""
    wanted = overrides.get(f.key)
    return wanted if wanted in OVERRIDE_TYPES else COLUMN_TYPES.get(f.type, "text")


def column_title(f: FieldDef) -> str:
    return name_for(f.name, NAME_LIMIT)


def column_titles(tpl: Template, overrides: dict[str, str]) -> dict[str, str]:
    """Each field's column title. monday.com holds a field as a column found by title and
    type, so fields sharing both (a "Notes" in two Pipefy phases) would share one column and
    one's value would overwrite the other's: each of them is named for its stage instead
    ("Triage: Notes"), or numbered where that is not enough ("Notes (2)"). A function of the
    template alone, so every run and sync finds the same columns again."""
    stages = {s.key: " ".join(s.name.split()) for s in tpl.stages}
    plain = {f.key: column_title(f) for f in tpl.fields}
    shared: dict[tuple[str, str], list[FieldDef]] = {}
    for f in tpl.fields:
        shared.setdefault((plain[f.key], column_type(f, overrides)), []).append(f)
    out = dict(plain)
    taken = {(t, column_type(f, overrides)) for f in tpl.fields for t in [plain[f.key]]}
    for (title, ctype), fields in shared.items():
        if len(fields) < 2:
            continue
        for n, f in enumerate(fields):
            stage = stages.get(f.stage_key or "")
            if n == 0 and not stage:
                continue  # the form's own (no stage) keeps the title
            wanted = name_for(f"{stage}: {f.name}", NAME_LIMIT) if stage else title
            named, k = wanted, 1
            while (named, ctype) in taken:
                k += 1
                named = name_for(wanted, NAME_LIMIT - len(f" ({k})")) + f" ({k})"
            taken.add((named, ctype))
            out[f.key] = named
    return out


def column_defaults(f: FieldDef, ctype: str) -> str | None:
    """A dropdown's labels, made with the column (its options, by text)."""
    if ctype != "dropdown":
        return None
    labels = list(dict.fromkeys(clip(o.text, LABEL_LIMIT) for o in f.options if o.text.strip()))
    return json.dumps({"settings": {"labels": [{"id": i + 1, "name": t} for i, t in enumerate(labels)]}})


def tag_title(name: str) -> str:
    """The name a label's tag gets (the engine compares it without case)."""
    return clip(" ".join(name.split()) or "label", LABEL_LIMIT)


def item_name(name: str) -> str:
    return name_for(name, NAME_LIMIT)


def board_description(tpl: Template, source_label: str) -> str:
    """The board's description: where it came from, our marker last."""
    origin = neutralise(tpl.url or tpl.name)
    text = neutralise(tpl.description)
    body = f"{text}\n\n" if text.strip() else ""
    return f"{body}Migrated from {source_label}: {origin}\n{marker(tpl.key)}"


def spill_key(key: str, n: int) -> str:
    """The marker key of a container's n-th board (n >= 2: the boards its items continue on
    once the one before holds monday.com's most)."""
    return f"{key}#board-{n}"


def spill_name(name: str, n: int) -> str:
    suffix = f" ({n})"
    return name_for(name, NAME_LIMIT - len(suffix)) + suffix


def spill_description(description: str, key: str, n: int) -> str:
    """A continuation board's description: its first board's, with its own marker last."""
    kept = [ln for ln in (description or "").splitlines() if not ln.startswith("[mw:") and not _CONTINUED.match(ln)]
    return "\n".join([*kept, marker(spill_key(key, n))])


def spill_ids(description: str | None) -> list[str]:
    """The boards a first board's items continue on, as its description names them."""
    found = _CONTINUED.search(description or "")
    return [b for b in (found.group(1).replace(",", " ").split() if found else []) if b.isdigit()]


def with_spills(description: str, ids: list[str]) -> str:
    """The first board's description naming the boards its items continue on, just before
    our marker (which stays last)."""
    lines = [ln for ln in (description or "").splitlines() if not _CONTINUED.match(ln)]
    boards = f"board{'s' if len(ids) > 1 else ''} {', '.join(ids)}"
    note = f"Items past monday.com's {ITEMS_PER_BOARD:,} a board continue on {boards}."
    at = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith("[mw:")), len(lines))
    return "\n".join([*lines[:at], note, *lines[at:]])


def copied_defaults(column: dict[str, Any]) -> str | None:
    """What a column copied onto a continuation board is made with: a dropdown's labels."""
    settings = column.get("settings")
    if isinstance(settings, str):
        settings = json.loads(settings or "{}")
    labels = (settings or {}).get("labels") if isinstance(settings, dict) else None
    if column.get("type") != "dropdown" or not labels:
        return None
    return json.dumps({"settings": {"labels": labels}})


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def value_for(f: FieldDef, ctype: str, raw: object) -> tuple[Any, str | None]:
    """(the column value in monday.com's write shape, or None; why it is lost, or None)."""
    if raw is None or raw == "" or raw == []:
        return None, None
    texts = {o.id: o.text for o in f.options}
    listed = raw if isinstance(raw, list) else [raw]
    as_text = ", ".join(texts.get(str(v), str(v)) for v in listed)
    if ctype == "text":
        return neutralise(clip(as_text, TEXT_LIMIT)), (
            f"{len(as_text):,} characters, over monday.com's limit of {TEXT_LIMIT:,}; cut"
            if len(as_text) > TEXT_LIMIT
            else None
        )
    if ctype == "long_text":
        cut = len(as_text) > LONG_TEXT_LIMIT
        why = f"{len(as_text):,} characters, over monday.com's long text limit of {LONG_TEXT_LIMIT:,}; cut"
        return {"text": neutralise(clip(as_text, LONG_TEXT_LIMIT))}, why if cut else None
    if ctype == "numbers":
        try:
            number = float(str(raw))
        except ValueError:
            return None, f"'{str(raw)[:40]}' is not a number; a numbers column cannot hold it"
        return (str(int(number)) if number.is_integer() else str(number)), None
    if ctype == "checkbox":
        if raw is True or str(raw).lower() in ("true", "1", "yes", "checked"):
            return {"checked": "true"}, None
        return None, "unchecked: monday.com holds an unchecked checkbox as an empty column"
    if ctype == "date":
        when = _when(raw)
        if when is None:
            return None, f"'{str(raw)[:40]}' is not a date; a date column cannot hold it"
        return {"date": when.strftime("%Y-%m-%d")}, None
    if ctype in ("dropdown", "status"):
        labels = [clip(texts.get(str(v), str(v)), LABEL_LIMIT) for v in listed if str(v).strip()]
        unknown = [str(v) for v in listed if f.options and str(v) not in texts and str(v) not in texts.values()]
        if unknown:
            return None, f"{', '.join(unknown)[:80]} is not one of the field's options; monday.com cannot hold it"
        if ctype == "status":
            return {"label": labels[0]}, None
        return {"labels": labels}, None
    if ctype == "email":
        if "@" not in as_text:
            return None, f"'{as_text[:40]}' is not an email address; an email column cannot hold it"
        return {"email": as_text, "text": as_text}, None
    if ctype == "link":
        return {"url": as_text, "text": as_text}, None
    return neutralise(as_text), None


def checklist_text(item: Item) -> str:
    lines = []
    for cl in item.checklists:
        lines.append(neutralise(cl.name))
        lines += [f"- [{'x' if ci.done else ' '}] {neutralise(ci.name)}" for ci in cl.items]
    return "\n".join(lines)


def description_text(item: Item, placeholders: list[str], source_label: str) -> str:
    text = neutralise(item.description)
    if placeholders:
        text += f"\n\nAssigned in {source_label} to: {', '.join(neutralise(p) for p in placeholders)}"
    return text.strip()


def comment_body(c: Comment, source_label: str) -> str:
    """An update's HTML: who wrote it and when (monday.com sets neither), the text, our marker."""
    when = c.created_at.strftime("%Y-%m-%d %H:%M UTC")
    paragraphs = "".join(f"<p>{html.escape(neutralise(p))}</p>" for p in c.text.split("\n") if p.strip())
    head = f"<p><strong>{html.escape(neutralise(c.author_name))}</strong> · {when} ({html.escape(source_label)})</p>"
    return f"{head}{paragraphs or '<p>(empty)</p>'}<p>{marker(c.key)}</p>"


# monday.com states no length for an update's body: a digest splits at this many characters.
COMMENT_LIMIT = 20_000


def digest_body(text: str) -> str:
    """A digest (plain text, markers included) as an update's HTML: a paragraph a line."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())


def links_text(links: list[tuple[str, str, str]]) -> str:
    """Link attachments as lines of the Links column, each with its attachment's marker."""
    return clip(
        "\n".join(
            f"{neutralise(name)}: {neutralise(url)} {marker(key)}"
            if name and name != url
            else f"{neutralise(url)} {marker(key)}"
            for name, url, key in links
        ),
        LONG_TEXT_LIMIT,
    )


def files_text(uploads: list[dict[str, Any]]) -> str:
    """Uploaded files as lines of the File sources column: the asset's id and name in
    monday.com, then the marker of the attachment it came from (an asset holds no text)."""
    return clip(
        "\n".join(
            f"{u['id']} {neutralise(str(u.get('filename') or ''))} {marker(u['key'])}" for u in uploads if u.get("key")
        ),
        LONG_TEXT_LIMIT,
    )


def mapping_losses(tpl: Template, overrides: dict[str, str]) -> list[tuple[str, str]]:
    """What the preset loses, rule by rule (the report's "dropped or changed")."""
    out = [
        (
            "comment authors and dates",
            "monday.com sets an update's author and time itself: both are written into its text",
        ),
        ("item links", "relations between items are not written as connect-boards columns yet; they are left out"),
    ]
    if any(f.type == FieldType.people for f in tpl.fields):
        out.append(("people fields", "written as the people's names in a text column"))
    if any(f.type == FieldType.file for f in tpl.fields):
        out.append(("file fields", "written as text; the files themselves go to the Files column"))
    return out
