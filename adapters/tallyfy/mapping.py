"""Canonical objects -> Tallyfy request bodies (pure functions; the kanban preset).

board -> template (procedure); list -> step; card -> process launched from the template;
the card's description, custom fields, checklists and attachments -> kick-off fields; a field
that belongs to one stage (a Pipefy phase's form, a Process Street task's) -> a form field of
that step (a capture), its values written into the process's task of that step; labels -> tags;
comments -> task comments with the original author and date in the text (Tallyfy cannot set
either). Every conversion that loses something is named by `losses()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wizard.model import Comment, FieldDef, FieldType, Item, Stage, Template

# The marker and name rules every target shares, used here under their old names too.
from wizard.provenance import MARKER_RE as MARKER_RE
from wizard.provenance import PLACEHOLDER_NAME as PLACEHOLDER_NAME
from wizard.provenance import clip as _clip
from wizard.provenance import marker as marker
from wizard.provenance import name_for as name_for
from wizard.provenance import neutralise as neutralise
from wizard.provenance import read_marker as read_marker

TEXT_LIMIT = 200
TEXTAREA_LIMIT = 30_000
RUN_NAME_LIMIT = 550
TEMPLATE_TITLE_LIMIT = 250
TAG_TITLE_LIMIT = 30
STEP_TITLE_LIMIT = 600
FIELD_LABEL_LIMIT = 600

DESCRIPTION_FIELD = "description"
CHECKLISTS_FIELD = "checklists"
ATTACHMENTS_FIELD = "attachments"
LINKS_FIELD = "links"
FILES_FIELD = "files"  # one line per uploaded file with its marker: where each file came from
HISTORY_FIELD = "history"  # the items' comment history (mapping.comments = "field")
# Tallyfy states no length for a comment: a digest splits at its longest text field's.
COMMENT_LIMIT = TEXTAREA_LIMIT

# Canonical field type -> Tallyfy capture type. Tallyfy has no number, checkbox or url type
# (reference A3), and its email type is broken in the web UI, so those become text.
FIELD_TYPES: dict[FieldType, str] = {
    FieldType.text: "textarea",
    FieldType.textarea: "textarea",
    FieldType.number: "text",
    FieldType.checkbox: "radio",
    FieldType.date: "date",
    FieldType.dropdown: "dropdown",
    FieldType.multiselect: "multiselect",
    FieldType.email: "text",
    FieldType.url: "text",
    FieldType.file: "file",
    FieldType.people: "textarea",
}

NEUTRAL_COLOUR = "#838c91"  # a tag whose source states no colour
STAGE_FIELD_LOSS = "it belongs to a stage the template does not have; the kick-off form holds it"
RELATIONS_LOSS = "{n} link(s) to other items; Tallyfy has no links between processes, so they are not written"


def checklist_mode(options: object) -> str:
    """The plan's [mapping] checklists option for Tallyfy (adapters/tallyfy/spec.py's
    TallyfyMapping): "field" or "subtasks"; "field" for options that do not carry it."""
    return str(getattr(options, "checklists", "field"))


def template_body(tpl: Template, source_label: str) -> dict:
    summary = f"Migrated from {source_label}: {neutralise(tpl.url or tpl.name)}\n{marker(tpl.key)}"
    return {"title": name_for(tpl.name, TEMPLATE_TITLE_LIMIT), "type": "procedure", "summary": summary}


def step_body(stage: Stage, template_id: str) -> dict:
    return {
        "title": name_for(stage.name, STEP_TITLE_LIMIT),
        "summary": marker(stage.key),
        "checklist_id": template_id,
        "step_type": "approval" if stage.kind == "approval" else "task",
    }


# Per canonical field type: the Tallyfy types its values convert to (field_value below), and
# what each conversion loses ("" = nothing). The first is the preset's default (FIELD_TYPES);
# a type not listed would lose or garble the values, so the mapping screen does not offer it.
NUMBER_AS_TEXT = "Tallyfy has no number field; it becomes short text with numeric validation"
CHECKBOX_AS_CHOICE = "Tallyfy has no checkbox field; it becomes a Yes/No choice"
TEXT_AS_LONG = "Tallyfy short text holds 200 characters; it becomes long text so nothing is cut"
CONVERSIONS: dict[FieldType, dict[str, str]] = {
    FieldType.text: {
        "textarea": TEXT_AS_LONG,
        "text": "Tallyfy short text holds 200 characters; longer values are cut",
    },
    FieldType.textarea: {"textarea": ""},
    FieldType.number: {
        "text": NUMBER_AS_TEXT,
        "textarea": "Tallyfy has no number field; it becomes long text, with no numeric check",
    },
    FieldType.checkbox: {
        "radio": CHECKBOX_AS_CHOICE,
        "text": "Tallyfy has no checkbox field; it becomes the text True or False",
        "textarea": "Tallyfy has no checkbox field; it becomes the text True or False",
    },
    FieldType.date: {"date": "", "text": "it becomes text; Tallyfy no longer checks that it is a date"},
    FieldType.dropdown: {"dropdown": ""},
    FieldType.multiselect: {"multiselect": ""},
    FieldType.email: {"text": "", "textarea": ""},
    FieldType.url: {"text": "", "textarea": ""},
    FieldType.file: {"file": ""},
    FieldType.people: {"textarea": ""},
}


def field_type_for(field: FieldDef, overrides: dict[str, str]) -> str:
    return overrides.get(field.key) or FIELD_TYPES[field.type]


def conversion_loss(field: FieldDef, target_type: str) -> str:
    """What converting this field's values to `target_type` loses ("" = nothing)."""
    known = CONVERSIONS.get(field.type, {})
    if target_type in known:
        return known[target_type]
    return f"a {field.type.value} value does not convert to {target_type}; values may be refused or lost"


