"""Trello wire records -> canonical objects. Pure functions: no I/O, so every rule (what a
list becomes, how a custom-field string value is read, what an unnamed label is called) is
unit-tested on its own. Anything malformed becomes a SourceRejected with one sentence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from adapters.trello.wire import (
    TrelloAction,
    TrelloAttachment,
    TrelloBoard,
    TrelloCard,
    TrelloCustomField,
    TrelloCustomFieldItem,
    TrelloLabel,
    TrelloList,
    TrelloMember,
)
from wizard.adapter import SourceRejected
from wizard.model import (
    Attachment,
    Checklist,
    ChecklistItem,
    Comment,
    FieldDef,
    FieldOption,
    FieldType,
    FieldValue,
    Item,
    Person,
    Stage,
    Tag,
    Template,
)
from wizard.records import WireRecords, describe

SYSTEM = "trello"

FIELD_TYPES = {
    "checkbox": FieldType.checkbox,
    "list": FieldType.dropdown,
    "number": FieldType.number,
    "text": FieldType.text,
    "date": FieldType.date,
}


# Trello's label colour names as hex; its shades (`green_dark`, `sky_light`) take the base colour.
LABEL_COLOURS = {
    "green": "#61bd4f",
    "yellow": "#f2d600",
    "orange": "#ff9f1a",
    "red": "#eb5a46",
    "purple": "#c377e0",
    "blue": "#0079bf",
    "sky": "#00c2e0",
    "lime": "#51e898",
    "pink": "#ff78cb",
    "black": "#344563",
}


RECORDS = WireRecords(SYSTEM, "Trello")
key = RECORDS.key
raw_id = RECORDS.raw_id
parse = RECORDS.parse


ARCHIVED_LIST = " (archived list)"


def list_to_stage(lst: TrelloList) -> Stage:
    """An archived list keeps saying so in its name wherever it lands (a blank name stays
    blank, so the target's placeholder still applies)."""
    name = lst.name + ARCHIVED_LIST if lst.closed and lst.name.strip() else lst.name
    return Stage(key=key("list", lst.id), name=name, position=lst.pos, closed=lst.closed)


def label_to_tag(label: TrelloLabel) -> Tag:
    """Trello labels may have no name (a colour only): call those after their colour."""
    name = (label.name or "").strip()
    if not name:
        name = f"{label.color.replace('_', ' ').capitalize()} label" if label.color else "Unnamed label"
    return Tag(
        key=key("label", label.id),
        name=name,
        color=LABEL_COLOURS.get((label.color or "").split("_")[0]),
        source_name=None if name == label.name else (label.name or ""),
    )


def member_to_person(member: TrelloMember) -> Person:
    return Person(
        key=key("member", member.id),
        name=member.fullName or member.username or member.id,
        username=member.username,
        email=member.email,
    )


def field_to_def(field: TrelloCustomField) -> FieldDef:
    return FieldDef(
        key=key("field", field.id),
        name=field.name,
        type=FIELD_TYPES[field.type],
        options=[FieldOption(id=o.id, text=o.value.text) for o in field.options],
    )


def board_to_template(
    board: TrelloBoard, stages: list[Stage], fields: list[FieldDef], tags: list[Tag], people: list[Person]
) -> Template:
    return Template(
        key=key("board", board.id),
        kind="board",
        name=board.name,
        description=board.desc,
        url=board.url,
        stages=sorted(stages, key=lambda s: s.position),
        fields=fields,
        tags=tags,
        people=people,
    )


def field_value(defn: TrelloCustomField | None, item: TrelloCustomFieldItem) -> FieldValue:
    """Read one custom-field value. Trello sends read values as strings ("8", "true");
    a dropdown value is its option id (the FieldDef lists the option texts)."""
    fkey = key("field", item.idCustomField)
    if item.idValue is not None:
        if defn is not None and item.idValue not in {o.id for o in defn.options}:
            raise ValueError(f"its value for custom field '{defn.name}' names an option the field does not have")
        return FieldValue(field_key=fkey, value=item.idValue)
    value = item.value or {}
    ftype = defn.type if defn is not None else next(iter(value), "text")
    name = defn.name if defn is not None else item.idCustomField
    if ftype == "checkbox":
        raw = value.get("checked", "false")
        if raw not in ("true", "false"):
            raise ValueError(f"its checkbox '{name}' is neither true nor false ({_quote(raw)})")
        return FieldValue(field_key=fkey, value=raw == "true")
    if ftype == "number":
        raw = value.get("number", "")
        try:
            float(raw)
        except ValueError:
            raise ValueError(f"its number field '{name}' holds {_quote(raw)}, which is not a number") from None
        return FieldValue(field_key=fkey, value=raw.strip())  # in its source form: "6" stays "6"
    if ftype == "date":
        raw = value.get("date", "")
        try:
            datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"its date field '{name}' holds {_quote(raw)}, which is not a date") from None
        return FieldValue(field_key=fkey, value=raw)
    return FieldValue(field_key=fkey, value=value.get("text", ""))


