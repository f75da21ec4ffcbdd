"""monday.com into the canonical model: a board is a Template, its groups (or the labels of a
status column the consultant picks) its Stages, its columns Fields by type, an item an Item
standing at its stage, its subitems a checklist, an update or a reply a Comment, a file an
Attachment, a board relation or dependency a Relation.

Keys: `monday:board:<id>`, `monday:group:<board>/<group>`, `monday:status:<board>/<column>/<index>`,
`monday:column:<board>/<column>`, `monday:item:<id>`, `monday:comment:<update or reply id>`,
`monday:attachment:<asset id>`, `monday:user:<id>`: the refs of the sandbox's manifest.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from adapters.monday.wire import MAsset, MBoard, MColumn, MColumnValue, MItem, MReply, MSubitem, MUpdate, MUser
from wizard.adapter import SourceRejected
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
    Template,
)

SYSTEM = "monday"
M = TypeVar("M", bound=BaseModel)

FIELD_TYPES: dict[str, FieldType] = {
    "status": FieldType.dropdown,
    "dropdown": FieldType.multiselect,
    "people": FieldType.people,
    "date": FieldType.date,
    "timeline": FieldType.text,
    "numbers": FieldType.number,
    "rating": FieldType.number,
    "text": FieldType.text,
    "long_text": FieldType.textarea,
    "email": FieldType.email,
    "phone": FieldType.text,
    "link": FieldType.url,
    "checkbox": FieldType.checkbox,
    "tags": FieldType.multiselect,
    "board_relation": FieldType.text,
    "dependency": FieldType.text,
    "mirror": FieldType.text,
}
NOT_FIELDS = ("name", "file", "subtasks")  # the item's name; files are attachments; subitems a checklist
GROUP_STAGES, STATUS_STAGES = "groups", "status"  # where a board's stages come from (the source's presets)
MIME = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "csv": "text/csv"}


def key(kind: str, ident: str) -> str:
    return f"{SYSTEM}:{kind}:{ident}"


def parse(model: type[M], raw: Any, kind: str, index: int = 0) -> M | SourceRejected:
    """Validate one wire record, or say in one sentence why it cannot be read."""
    ident = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") is not None else f"#{index}"
    if not isinstance(raw, dict):
        return SourceRejected(key(kind, ident), kind, f"monday.com sent a {kind} that is not a JSON object.")
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "it"
        return SourceRejected(key(kind, ident), kind, f"monday.com sent {kind} {ident} whose {where}: {err['msg']}.")


def when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        out = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return out if out.tzinfo else out.replace(tzinfo=UTC)


def settings(col: MColumn) -> dict[str, Any]:
    raw = col.settings
    if isinstance(raw, str):  # settings_str, or an older version's JSON as a string
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def status_labels(col: MColumn) -> dict[str, str]:
    labels = settings(col).get("labels")
    if isinstance(labels, dict):
        return {str(k): str(v) for k, v in labels.items()}
    if isinstance(labels, list):
        return {str(x.get("id")): str(x.get("name", "")) for x in labels if isinstance(x, dict)}
    return {}


def field_type(col: MColumn) -> FieldType:
    """The canonical type of a column; a type we do not know is kept as text."""
    return FIELD_TYPES.get(col.type, FieldType.text)


def unknown_columns(board: MBoard) -> list[MColumn]:
    return [c for c in board.columns if c.type not in FIELD_TYPES and c.type not in NOT_FIELDS and not c.archived]


def field_key(board_id: str, column_id: str) -> str:
    return key("column", f"{board_id}/{column_id}")


def column_to_field(board_id: str, col: MColumn) -> FieldDef:
    opts: list[FieldOption] = []
    if col.type in ("status", "dropdown"):
        opts = [FieldOption(id=i, text=t or "(blank)") for i, t in status_labels(col).items()]
    return FieldDef(
        key=field_key(board_id, col.id),
        name=col.title or col.id,
        type=field_type(col),
        options=opts,
        source_type=None if col.type in FIELD_TYPES else col.type,  # a type we do not know, read as text
    )


def stage_key(board_id: str, group_id: str) -> str:
    return key("group", f"{board_id}/{group_id}")


def status_stage_key(board_id: str, column_id: str, index: str) -> str:
    return key("status", f"{board_id}/{column_id}/{index}")


def stage_column_of(columns: list[MColumn], stages: str, column_id: str | None) -> MColumn | None:
    """The status column whose labels are the board's stages: none when its groups are
    (`stages` "groups"), else the one `column_id` names, or the board's first status column."""
    if stages != STATUS_STAGES:
        return None
    status = [c for c in columns if c.type == "status" and not c.archived]
    return next((c for c in status if c.id == column_id), None) if column_id else next(iter(status), None)


