"""Pipefy into the canonical model: a pipe is a Template, its phases (done ones too) its
Stages in order, the start form's fields the kick-off form's Fields and each phase's own fields
that Stage's Fields (`FieldDef.stage_key`), a card an Item standing at its current phase (the
phases before it completed, its phase history written in its description), its labels Tags,
its comments Comments, its files Attachments, its connected cards Relations.

Values: Pipefy gives every value as a string, and a multi-valued one (checklist, label,
assignee, connector) as a JSON array in a string; each is read into the canonical type. A field
type this mapping does not know is kept as text (`FieldDef.source_type`: the ledger says so).

Keys: `pipefy:pipe:<id>`, `pipefy:phase:<id>`, `pipefy:field:<pipe>/<field slug>`,
`pipefy:card:<id>`, `pipefy:comment:<id>`, `pipefy:attachment:<card>-<hash of its path>`
(Pipefy gives a file no id), `pipefy:user:<id>`, `pipefy:label:<id>`: the refs of the
sandbox's manifest.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from adapters.pipefy.wire import PAttachment, PCard, PComment, PField, PLabel, PPipe, PUser
from wizard.adapter import SourceLoss, SourceRejected
from wizard.model import (
    Attachment,
    Comment,
    FieldDef,
    FieldOption,
    FieldType,
    FieldValue,
    Item,
    Person,
    Relation,
    Stage,
    Tag,
    Template,
)
from wizard.records import WireRecords

RECORDS = WireRecords("pipefy", "Pipefy")
key = RECORDS.key
parse = RECORDS.parse

FIELD_TYPES: dict[str, FieldType] = {
    "short_text": FieldType.text,
    "long_text": FieldType.textarea,
    "number": FieldType.number,
    "currency": FieldType.number,
    "date": FieldType.date,
    "datetime": FieldType.date,
    "due_date": FieldType.date,
    "time": FieldType.text,
    "email": FieldType.email,
    "phone": FieldType.text,
    "cpf": FieldType.text,
    "cnpj": FieldType.text,
    "id": FieldType.text,
    "select": FieldType.dropdown,
    "radio_horizontal": FieldType.dropdown,
    "radio_vertical": FieldType.dropdown,
    "checklist_horizontal": FieldType.multiselect,
    "checklist_vertical": FieldType.multiselect,
    "label_select": FieldType.multiselect,
    "assignee_select": FieldType.people,
    "connector": FieldType.text,  # the connected cards' titles; the links themselves are Relations
}
NOT_FIELDS = ("attachment", "statement")  # files are Attachments; a statement is text on the form, no value
MULTI = ("checklist_horizontal", "checklist_vertical", "label_select", "assignee_select", "connector")
MIME = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "csv": "text/csv"}
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
HISTORY_LOSS = (
    "each card's way through the phases (when it entered and left each one) is written in its "
    "description: a process records no time spent at a step before the migration"
)


def when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        out = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def field_key(pipe_id: str, field_id: str) -> str:
    return key("field", f"{pipe_id}/{field_id}")


def field_def(pipe_id: str, f: PField, stage_key: str | None, labels: list[str]) -> FieldDef:
    """`labels`: the pipe's label names, the options of a label field."""
    ftype = FIELD_TYPES.get(f.type, FieldType.text)
    given = labels if f.type == "label_select" else f.options or []
    opts = [FieldOption(id=o, text=o or "(blank)") for o in given] if ftype != FieldType.people else []
    return FieldDef(
        key=field_key(pipe_id, f.id),
        name=f.label or f.id,
        type=ftype,
        options=opts,
        stage_key=stage_key,
        source_type=None if f.type in FIELD_TYPES else f.type,  # a type we do not know, read as text
    )


def person(u: PUser) -> Person:
    return Person(key=key("user", u.id), name=u.name or f"user {u.id}", email=u.email or None)


def tag(x: PLabel) -> Tag:
    colour = x.color if x.color and COLOUR.match(x.color) else None
    if x.name:
        return Tag(key=key("label", x.id), name=x.name, color=colour)
    return Tag(key=key("label", x.id), name=f"label {x.id}", color=colour, source_name="")


def pipe_to_template(p: PPipe) -> Template:
    stages = [
        Stage(key=key("phase", ph.id), name=ph.name or "", position=ph.index if ph.index is not None else n)
        for n, ph in enumerate(p.phases)
    ]
    labels = [x.name for x in p.labels if x.name]
    fields = [field_def(p.id, f, None, labels) for f in p.start_form_fields if f.type not in NOT_FIELDS]
    fields += [
        field_def(p.id, f, key("phase", ph.id), labels)
        for ph in p.phases
        for f in ph.fields
        if f.type not in NOT_FIELDS
    ]
    people = {m.user.id: person(m.user) for m in p.members if m.user is not None}
    return Template(
        key=key("pipe", p.id),
        kind="pipe",
        name=p.name or "",
        description=p.description or "",
        url=p.url,
        stages=stages,
        fields=fields,
        tags=[tag(x) for x in p.labels],
        people=list(people.values()),
    )


