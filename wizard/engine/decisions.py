"""Deciding conflicts: one by one or by rule (stage, tag, member, container, date, name pattern), undone
or reset to undecided, previewed before the run writes them, and shared with the client as a
CSV file whose decision column comes back validated. Every decision says who made it and
how; the report lists them and the audit log records each one."""

from __future__ import annotations

import csv
import getpass
import io
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from wizard.engine.conflicts import _epoch, differences, plain
from wizard.errors import UserError
from wizard.journal import now_iso
from wizard.plan import atomic_write_text
from wizard.store import Store
from wizard.textsafe import csv_cell

DECISIONS = ("skip", "overwrite", "merge", "newer")
RULE_FIELDS = {  # the engine's words: a source's own (Trello's list and label) differ from source to source
    "stage": "stage",
    "tag": "tags",
    "member": "assignees",
    "name": "name",
    "container": "container",
    "before": "updated",
    "after": "updated",
}
SIDES = ("name", "description", "stage", "assignees", "tags", "comments", "files")


def who(via: str) -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return f"{user} ({via})"


@dataclass(frozen=True)
class Rule:
    """`field=value`: stage, tag, member (a word of the value, case aside), name (a
    pattern with * and ?), container (its name; the source's own word for it too, such as
    board=), before/after (a date, against the item's last change in the source)."""

    field: str
    value: str

    @classmethod
    def parse(cls, text: str, container_noun: str = "container") -> Rule:
        name, sep, value = text.partition("=")
        name = name.strip().lower()
        name = "container" if name == container_noun.lower() else name
        if not sep or name not in RULE_FIELDS or not value.strip():
            raise UserError(
                f"'{text}' is not a rule; write one of {', '.join(f'{k}=…' for k in RULE_FIELDS)} "
                f"(for example stage=Doing, tag=Urgent, name=Invoice*, before=2026-01-31)."
            )
        if name in ("before", "after"):
            try:
                datetime.fromisoformat(value.strip())
            except ValueError:
                raise UserError(f"'{value.strip()}' in '{text}' is not a date; write it as 2026-01-31.") from None
        return cls(name, value.strip())

    def matches(self, c: dict[str, Any]) -> bool:
        src = c.get("source") or {}
        if self.field in ("before", "after"):
            when, limit = _epoch(src.get("updated")), _epoch(self.value)
            return bool(when) and (when < limit if self.field == "before" else when >= limit)
        value = src.get(RULE_FIELDS[self.field])
        if self.field == "name":
            return fnmatchcase(plain(value).lower(), self.value.lower()) or plain(value).lower() == self.value.lower()
        values = value if isinstance(value, list) else [value]
        return any(plain(v).lower() == self.value.lower() for v in values)


def select(store: Store, rules: list[Rule], *, text: str = "", open_only: bool = False) -> list[dict[str, Any]]:
    """The conflicts every rule matches (and whose names, stages, tags or members contain
    `text`), by id."""
    needle = text.lower()
    out = []
    for c in store.conflicts.values():
        if open_only and c.get("decision"):
            continue
        if needle and needle not in haystack(c):
            continue
        if all(r.matches(c) for r in rules):
            out.append(c)
    return sorted(out, key=lambda c: c["id"])


def haystack(c: dict[str, Any]) -> str:
    """What a filter looks in: the id, both names, the stage, tags, members, the reason and
    the decision (no need for discover: the conflict carries its own)."""
    src, tgt = c.get("source") or {}, c.get("target") or {}
    parts = [c["id"], c.get("reason", ""), c.get("decision") or "undecided"]
    parts += [plain(src.get(k)) for k in ("name", "stage", "tags", "assignees", "container")]
    parts += [plain(tgt.get(k)) for k in ("name", "stage", "tags", "assignees")]
    return " ".join(parts).lower()


def record(store: Store, ids: list[str], decision: str | None, *, by: str, how: str) -> list[dict[str, Any]]:
    """Decide (or, with None, reset to undecided) each conflict; each keeps its history, so
    a decision can be undone to the one before. Returns the records as they were."""
    if decision is not None and decision not in DECISIONS:
        raise UserError(f"A decision is one of {', '.join(DECISIONS)} (not '{decision}').")
    missing = [i for i in ids if i not in store.conflicts]
    if missing:
        raise UserError(f"No conflict with id {missing[0]}; list them with 'migration-wizard conflicts DIR'.")
    before = []
    for cid in ids:
        c = store.conflicts[cid]
        before.append(c)
        history = [
            *c.get("history", []),
            {k: c.get(k) for k in ("decision", "decided_by", "decided_how", "decided_at")},
        ]
        store.record_conflict(
            {
                **c,
                "decision": decision,
                "decided_by": by if decision else None,
                "decided_how": how if decision else None,
                "decided_at": now_iso(),
                "history": history[-20:],
            }
        )
    return before


def undo(store: Store, ids: list[str], *, by: str) -> int:
    """Each conflict back to the decision it had before its last one (undecided if none)."""
    n = 0
    for cid in ids:
        c = store.conflicts.get(cid)
        if not c or not c.get("history"):
            continue
        prev = c["history"][-1]
        store.record_conflict({**c, **prev, "history": c["history"][:-1], "undone_by": by})
        n += 1
    return n


