"""The Tallyfy sandbox's organization-scoped routes: templates, steps and captures.

Every handler takes a `Call` (state, query, body, path arguments) and returns
`(status, body)`; errors are raised as `ApiError` in Tallyfy's shapes. Routes are declared
with `@route(METHOD, "/pattern/{arg}")` relative to `organizations/{org}`, and the other
route modules (`sandbox_runs`, `sandbox_people`) register on the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.tallyfy import sandbox_views as v
from adapters.tallyfy.sandbox_limits import SandboxLimits
from adapters.tallyfy.sandbox_rules import (
    STEP_TYPES,
    TEMPLATE_TYPES,
    ApiError,
    build_field,
    capture_errors,
    invalid,
    paginate,
    require_str,
    resource_not_found,
)
from adapters.tallyfy.sandbox_state import Step, TallyfyState, Template


@dataclass
class Upload:
    filename: str
    content: bytes
    content_type: str


@dataclass
class Call:
    st: TallyfyState
    limits: SandboxLimits
    method: str
    url: str
    params: dict[str, str]
    body: dict[str, Any]
    args: dict[str, str]
    files: dict[str, Upload] = field(default_factory=dict)
    max_upload_bytes: int = 100 * 1024 * 1024

    @property
    def inc(self) -> set[str]:
        return v.includes(self.params)


Reply = tuple[int, Any]
Handler = Callable[[Call], Reply]
ROUTES: list[tuple[str, str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    rx = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")

    def deco(fn: Handler) -> Handler:
        ROUTES.append((method, pattern, rx, fn))
        return fn

    return deco


def listing(
    c: Call,
    items: list[Any],
    view: Callable[[Any], dict[str, Any]],
    *,
    default: int = 10,
    cap: int | None = 100,
    honour_without_pagination: bool = True,
) -> Reply:
    """Paginate the entities, then render only the page (a list of 5,000 runs must not
    transform all of them to answer for 100)."""
    chunk, meta = paginate(
        items, c.params, c.url, default=default, cap=cap, honour_without_pagination=honour_without_pagination
    )
    data = [view(x) for x in chunk]
    return 200, ({"data": data, "meta": meta} if meta else {"data": data})


# -- templates -------------------------------------------------------------------------
TEMPLATE_KEYS = (
    "owner_id",
    "webhook",
    "explanation_video",
    "starred",
    "guidance",
    "icon",
    "is_public",
    "is_featured",
    "folder_id",
    "default_process_name_format",
    "is_public_kickoff",
    "auto_naming",
    "kickoff_title",
    "kickoff_description",
    "folderize_process",
    "tag_process",
    "allow_launcher_change_name",
    "can_add_oot",
)
STEP_KEYS = (
    "webhook",
    "max_assignable",
    "assignees",
    "guests",
    "groups",
    "tags",
    "deadline",
    "start_date",
    "allow_guest_owners",
    "skip_start_process",
    "can_complete_only_assignees",
    "everyone_must_complete",
    "prevent_guest_comment",
    "is_soft_start_date",
    "role_changes_every_time",
    "assign_run_starter",
    "top_secret",
    "send_chromeless",
)


def template_or_404(c: Call, *, archived_ok: bool = False) -> Template:
    """Archived templates 404 exactly like unknown ones (findByTimeline skips them)."""
    t = c.st.templates.get(c.args["id"])
    if t is None or (t.archived_at is not None and not archived_ok):
        raise resource_not_found()
    return t


def _prerun_defs(c: Call, t: Template, raw: Any) -> None:
    """A `prerun` array of definitions replaces the kick-off form; an entry with a known id
    keeps that id (and so the values runs hold against it)."""
    if not isinstance(raw, list):
        raise invalid({"prerun": "The prerun must be an array."})
    errs: dict[str, list[str]] = {}
    for i, d in enumerate(raw):
        errs.update(capture_errors(d, f"prerun.{i}."))
    if errs:
        raise invalid(errs)
    known = {f.id for f in t.prerun}
    t.prerun = [
        build_field(d, d["id"] if d.get("id") in known else c.st.hex_id(), t.id, i, None) for i, d in enumerate(raw, 1)
    ]


@route("GET", "/checklists")
def list_templates(c: Call) -> Reply:
    arch = c.params.get("archived", "").lower()
    items = [
        t for t in c.st.templates.values() if (t.archived_at is not None) == (arch == "only") or arch in ("true", "1")
    ]
    q = c.params.get("q", "").lower()
    if q:
        items = [t for t in items if q in t.title.lower()]
    items.sort(key=lambda t: t.updated_at, reverse=True)
    return listing(c, items, lambda t: v.template(c.st, t, c.inc))


@route("POST", "/checklists")
def create_template(c: Call) -> Reply:
    title = require_str(c.body, "title", max_len=250)
    type_ = c.body.get("type")
    if type_ not in TEMPLATE_TYPES:
        raise invalid({"type": "The type field is required." if type_ is None else "The selected type is invalid."})
    summary = require_str(c.body, "summary", max_len=2000, required=False)
    t = c.st.add_template(title or "", type_, summary, extra={k: c.body[k] for k in TEMPLATE_KEYS if k in c.body})
    if "prerun" in c.body:
        try:
            _prerun_defs(c, t, c.body["prerun"])
        except ApiError:
            del c.st.templates[t.id]
            raise
    return 201, {"data": v.template(c.st, t, c.inc)}


@route("GET", "/checklists/{id}")
def get_template(c: Call) -> Reply:
    return 200, {"data": v.template(c.st, template_or_404(c), c.inc)}


@route("PUT", "/checklists/{id}")
def update_template(c: Call) -> Reply:
    t = template_or_404(c)
    t.title = require_str(c.body, "title", max_len=250) or t.title  # title is required on EVERY PUT
    if "type" in c.body:
        if c.body["type"] not in TEMPLATE_TYPES:
            raise invalid({"type": "The selected type is invalid."})
        t.type = c.body["type"]
    if "summary" in c.body:
        t.summary = require_str(c.body, "summary", max_len=2000, required=False)
    if "prerun" in c.body:
        _prerun_defs(c, t, c.body["prerun"])
    t.extra.update({k: c.body[k] for k in TEMPLATE_KEYS if k in c.body})
    t.updated_at = c.st.now()
    return 200, {"data": v.template(c.st, t, c.inc)}


@route("DELETE", "/checklists/{id}")
def archive_template(c: Call) -> Reply:
    t = template_or_404(c)
    t.archived_at = t.updated_at = c.st.now()
    return 200, {"message": "Checklist archived successfully.", "deleted_references": []}


@route("DELETE", "/checklists/{id}/delete")
def delete_template(c: Call) -> Reply:
    t = template_or_404(c, archived_ok=True)
    if t.archived_at is None:
        raise ApiError(
            422,
            {
                "message": "The checklist must be archived before it can be deleted permanently.",
                "errors": {"checklist": ["The checklist must be archived first."]},
            },
        )
    del c.st.templates[t.id]
    return 200, {"message": "Checklist deleted permanently."}


@route("PUT", "/checklists/{id}/restore")
def restore_template(c: Call) -> Reply:
    t = template_or_404(c, archived_ok=True)
    t.archived_at = None
    t.updated_at = c.st.now()
    return 200, {"data": v.template(c.st, t, c.inc)}


@route("GET", "/checklists/{id}/form-fields")
def template_form_fields(c: Call) -> Reply:
    t = template_or_404(c)
    return 200, {"data": [v.field(f) for s in t.steps for f in s.captures]}


# -- steps and captures ----------------------------------------------------------------
@route("GET", "/checklists/{id}/steps")
def list_steps(c: Call) -> Reply:
    # StepService paginates and ignores without_pagination: clients must walk total_pages.
    return listing(c, template_or_404(c).steps, v.step, honour_without_pagination=False)


@route("POST", "/checklists/{id}/steps")
def create_step(c: Call) -> Reply:
    t = template_or_404(c)
    title = require_str(c.body, "title", max_len=600)
    step_type = c.body.get("step_type") or "task"
    if step_type not in STEP_TYPES:
        raise invalid({"step_type": "The selected step type is invalid."})
    # `summary` is the body; `description` is not in CreateStepRequest and vanishes;
    # `position` is discarded (steps append); `alias` and `roles` are stripped.
    summary = require_str(c.body, "summary", required=False)
    s = c.st.add_step(t, title or "", summary, step_type, {k: c.body[k] for k in STEP_KEYS if k in c.body})
    return 201, {"data": v.step(s)}


def step_or_404(t: Template, step_id: str) -> Step:
    s = next((s for s in t.steps if s.id == step_id), None)
    if s is None:
        raise resource_not_found()
    return s


@route("POST", "/checklists/{id}/steps/{step}/captures")
def create_capture(c: Call) -> Reply:
    t = template_or_404(c)
    s = step_or_404(t, c.args["step"])
    errs = capture_errors(c.body)
    if errs:
        raise invalid(errs)
    f = build_field(c.body, c.st.hex_id(), t.id, len(s.captures) + 1, s.id)
    s.captures.append(f)
    t.updated_at = c.st.now()
    return 201, {"data": v.field(f)}


@route("GET", "/checklists/{id}/steps/{step}")
def get_step(c: Call) -> Reply:
    return 200, {"data": v.step(step_or_404(template_or_404(c), c.args["step"]))}


@route("PUT", "/checklists/{id}/steps/{step}")
def update_step(c: Call) -> Reply:
    """A step PUT treats absent `assignees`/`guests`/`groups` as empty: a client that sends
    only the field it means to change silently unassigns everyone (reference A2.2, A8.4)."""
    t = template_or_404(c)
    s = step_or_404(t, c.args["step"])
    if "title" in c.body:
        s.title = require_str(c.body, "title", max_len=600) or s.title
    if "summary" in c.body:
        s.summary = require_str(c.body, "summary", required=False)
    if "step_type" in c.body:
        if c.body["step_type"] not in STEP_TYPES:
            raise invalid({"step_type": "The selected step type is invalid."})
        s.step_type = c.body["step_type"]
    s.extra.update({k: c.body[k] for k in STEP_KEYS if k in c.body})
    for bucket in ("assignees", "guests", "groups"):
        s.extra[bucket] = list(c.body.get(bucket) or [])
    t.updated_at = c.st.now()
    return 200, {"data": v.step(s)}


@route("DELETE", "/checklists/{id}/steps/{step}")
def delete_step(c: Call) -> Reply:
    t = template_or_404(c)
    s = step_or_404(t, c.args["step"])
    t.steps.remove(s)
    for i, other in enumerate(t.steps, 1):
        other.position = i
    t.updated_at = c.st.now()
    return 200, {"message": "Step deleted."}
