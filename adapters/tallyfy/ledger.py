"""The ledger: every change the kanban preset makes to one object on its way into Tallyfy
(a placeholder name, a name or text cut to Tallyfy's limit, a label renamed, a value
Tallyfy cannot hold), with the object and the reason. Pure functions over the canonical
objects and the same helpers the writes use, so what the mapping screen shows before the
run is what the run does; `losses()` names the rules, this names the objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.tallyfy import mapping as tm
from wizard import task_lines
from wizard.model import FieldDef, Item, Template
from wizard.plan import Plan


def change(key: str, kind: str, what: str, why: str, *, dropped: int = 0) -> dict[str, Any]:
    """One ledger line. `dropped` counts the source records of `kind` that do not arrive
    at all (a value Tallyfy cannot hold, checklist items past a cut)."""
    return {"key": key, "kind": kind, "what": what, "why": why, "dropped": dropped}


def _name(key: str, kind: str, name: str, limit: int) -> list[dict[str, Any]]:
    if not name.strip():
        shown = "empty" if not name else f"only whitespace ({len(name)} characters)"
        return [
            change(
                key,
                kind,
                "name",
                f"the name is {shown}; it becomes '{tm.PLACEHOLDER_NAME}', the preset's placeholder",
            )
        ]
    if len(name) > limit:
        return [
            change(
                key,
                kind,
                "name",
                f"{len(name):,} characters, over Tallyfy's limit of {limit}; cut to {limit} (ending in '…')",
            )
        ]
    return []


def template_changes(tpl: Template) -> list[dict[str, Any]]:
    out = _name(tpl.key, "template", tpl.name, tm.TEMPLATE_TITLE_LIMIT)
    stages = {st.key: st.name for st in tpl.stages}
    for st in tpl.stages:
        out += _name(st.key, "stage", st.name, tm.STEP_TITLE_LIMIT)
        if st.kind == "automated":
            out.append(
                change(st.key, "stage", "kind", "the source's automation did this step; in Tallyfy a person does")
            )
        if st.waits:
            out.append(
                change(st.key, "stage", "waits", "Tallyfy steps do not wait for this one: the steps after it can start")
            )
    for f in tpl.fields:
        if f.stage_key and f.stage_key not in stages:
            out.append(change(f.key, "field", "place", tm.STAGE_FIELD_LOSS))
        if f.source_type:
            out.append(change(f.key, "field", "type", f"its type in the source is '{f.source_type}'; kept as text"))
        if len(f.name) > tm.FIELD_LABEL_LIMIT:
            out.append(
                change(
                    f.key,
                    "field",
                    "name",
                    f"{len(f.name):,} characters, over Tallyfy's limit of {tm.FIELD_LABEL_LIMIT}; cut",
                )
            )
    for tag in tpl.tags:
        if tag.source_name is not None:
            out.append(change(tag.key, "tag", "name", f"it has no name in the source; its tag is called '{tag.name}'"))
        if len(tag.name) > tm.TAG_TITLE_LIMIT:
            out.append(
                change(
                    tag.key,
                    "tag",
                    "name",
                    f"'{tag.name[:40]}…' is over Tallyfy's tag limit of {tm.TAG_TITLE_LIMIT} characters; cut",
                )
            )
    return out


def _value_change(item: Item, f: FieldDef, ftype: str, raw: object) -> dict[str, Any] | None:
    if raw is None or raw == "" or raw == []:
        return None
    if ftype in ("text", "textarea"):
        text = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
        limit = tm.TEXT_LIMIT if ftype == "text" else tm.TEXTAREA_LIMIT
        if len(text) > limit:
            return change(
                item.key,
                "field_value",
                f"value of '{f.name}'",
                f"{len(text):,} characters, over Tallyfy's {ftype} limit of {limit}; cut",
            )
        return None
    if ftype in ("dropdown", "multiselect"):
        texts = {o.id: o.text for o in f.options}
        chosen = raw if isinstance(raw, list) else [raw]
        unknown = [str(v) for v in chosen if texts.get(str(v), str(v)) not in texts.values()]
        if unknown:
            return change(
                item.key,
                "field_value",
                f"value of '{f.name}'",
                f"{', '.join(unknown)[:80]} is not one of the field's options; Tallyfy cannot hold it",
                dropped=1,
            )
    return None


SUB_ITEM_LOSS = (
    "a sub-item of {parent}: Tallyfy has no sub-processes, so it is a process of its own, with its values, "
    "comments and files, not linked to its parent's"
)


def item_changes(item: Item, tpl: Template, overrides: dict[str, str], with_checklists: bool) -> list[dict[str, Any]]:
    out = _name(item.key, "item", item.name, tm.RUN_NAME_LIMIT)
    if item.approval:
        out.append(
            change(
                item.key,
                "item",
                "kind",
                f"a {item.approval}, not work: it becomes a process like any other (a source preset that makes "
                f"items steps makes it an approval step)",
            )
        )
    if len(item.description) > tm.TEXTAREA_LIMIT:
        out.append(
            change(
                item.key,
                "item",
                "description",
                f"{len(item.description):,} characters, over Tallyfy's limit of {tm.TEXTAREA_LIMIT:,}; cut",
            )
        )
        lost = task_lines.lost_to_cut(item.description, tm._clip(item.description, tm.TEXTAREA_LIMIT))
        out += [
            change(item.key, kind, "task lines", f"{task_lines.CUT_LOSS} of {tm.TEXTAREA_LIMIT:,}", dropped=n)
            for kind, n in lost.items()
        ]
    if item.relations:
        out.append(change(item.key, "item", "links", tm.RELATIONS_LOSS.format(n=len(item.relations))))
    fields = {f.key: f for f in tpl.fields}
    for v in item.values:
        f = fields.get(v.field_key)
        if f is None:
            out.append(
                change(
                    item.key,
                    "field_value",
                    "field value",
                    "its field is not defined on its container in the source; there is no form field for it",
                    dropped=1,
                )
            )
            continue
        if (c := _value_change(item, f, tm.field_type_for(f, overrides), v.value)) is not None:
            out.append(c)
    if with_checklists and item.checklists:
        total = sum(len(c.items) for c in item.checklists)
        text = tm.checklist_text(item)
        if len(text) > tm.TEXTAREA_LIMIT:
            kept = sum(1 for line in tm._clip(text, tm.TEXTAREA_LIMIT).splitlines()[:-1] if line.startswith("- ["))
            out.append(
                change(
                    item.key,
                    "checklist_item",
                    "checklists",
                    f"{len(text):,} characters of checklist text, over Tallyfy's limit of "
                    f"{tm.TEXTAREA_LIMIT:,}; {total - kept} of {total} items do not fit",
                    dropped=total - kept,
                )
            )
    return out


@dataclass(frozen=True)
class TallyfyLosses:
    """The ledger's rules for one plan's mapping options (`wizard.target.LossRules`)."""

    overrides: dict[str, str] = field(default_factory=dict)  # field key -> Tallyfy field type
    with_checklists: bool = True  # checklists as a kick-off text field (else as tasks)

    def container_losses(self, tpl: Template) -> list[dict[str, Any]]:
        return template_changes(tpl)

    def item_losses(self, item: Item, tpl: Template, depth: int = 0) -> list[dict[str, Any]]:
        out = item_changes(item, tpl, self.overrides, self.with_checklists)
        if depth:
            out.append(change(item.key, "item", "parent", SUB_ITEM_LOSS.format(parent=item.parent_key)))
        return out

    def mapping_losses(self, tpl: Template) -> list[tuple[str, str]]:
        return tm.losses(tpl, self.overrides, self.with_checklists)


def for_plan(plan: Plan) -> TallyfyLosses:
    return TallyfyLosses(dict(plan.mapping.field_types), tm.checklist_mode(plan.mapping) == "field")