def side_by_side(c: dict[str, Any]) -> list[tuple[str, bool, str, str]]:
    """Every field of a conflict's two sides: (what, differs, in the source, in the target);
    kick-off and custom fields one by one."""
    src, tgt = c.get("source") or {}, c.get("target") or {}
    changed = set(differences(src, tgt))
    keys = [k for k in src if k in tgt and k != "fields"] + [k for k in tgt if k not in src and k != "fields"]
    rows = [(k, k in changed, plain(src.get(k)), plain(tgt.get(k))) for k in keys]
    sf, tf = src.get("fields") or {}, tgt.get("fields") or {}
    rows += [(f, f"field: {f}" in changed, plain(sf.get(f)), plain(tf.get(f))) for f in sorted(set(sf) | set(tf))]
    return rows


def preview(c: dict[str, Any], decision: str) -> list[str]:
    """What a decision will write to the target, field by field."""
    src, tgt = c.get("source") or {}, c.get("target") or {}
    if c.get("kind") == "template":
        return (
            [f"Nothing is written; '{plain(src.get('name'))}' is left out."]
            if decision == "skip"
            else [f"A new template '{plain(src.get('name'))}' is made next to the one already there."]
        )
    if decision == "skip":
        return ["Nothing is written; the process stays as it is."]
    if decision == "newer":
        newer = _epoch(src.get("updated")) > _epoch(tgt.get("updated"))
        return ["the source changed last, so as overwrite" if newer else "the target changed last, so as skip"] + (
            preview(c, "overwrite") if newer else []
        )
    changed = differences(src, tgt)
    lines = []
    for k in changed:
        if k.startswith("field: "):
            f = k[7:]
            s_val, t_val = plain((src.get("fields") or {}).get(f)), plain((tgt.get("fields") or {}).get(f))
            if decision == "merge" and t_val:
                continue
            lines.append(f"{f}: '{t_val}' → '{s_val}'")
        elif k in ("comments", "files"):
            lines.append(f"{k}: the source's {src.get(k, 0)} are added where missing ({tgt.get(k, 0)} there now)")
        elif decision == "overwrite" or (k == "description" and not plain(tgt.get(k))):
            lines.append(f"{k}: '{plain(tgt.get(k))}' → '{plain(src.get(k))}'")
    return lines or ["Nothing differs: nothing is written."]


# -- sharing with the client -------------------------------------------------------------------
def _cell(value: Any) -> str:
    """A cell a spreadsheet never runs as a formula, with control characters visible."""
    return csv_cell(plain(value) if not isinstance(value, str) else value)


def export_rows(store: Store) -> tuple[list[str], list[list[str]]]:
    fields = sorted(
        {
            f
            for c in store.conflicts.values()
            for side in ("source", "target")
            for f in ((c.get(side) or {}).get("fields") or {})
        }
    )
    header = ["id", "kind", "reason", "changed"]
    for k in SIDES:
        header += [f"source {k}", f"target {k}"]
    for f in fields:
        header += [f"source field: {f}", f"target field: {f}"]
    header += ["decision", "decided by"]
    rows = []
    for c in sorted(store.conflicts.values(), key=lambda c: c["id"]):
        src, tgt = c.get("source") or {}, c.get("target") or {}
        row = [c["id"], c.get("kind", ""), c.get("reason", ""), ", ".join(c.get("changed", []))]
        for k in SIDES:
            row += [src.get(k, ""), tgt.get(k, "")]
        for f in fields:
            row += [(src.get("fields") or {}).get(f, ""), (tgt.get("fields") or {}).get(f, "")]
        row += [c.get("decision") or "", c.get("decided_by") or ""]
        rows.append([_cell(v) for v in row])
    return header, rows


def export_csv(store: Store, path: Path) -> int:
    header, rows = export_rows(store)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    try:
        atomic_write_text(Path(path), buf.getvalue())
    except OSError as e:
        raise UserError(f"Cannot write {path} ({e.strerror}).") from None
    return len(rows)


def read_decisions(store: Store, path: Path) -> dict[str, str | None]:
    """The decision column of an exported file, edited by the client: id -> decision (None:
    undecided). Every bad row is named in one sentence; nothing is taken from a file with one."""
    try:
        text = Path(path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"Cannot read {path} ({getattr(e, 'strerror', None) or 'not UTF-8 text'}).") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or "id" not in rows[0] or "decision" not in rows[0]:
        raise UserError(f"{path} has no 'id' and 'decision' columns; export one with 'conflicts DIR --export FILE'.")
    i_id, i_dec = rows[0].index("id"), rows[0].index("decision")
    out: dict[str, str | None] = {}
    bad: list[str] = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cid = row[i_id].strip() if len(row) > i_id else ""
        value = (row[i_dec].strip().lower() if len(row) > i_dec else "").lstrip("'")
        if cid not in store.conflicts:
            bad.append(f"row {n}: no conflict with id '{cid[:80]}'.")
        elif value not in (*DECISIONS, "", "undecided"):
            bad.append(
                f"row {n}: '{value[:40]}' is not a decision (write skip, overwrite, merge, newer, or leave it empty)."
            )
        elif cid in out:
            bad.append(f"row {n}: '{cid}' appears twice.")
        else:
            out[cid] = value if value in DECISIONS else None
    if bad:
        raise UserError(
            f"{path} was not imported, nothing changed: "
            + " ".join(bad[:20])
            + (f" … and {len(bad) - 20} more." if len(bad) > 20 else "")
        )
    return out


def import_decisions(store: Store, path: Path, *, by: str) -> dict[str, int]:
    """Apply the changed decisions of an edited export; returns counts by decision."""
    wanted = read_decisions(store, path)
    counts: dict[str, int] = {}
    for decision in (*DECISIONS, None):
        ids = [cid for cid, d in wanted.items() if d == decision and store.conflicts[cid].get("decision") != d]
        if ids:
            record(store, ids, decision, by=by, how=f"imported from {Path(path).name}")
            counts[decision or "undecided"] = len(ids)
    return counts