def _quote(raw: object, limit: int = 80) -> str:
    """A bad value in a reason, cut short: reasons land in the journal, the report and the terminal."""
    text = repr(raw)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def card_to_item(card: TrelloCard, board_id: str, fields: dict[str, TrelloCustomField]) -> Item:
    """Raises ValueError (one clause) when a value cannot be read; the caller rejects the card."""
    checklists = [
        Checklist(
            key=key("checklist", c.id),
            name=c.name,
            items=[
                ChecklistItem(
                    name=i.name,
                    done=i.state == "complete",
                    due=i.due,
                    assignee_key=key("member", i.idMember) if i.idMember else None,
                )
                for i in sorted(c.checkItems, key=lambda i: i.pos)
            ],
        )
        for c in sorted(card.checklists, key=lambda c: c.pos)
    ]
    return Item(
        key=key("card", card.id),
        template_key=key("board", board_id),
        stage_key=key("list", card.idList),
        name=card.name,
        description=card.desc,
        closed=card.closed,
        position=card.pos,
        due=card.due,
        due_complete=card.dueComplete,
        updated_at=card.dateLastActivity,
        assignee_keys=[key("member", m) for m in card.idMembers],
        tag_keys=[key("label", lab) for lab in card.idLabels],
        values=[field_value(fields.get(v.idCustomField), v) for v in card.customFieldItems],
        checklists=checklists,
        url=card.url,
    )


def map_card(
    raw: Any, board_id: str, fields: dict[str, TrelloCustomField], index: int | None = None
) -> Item | SourceRejected:
    card = parse(TrelloCard, raw, "card", index)
    if isinstance(card, SourceRejected):
        return card
    try:
        return card_to_item(card, board_id, fields)
    except (ValueError, ValidationError) as e:
        reason = describe(e) if isinstance(e, ValidationError) else str(e)
        return SourceRejected(key("card", card.id), "card", f"Trello sent card {card.id} where {reason}.")


def action_to_comment(action: TrelloAction) -> Comment:
    if action.data.card is None or action.data.text is None:
        raise ValueError("it names no card or has no text")
    creator = action.memberCreator
    author_id = action.idMemberCreator or (creator.id if creator else None)
    return Comment(
        key=key("comment", action.id),
        item_key=key("card", action.data.card.id),
        author_key=key("member", author_id) if author_id else None,
        author_name=(creator.fullName or creator.username or "Unknown") if creator else "Unknown",
        created_at=action.date,
        text=action.data.text,
    )


def map_comment(raw: Any) -> Comment | SourceRejected:
    action = parse(TrelloAction, raw, "comment")
    if isinstance(action, SourceRejected):
        return action
    try:
        return action_to_comment(action)
    except ValueError as e:
        return SourceRejected(key("comment", action.id), "comment", f"Trello sent comment {action.id} but {e}.")


def attachment_to_canonical(att: TrelloAttachment, card_id: str) -> Attachment:
    """Uploads carry bytes to copy; links (isUpload false) carry only their URL."""
    return Attachment(
        key=key("attachment", att.id),
        item_key=key("card", card_id),
        name=att.name or att.fileName or att.id,
        size=att.bytes or 0,
        mime_type=att.mimeType or None,
        is_upload=att.isUpload,
        url=att.url,
        created_at=att.date,
        file_name=att.fileName,
    )


def map_attachment(raw: Any, card_id: str) -> Attachment | SourceRejected:
    att = parse(TrelloAttachment, raw, "attachment")
    if isinstance(att, SourceRejected):
        return att
    if att.isUpload and not att.url:
        return SourceRejected(
            key("attachment", att.id),
            "attachment",
            f"Trello sent uploaded attachment {att.id} without a download 'url'.",
        )
    return attachment_to_canonical(att, card_id)