def board_to_template(board: MBoard, people: list[Person], by_status: MColumn | None) -> Template:
    """The template: its stages are the labels of `by_status`, or the board's groups."""
    if by_status is not None:
        stages = [
            Stage(key=status_stage_key(board.id, by_status.id, i), name=label or "(no status)", position=n)
            for n, (i, label) in enumerate(
                sorted(status_labels(by_status).items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
            )
        ]
    else:
        stages = [
            Stage(key=stage_key(board.id, g.id), name=g.title, position=n, closed=bool(g.archived))
            for n, g in enumerate(board.groups)
            if not g.deleted
        ]
    fields = [
        column_to_field(board.id, c)
        for c in board.columns
        if c.type not in NOT_FIELDS and not c.archived and c is not by_status
    ]
    tpl = Template(
        key=key("board", board.id),
        kind="board",
        name=board.name,
        description=board.description or "",
        url=board.url,
        stages=stages,
        fields=fields,
        people=people,
    )
    return tpl


def person(u: MUser) -> Person:
    return Person(key=key("user", u.id), name=u.name or f"user {u.id}", email=u.email or None)


def _json(cv: MColumnValue) -> Any:
    """The column's JSON value; a value stored as a bare string stays that string."""
    if cv.value is None:
        return None
    try:
        return json.loads(cv.value)
    except ValueError:
        return cv.value


def value_of(cv: MColumnValue, ftype: FieldType) -> str | float | bool | list[str] | None:
    raw = _json(cv)
    text = cv.text if cv.text is not None else cv.display_value
    if raw is None and not text:
        return None
    if ftype == FieldType.checkbox:
        checked = raw.get("checked") if isinstance(raw, dict) else raw
        return str(checked).lower() in ("true", "1", "v")
    if ftype == FieldType.number:
        if isinstance(raw, dict):
            raw = raw.get("rating")
        try:
            return float(raw if raw is not None else (text or ""))
        except (TypeError, ValueError):
            return None
    if ftype == FieldType.date:
        day = raw.get("date") if isinstance(raw, dict) else raw
        return str(day) if day else None
    if ftype == FieldType.multiselect:
        return [t.strip() for t in (text or "").split(",") if t.strip()]
    if ftype == FieldType.people:
        return [key("user", str(p.get("id"))) for p in _persons(raw)]
    if ftype == FieldType.url and isinstance(raw, dict):
        return str(raw.get("url") or "") or None
    if ftype == FieldType.email and isinstance(raw, dict):
        return str(raw.get("email") or "") or None
    if cv.type in ("board_relation", "dependency", "mirror"):
        return cv.display_value or text or None
    return text or (raw if isinstance(raw, str) else None)


def _persons(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict):
        return []
    return [p for p in raw.get("personsAndTeams") or [] if isinstance(p, dict) and p.get("kind", "person") == "person"]


def _status_index(cv: MColumnValue | None) -> str | None:
    raw = _json(cv) if cv is not None else None
    if isinstance(raw, dict) and raw.get("index") is not None:
        return str(raw["index"])
    return None


def map_item(
    raw: Any,
    board: MBoard,
    columns: dict[str, MColumn],
    stage_column: MColumn | None,
    position: int,
    known_people: set[str],
) -> Item | SourceRejected:
    parsed = parse(MItem, raw, "item", position)
    if isinstance(parsed, SourceRejected):
        return parsed
    it = parsed
    values: list[FieldValue] = []
    by_id = {cv.id: cv for cv in it.column_values}
    assignees: list[str] = []
    due = None
    relations: list[Relation] = []
    for cv in it.column_values:
        col = columns.get(cv.id)
        if col is None or col.type in NOT_FIELDS or col is stage_column:
            continue
        ftype = field_type(col)
        v = value_of(cv, ftype)
        if col.type == "people" and not assignees:
            assignees = [p for p in (v if isinstance(v, list) else []) if p in known_people]
        if col.type == "date" and due is None and isinstance(v, str):
            due = when(v if "T" in v else f"{v}T00:00:00+00:00")
        if col.type in ("board_relation", "dependency"):
            kind = "blocked_by" if col.type == "dependency" else "relates_to"
            relations += [Relation(kind=kind, item_key=key("item", i)) for i in cv.linked_item_ids or []]
        if v not in (None, "", []):
            values.append(FieldValue(field_key=field_key(board.id, col.id), value=v))
    if stage_column is not None:
        idx = _status_index(by_id.get(stage_column.id)) or "5"
        stage = status_stage_key(board.id, stage_column.id, idx)
    elif it.group is None or it.group.id not in {g.id for g in board.groups}:
        return SourceRejected(
            key("item", it.id), "item", f"monday.com sent item {it.id} without a group of its board to stand in."
        )
    else:
        stage = stage_key(board.id, it.group.id)
    status = next((by_id[c.id] for c in columns.values() if c.type == "status" and c.id in by_id), None)
    return Item(
        key=key("item", it.id),
        template_key=key("board", board.id),
        stage_key=stage,
        name=it.name,
        position=position,
        due=due,
        due_complete=_status_index(status) == "1",
        created_at=when(it.created_at),
        updated_at=when(it.updated_at),
        assignee_keys=assignees,
        values=values,
        relations=relations,
        url=it.url,
    )


def map_subitem(raw: Any, parent: Item, position: int, known_people: set[str]) -> Item | SourceRejected:
    """A subitem: an Item of its own with its parent's key, standing where its parent stands."""
    parsed = parse(MSubitem, raw, "subitem", position)
    if isinstance(parsed, SourceRejected):
        return parsed
    s = parsed
    done, due, assignees = False, None, []
    for cv in s.column_values:
        if cv.type == "status":
            done = _status_index(cv) == "1"
        elif cv.type == "date":
            v = value_of(cv, FieldType.date)
            due = when(f"{v}T00:00:00+00:00") if isinstance(v, str) and "T" not in v else due
        elif cv.type == "people":
            people = value_of(cv, FieldType.people)
            assignees = [p for p in people if p in known_people] if isinstance(people, list) else []
    return Item(
        key=key("subitem", s.id),
        template_key=parent.template_key,
        stage_key=parent.stage_key,
        parent_key=parent.key,
        name=s.name,
        position=position,
        due=due,
        due_complete=done,
        created_at=when(s.created_at),
        updated_at=when(s.updated_at),
        assignee_keys=assignees,
    )


def map_comment(raw: MUpdate | MReply, item_key: str, prefix: str = "") -> Comment:
    creator = raw.creator
    text = raw.text_body if raw.text_body is not None else raw.body
    return Comment(
        key=key("comment", raw.id),
        item_key=item_key,
        author_key=key("user", creator.id) if creator else None,
        author_name=(creator.name if creator and creator.name else "Unknown"),
        created_at=when(raw.created_at) or datetime(1970, 1, 1, tzinfo=UTC),
        text=prefix + (text or ""),
    )


def map_asset(a: MAsset, item_key: str) -> Attachment:
    ext = (a.file_extension or a.name.rsplit(".", 1)[-1] if "." in a.name else "").lower().lstrip(".")
    return Attachment(
        key=key("attachment", a.id),
        item_key=item_key,
        name=a.name or f"file {a.id}",
        size=a.file_size,
        mime_type=MIME.get(ext),
        url=a.public_url,
        created_at=when(a.created_at),
        file_name=a.name or None,
    )