def capture_def(f: FieldDef, overrides: dict[str, str]) -> dict[str, Any]:
    """One form field's definition, a kick-off field's or a step's (both share Tallyfy's
    validator, A2.3-4), with our marker in `guidance` so a re-run can find which field is which."""
    ftype = field_type_for(f, overrides)
    d: dict[str, Any] = {
        "label": _clip(f.name, FIELD_LABEL_LIMIT) or "Field",
        "field_type": ftype,
        "required": False,
        "guidance": marker(f.key),
    }
    if ftype in ("radio", "dropdown", "multiselect"):
        opts = [o.text for o in f.options] if f.type != FieldType.checkbox else ["Yes", "No"]
        d["options"] = [{"id": i + 1, "text": t} for i, t in enumerate(opts or ["(none)"])]
    if f.type == FieldType.number and ftype == "text":
        d["field_validation"] = "numeric"
    return d


def on_steps(tpl: Template) -> dict[str, list[FieldDef]]:
    """Stage key -> the fields that belong to it: each becomes a form field of its step. A
    field of a stage the template does not have stays on the kick-off form."""
    stages = {s.key for s in tpl.stages}
    out: dict[str, list[FieldDef]] = {}
    for f in tpl.fields:
        if f.stage_key in stages:
            out.setdefault(f.stage_key, []).append(f)
    return out


def prerun_defs(
    tpl: Template, overrides: dict[str, str], with_checklists: bool, with_history: bool = False
) -> list[dict]:
    """The kick-off form: description, one field per source field that belongs to no step,
    checklists, attachments. Each carries our marker in `guidance`."""
    stages = {s.key for s in tpl.stages}
    defs: list[dict] = [
        {
            "label": "Description",
            "field_type": "textarea",
            "required": False,
            "guidance": marker(f"{tpl.key}#{DESCRIPTION_FIELD}"),
        },
    ]
    defs += [capture_def(f, overrides) for f in tpl.fields if f.stage_key not in stages]
    if with_checklists:
        defs.append(
            {
                "label": "Checklists",
                "field_type": "textarea",
                "required": False,
                "guidance": marker(f"{tpl.key}#{CHECKLISTS_FIELD}"),
            }
        )
    defs.append(
        {
            "label": "Attachments",
            "field_type": "file",
            "required": False,
            "guidance": marker(f"{tpl.key}#{ATTACHMENTS_FIELD}"),
        }
    )
    defs.append(
        {"label": "Links", "field_type": "textarea", "required": False, "guidance": marker(f"{tpl.key}#{LINKS_FIELD}")}
    )
    defs.append(
        {
            "label": "File sources",
            "field_type": "textarea",
            "required": False,
            "guidance": f"Where each attached file came from. {marker(f'{tpl.key}#{FILES_FIELD}')}",
        }
    )
    if with_history:
        defs.append(
            {
                "label": "Comment history",
                "field_type": "textarea",
                "required": False,
                "guidance": f"The comments of the source, oldest first. {marker(f'{tpl.key}#{HISTORY_FIELD}')}",
            }
        )
    return defs


