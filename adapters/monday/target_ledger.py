"""The ledger of a migration into monday.com: every change the mapping makes to one object on
its way in (a placeholder name, a name or text cut to monday.com's limit, a value a column
cannot hold), with the reason. Built on the writes' own helpers (`target_mapping`), so what
the mapping screen shows before the run is what the run does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.monday import target_mapping as mm
from wizard import task_lines
from wizard.model import Item, Template
from wizard.plan import Plan
from wizard.provenance import PLACEHOLDER_NAME


def change(key: str, kind: str, what: str, why: str, *, dropped: int = 0) -> dict[str, Any]:
    return {"key": key, "kind": kind, "what": what, "why": why, "dropped": dropped}


def _name(key: str, kind: str, name: str) -> list[dict[str, Any]]:
    if not name.strip():
        return [
            change(key, kind, "name", f"the name is blank; it becomes '{PLACEHOLDER_NAME}', the preset's placeholder")
        ]
    if len(name) > mm.NAME_LIMIT:
        return [change(key, kind, "name", f"{len(name):,} characters, over monday.com's limit of {mm.NAME_LIMIT}; cut")]
    return []


SUB_SUB_ITEM_LOSS = (
    "a sub-item of the sub-item {parent}: monday.com's subitems have none of their own, so it is a subitem of "
    "the top item, beside its parent"
)


@dataclass(frozen=True)
class MondayLosses:
    """The ledger's rules for one plan's mapping options (`wizard.target.LossRules`)."""

    overrides: dict[str, str] = field(default_factory=dict)  # field key -> column type
    checklist_column: bool = True  # checklist items as lines of one long text column (else subitems)

    def container_losses(self, tpl: Template) -> list[dict[str, Any]]:
        out = _name(tpl.key, "template", tpl.name)
        for st in tpl.stages:
            out += _name(st.key, "stage", st.name)
        for f in tpl.fields:
            if f.source_type:
                out.append(
                    change(
                        f.key, "field", "type", f"its type '{f.source_type}' is not one the source knows; kept as text"
                    )
                )
        return out

    def item_losses(self, item: Item, tpl: Template, depth: int = 0) -> list[dict[str, Any]]:
        out = _name(item.key, "item", item.name)
        if depth > 1:
            out.append(change(item.key, "item", "parent", SUB_SUB_ITEM_LOSS.format(parent=item.parent_key)))
        if len(item.description) > mm.LONG_TEXT_LIMIT:
            out.append(
                change(
                    item.key,
                    "item",
                    "description",
                    f"{len(item.description):,} characters, over monday.com's long text limit of "
                    f"{mm.LONG_TEXT_LIMIT:,}; cut",
                )
            )
            text = mm.description_text(item, [], "")
            lost = task_lines.lost_to_cut(text, mm.clip(text, mm.LONG_TEXT_LIMIT))
            out += [
                change(item.key, kind, "task lines", f"{task_lines.CUT_LOSS} of {mm.LONG_TEXT_LIMIT:,}", dropped=n)
                for kind, n in lost.items()
            ]
        fields = {f.key: f for f in tpl.fields}
        for v in item.values:
            f = fields.get(v.field_key)
            if f is None:
                out.append(
                    change(
                        item.key,
                        "field_value",
                        "field value",
                        "its field is not defined on its container in the source; there is no column for it",
                        dropped=1,
                    )
                )
                continue
            value, why = mm.value_for(f, mm.column_type(f, self.overrides), v.value)
            if why:
                out.append(change(item.key, "field_value", f"value of '{f.name}'", why, dropped=int(value is None)))
        if item.checklists and self.checklist_column:
            text = mm.checklist_text(item)
            if len(text) > mm.LONG_TEXT_LIMIT:
                total = sum(len(c.items) for c in item.checklists)
                kept = sum(1 for ln in mm.clip(text, mm.LONG_TEXT_LIMIT).splitlines()[:-1] if ln.startswith("- ["))
                out.append(
                    change(
                        item.key,
                        "checklist_item",
                        "checklists",
                        f"{len(text):,} characters of checklist text, over monday.com's long text limit of "
                        f"{mm.LONG_TEXT_LIMIT:,}; {total - kept} of {total} items do not fit",
                        dropped=total - kept,
                    )
                )
        return out

    def mapping_losses(self, tpl: Template) -> list[tuple[str, str]]:
        return mm.mapping_losses(tpl, self.overrides)


def for_plan(plan: Plan) -> MondayLosses:
    return MondayLosses(dict(plan.mapping.field_types), getattr(plan.mapping, "checklists", "column") == "column")