def _array(value: str) -> list[str]:
    """A multi-value: Pipefy's JSON array in a string (a bare string is one value)."""
    try:
        got = json.loads(value)
    except ValueError:
        return [value] if value else []
    if isinstance(got, list):
        return [str(x) for x in got if x not in (None, "")]
    return [str(got)]


def value_of(ftype: str, value: str | None, people_by_name: dict[str, str]) -> str | float | list[str] | None:
    if value is None or value == "":
        return None
    canonical = FIELD_TYPES.get(ftype, FieldType.text)
    if ftype == "assignee_select":
        return [people_by_name[n] for n in _array(value) if n in people_by_name]
    if ftype in MULTI:
        items = _array(value)
        return ", ".join(items) if canonical == FieldType.text else items
    if canonical == FieldType.number:
        try:
            return float(value.replace(",", ""))
        except ValueError:
            return value
    if canonical == FieldType.date:
        return value
    return value


def history_text(card: PCard, names: dict[str, str]) -> str:
    """The card's way through the phases, one line a phase: what the target cannot hold as such."""
    lines = []
    for h in card.phases_history:
        if h.phase is None:
            continue
        name = h.phase.name or names.get(h.phase.id) or f"phase {h.phase.id}"
        out = h.lastTimeOut or "now"
        lines.append(f"- {name}: {h.firstTimeIn or '?'} to {out}")
    return "Phase history in Pipefy:\n" + "\n".join(lines) if lines else ""


def map_card(
    raw: Any,
    pipe: PPipe,
    fields: dict[str, PField],
    position: int,
    known_people: dict[str, str],
    known_labels: set[str],
) -> Item | SourceRejected:
    """`known_people`: person key by name (for assignee fields) of the pipe's people."""
    parsed = parse(PCard, raw, "card", position)
    if isinstance(parsed, SourceRejected):
        return parsed
    c = parsed
    phases = {ph.id: ph for ph in pipe.phases}
    if c.current_phase.id not in phases:
        return SourceRejected(
            key("card", c.id),
            "card",
            f"Pipefy sent card {c.id} standing in phase {c.current_phase.id}, which its pipe does not have.",
        )
    people = set(known_people.values())
    values: list[FieldValue] = []
    for fv in c.fields:
        f = fields.get(fv.field.id)
        ftype = f.type if f is not None else (fv.field.type or "")
        if ftype in NOT_FIELDS or f is None:
            continue
        v = value_of(ftype, fv.value, known_people)
        if v not in (None, "", []):
            values.append(FieldValue(field_key=field_key(pipe.id, f.id), value=v))
    relations = [
        Relation(kind="relates_to", item_key=key("card", x.id))
        for rel in c.child_relations
        for x in rel.cards
        if x is not None and x.id != c.id
    ]
    return Item(
        key=key("card", c.id),
        template_key=key("pipe", pipe.id),
        stage_key=key("phase", c.current_phase.id),
        name=c.title or "",
        description=history_text(c, {ph.id: ph.name or "" for ph in pipe.phases}),
        position=position,
        due=when(c.due_date),
        due_complete=bool(c.done),
        created_at=when(c.createdAt),
        completed_at=when(c.finished_at),
        updated_at=when(c.updated_at),
        assignee_keys=[k for u in c.assignees if u is not None and (k := key("user", u.id)) in people],
        tag_keys=[k for x in c.labels if x is not None and (k := key("label", x.id)) in known_labels],
        values=values,
        relations=relations,
        url=c.url,
    )


def map_comment(c: PComment, item_key: str) -> Comment:
    return Comment(
        key=key("comment", c.id),
        item_key=item_key,
        author_key=key("user", c.author.id) if c.author else None,
        author_name=(c.author.name if c.author and c.author.name else "Unknown"),
        created_at=when(c.created_at) or datetime(1970, 1, 1, tzinfo=UTC),
        text=c.text or "",
    )


def file_id(card_id: str, path: str) -> str:
    return f"{card_id}-{hashlib.sha256(path.encode()).hexdigest()[:12]}"


def map_attachment(a: PAttachment, card_id: str) -> Attachment:
    name = unquote(a.path.rsplit("/", 1)[-1]) or "file"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return Attachment(
        key=key("attachment", file_id(card_id, a.path)),
        item_key=key("card", card_id),
        name=name,
        size=0,  # Pipefy states no size: the download tells
        mime_type=MIME.get(ext),
        url=a.url,
        created_at=when(a.createdAt),
        file_name=name,
    )


def connected_loss(item: Item, fields: dict[str, PField]) -> SourceLoss:
    """The ledger line of a card connected to others: the connections come as links between
    items, and the connector field keeps the connected cards' titles as text."""
    names = [f.label or f.id for f in fields.values() if f.type == "connector"]
    where = f" and as their titles in '{names[0]}'" if names else ""
    return SourceLoss(
        item.key,
        "item",
        "connected cards",
        f"connected to {len(item.relations)} card(s) in Pipefy: kept as links between items{where}; "
        f"a target without links between items keeps only the titles",
    )