def checklist_text(item: Item) -> str:
    lines: list[str] = []
    for cl in item.checklists:
        lines.append(cl.name)
        lines.extend(f"- [{'x' if ci.done else ' '}] {ci.name}" for ci in cl.items)
        lines.append("")
    return "\n".join(lines).strip()


def _fmt_date(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def field_value(field: FieldDef, ftype: str, raw: object, options: list[dict]) -> object | None:
    """A source value in the shape Tallyfy's validator wants for that capture type (A3)."""
    if raw is None or raw == "" or raw == []:
        return None
    if ftype in ("text", "textarea"):
        text = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        return _clip(text, TEXT_LIMIT if ftype == "text" else TEXTAREA_LIMIT)
    if ftype == "date":
        return str(raw)
    if ftype == "radio":
        if field.type == FieldType.checkbox:
            return "Yes" if raw in (True, "true", "True", 1) else "No"
        return str(raw)
    by_text = {o["text"]: o for o in options}
    by_source = {o.id: o.text for o in field.options}
    if ftype == "dropdown":
        text = by_source.get(str(raw), str(raw))
        opt = by_text.get(text)
        return {"id": opt["id"], "text": opt["text"], "value": None} if opt else None
    if ftype == "multiselect":
        chosen = raw if isinstance(raw, list) else [raw]
        out = []
        for v in chosen:
            opt = by_text.get(by_source.get(str(v), str(v)))
            if opt:
                out.append({"id": opt["id"], "text": opt["text"], "selected": True})
        return out or None
    return str(raw)


def step_values(item: Item, step_fields: dict[str, dict[str, Any]], specs: dict[str, dict]) -> dict[str, dict]:
    """Step id -> {capture id: value}: the item's values of fields that belong to a step, in
    the shapes Tallyfy's task validator wants. `step_fields`: field key -> {"capture", "step",
    "def" (the FieldDef as JSON)}, as `ensure_container` keeps it in the container's context."""
    out: dict[str, dict] = {}
    for v in item.values:
        sf = step_fields.get(v.field_key)
        if sf is None:
            continue
        spec = specs.get(sf["capture"], {})
        value = field_value(
            FieldDef.model_validate(sf["def"]), spec.get("field_type", "text"), v.value, spec.get("options", [])
        )
        if value is not None:
            out.setdefault(sf["step"], {})[sf["capture"]] = value
    return out


def owners_body(owners: list) -> dict:
    """Members by id, guests by email (a person decided as a guest carries their email)."""
    return {
        "users": [o for o in owners if not isinstance(o, str)],
        "guests": [o for o in owners if isinstance(o, str) and "@" in o],
        "groups": [],
    }


def run_body(
    item: Item,
    template_id: str,
    prerun_ids: dict[str, str],
    prerun_specs: dict[str, dict],
    fields: dict[str, FieldDef],
    tag_ids: list[str],
    step_id: str | None,
    owner_ids: list[int],
    placeholders: list[str],
    with_checklists: bool,
    tpl_key: str,
) -> dict:
    prerun: dict[str, object] = {}
    desc = item.description
    if placeholders:
        desc = (desc + "\n\n" if desc else "") + "Assigned in the source to: " + ", ".join(placeholders)
    if desc and (fid := prerun_ids.get(f"{tpl_key}#{DESCRIPTION_FIELD}")):
        prerun[fid] = _clip(desc, TEXTAREA_LIMIT)
    for v in item.values:
        fid = prerun_ids.get(v.field_key)
        fdef = fields.get(v.field_key)
        if not fid or not fdef:
            continue
        spec = prerun_specs.get(fid, {})
        value = field_value(fdef, spec.get("field_type", "text"), v.value, spec.get("options", []))
        if value is not None:
            prerun[fid] = value
    if with_checklists and item.checklists and (fid := prerun_ids.get(f"{tpl_key}#{CHECKLISTS_FIELD}")):
        prerun[fid] = _clip(checklist_text(item), TEXTAREA_LIMIT)
    body: dict = {
        "checklist_id": template_id,
        "name": name_for(item.name, RUN_NAME_LIMIT),
        "summary": f"Migrated from {neutralise(item.url or item.key)}\n{marker(item.key)}",
        "prerun": prerun,
        "tags": tag_ids,
    }
    task: dict = {}
    if item.due and step_id:
        task["deadline"] = _fmt_date(item.due)
    if owner_ids and step_id:
        task["owners"] = owners_body(owner_ids)
    if task and step_id:
        body["tasks"] = {step_id: task}
    return body


def comment_content(c: Comment, source_label: str) -> str:
    when = c.created_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"{neutralise(c.text)}\n\n— {neutralise(c.author_name)}, {when} ({source_label}) {marker(c.key)}"


def links_text(links: list[tuple[str, str, str]]) -> str:
    """Link attachments (no bytes, only a URL) as lines of the Links field, each with the
    marker of the attachment it came from: (name, url, source key)."""
    return _clip(
        "\n".join(
            f"{neutralise(name)}: {neutralise(url)} {marker(key)}"
            if name and name != url
            else f"{neutralise(url)} {marker(key)}"
            for name, url, key in links
        ),
        TEXTAREA_LIMIT,
    )


def files_text(uploads: list[dict[str, Any]]) -> str:
    """Uploaded files as lines of the File sources field: the name the file has in Tallyfy,
    then the marker of the attachment it came from (the file itself can hold none)."""
    return _clip(
        "\n".join(f"{neutralise(str(u['filename']))} {marker(u['key'])}" for u in uploads if u.get("key")),
        TEXTAREA_LIMIT,
    )


def tag_body(name: str, color: str | None) -> dict:
    return {
        "title": _clip(name, TAG_TITLE_LIMIT) or "label",
        "color": color or NEUTRAL_COLOUR,  # the canonical model's colours are hex already
    }


ALLOWED_EXTENSIONS = set(
    (
        "xlsx xls pptx docx ppt doc rtf pdf txt mpga mov qt mp4 webm jpg jpeg gif png ai psd zip xml xps "
        "dwg csv tif bmp"
    ).split()
)


def needs_zip(name: str) -> bool:
    """Tallyfy refuses extensions outside a fixed list (reference A2, files); such a file
    travels inside a .zip of the same name, so its bytes arrive unchanged."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return ext not in ALLOWED_EXTENSIONS


def zip_member_name(name: str) -> str:
    """The name a file gets inside its .zip: no directory part and no dot segment, so
    unpacking it never writes outside the folder it is unpacked in."""
    flat = name.replace("\\", "/").replace("/", "_").strip()
    return flat if flat.strip(".") else "file"


def losses(tpl: Template, overrides: dict[str, str], with_checklists: bool) -> list[tuple[str, str]]:
    """(what, why) for every lossy conversion of this template's mapping."""
    out = [
        (
            "comment authors and dates",
            (
                "Tallyfy sets both to the migrating user and now; the original author and date are written into "
                "each comment's text"
            ),
        ),
        (
            "item positions within a stage",
            "Tallyfy orders processes by its own sort; the order of the items is not kept",
        ),
    ]
    for f in tpl.fields:
        if why := conversion_loss(f, field_type_for(f, overrides)):
            out.append((f"field '{f.name}' ({f.type.value})", why))
    if any(s.kind == "automated" for s in tpl.stages):
        out.append(("automated steps", "Tallyfy runs no AI or code step: each becomes a task a person completes"))
    if any(s.waits for s in tpl.stages):
        out.append(("steps the later ones wait for", "Tallyfy has no stop steps: the steps after one can start"))
    stages = {s.key for s in tpl.stages}
    if any(f.stage_key and f.stage_key not in stages for f in tpl.fields):
        out.append(("fields of a missing step", "a field of a stage the template does not have: the kick-off form"))
    out.append(
        (
            "attachments with other extensions",
            "Tallyfy accepts a fixed list of file types; other files arrive inside a .zip of the same name",
        )
    )
    if with_checklists:
        out.append(
            (
                "checklists",
                (
                    "checklist items become lines of a text field ('- [x] item'); item due dates and assignees "
                    "are not kept"
                ),
            )
        )
    else:
        out.append(
            ("checklists", "each checklist item becomes a one-off task in the process; checklist names become a prefix")
        )
    return out
