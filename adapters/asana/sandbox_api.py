"""The Asana sandbox's routes under `/api/1.0`: each handler reads the state and answers
Asana's envelope (`{"data": ...}`, lists with `next_page` when a `limit` was given).

Records go out compact unless `opt_fields` asks for more (dot paths such as
`assignee.email` or `memberships.section.name`, and the group operator `(a|b)`); pages are
1..100 long and continue with an opaque `offset` that only this route and query accept;
a list asked for without `limit` answers whole up to 1,000 objects and refuses beyond.
Errors are `{"errors": [{"message", "help", "phrase"}]}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from adapters.asana import sandbox_webhooks as hooks
from adapters.asana.sandbox_state import AsanaState, Project, Task

UNPAGED_MAX = 1_000
EVENTS_PAGE = 100
HELP = "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"


class AsanaError(Exception):
    def __init__(self, status: int, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        return {"errors": [{"message": self.message, "help": HELP}], **self.extra}


def not_found(what: str) -> AsanaError:
    return AsanaError(404, f"{what}: Not a recognized ID.")


@dataclass
class Ctx:
    state: AsanaState
    params: dict[str, str]
    query: dict[str, str]
    base: str  # scheme://host:port
    path: str  # the route's own path (under /api/1.0), for next_page
    secret: bytes
    download_url: Callable[[dict[str, Any]], str | None]
    denied: set[str] = field(default_factory=set)
    epoch: dict[str, int] = field(default_factory=dict)
    tier: str = "paid"
    hidden: set[str] = field(
        default_factory=set
    )  # tasks a listing loses (task_counts still counts them)  # per project: bumped to make its sync tokens too old
    cost: int = 1
    hook_secret: str = ""  # the secret a webhook's handshake was answered with (POST /webhooks)


# -- full records ------------------------------------------------------------------------
def user(st: AsanaState, gid: str | None) -> dict[str, Any] | None:
    if gid is None or gid not in st.users:
        return None
    u = st.users[gid]
    return {"gid": gid, "resource_type": "user", "name": u["name"], "email": u["email"], "photo": None}


def workspace(st: AsanaState) -> dict[str, Any]:
    return {"resource_type": "workspace", **st.workspace}


def team(st: AsanaState, gid: str) -> dict[str, Any]:
    t = st.teams[gid]
    return {
        "gid": gid,
        "resource_type": "team",
        "name": t["name"],
        "description": t["description"],
        "html_description": f"<body>{html.escape(t['description'])}</body>",
        "organization": workspace(st),
        "permalink_url": f"https://app.asana.com/0/{gid}",
        "visibility": "request_to_join",
    }


def project(st: AsanaState, p: Project) -> dict[str, Any]:
    d = p.data
    return {
        "gid": p.gid,
        "resource_type": "project",
        "name": d["name"],
        "archived": d["archived"],
        "color": d["color"],
        "notes": d["notes"],
        "html_notes": f"<body>{html.escape(d['notes'])}</body>",
        "created_at": d["created_at"],
        "modified_at": d["modified_at"],
        "completed": False,
        "completed_at": None,
        "due_on": None,
        "start_on": None,
        "default_view": d["default_view"],
        "public": d["public"],
        "privacy_setting": "public_to_workspace",
        "members": [user(st, st.me)],
        "followers": [user(st, st.me)],
        "owner": user(st, d["owner"]),
        "team": team(st, d["team"]),
        "workspace": workspace(st),
        "permalink_url": d["permalink_url"],
        "custom_field_settings": [field_setting(st, p, f) for f in p.fields],
        "custom_fields": [field_def(st, f) for f in p.fields],
        "current_status": None,
        "created_from_template": None,
    }


def project_template(st: AsanaState, gid: str) -> dict[str, Any]:
    t = st.templates[gid]
    return {
        "gid": gid,
        "resource_type": "project_template",
        "name": t["name"],
        "description": t["description"],
        "html_description": f"<body>{html.escape(t['description'])}</body>",
        "public": t["public"],
        "owner": user(st, t["owner"]),
        "team": team(st, t["team"]),
        "requested_dates": [
            {"gid": g, "resource_type": "date_variable", "name": n, "description": d} for g, n, d in t.get("dates", [])
        ],
        "requested_roles": [{"gid": g, "resource_type": "template_role", "name": n} for g, n in t.get("roles", [])],
        "color": t["color"],
    }


def section(st: AsanaState, gid: str) -> dict[str, Any]:
    s = st.sections[gid]
    p = st.projects[s["project"]]
    compact = {"gid": p.gid, "resource_type": "project", "name": p.data["name"]}
    return {
        "gid": gid,
        "resource_type": "section",
        "name": s["name"],
        "created_at": s["created_at"],
        "project": compact,
        "projects": [compact],
    }


def field_def(st: AsanaState, gid: str) -> dict[str, Any]:
    f = st.fields[gid]
    out = {
        "gid": gid,
        "resource_type": "custom_field",
        "name": f["name"],
        "type": f["type"],
        "resource_subtype": f["resource_subtype"],
        "description": "",
        "enabled": True,
        "is_global_to_workspace": True,
        "has_notifications_enabled": False,
        "created_by": user(st, st.me),
        "representation_type": f["type"],
    }
    if f["type"] in ("enum", "multi_enum"):
        out["enum_options"] = [{"resource_type": "enum_option", **o} for o in f["enum_options"]]
    if f["type"] == "number":
        out["precision"] = f.get("precision", 0)
        out["format"] = "none"
    return out


def field_setting(st: AsanaState, p: Project, gid: str) -> dict[str, Any]:
    compact = {"gid": p.gid, "resource_type": "project", "name": p.data["name"]}
    return {
        "gid": f"{p.gid}{gid[-6:]}",
        "resource_type": "custom_field_setting",
        "is_important": st.fields[gid]["type"] in ("enum", "number"),
        "project": compact,
        "parent": compact,
        "custom_field": field_def(st, gid),
    }


def field_value(st: AsanaState, gid: str, value: Any) -> dict[str, Any]:
    """A custom field as it appears on a task: its definition and the typed value (the
    other value slots absent), with the read-only display_value as a string."""
    f = st.fields[gid]
    out = field_def(st, gid)
    t = f["type"]
    options = {o["gid"]: {"resource_type": "enum_option", **o} for o in f.get("enum_options", [])}
    display: str | None = None
    if t == "enum":
        out["enum_value"] = options.get(value) if value else None
        display = out["enum_value"]["name"] if out["enum_value"] else None
    elif t == "multi_enum":
        out["multi_enum_values"] = [options[v] for v in value or []]
        display = ", ".join(o["name"] for o in out["multi_enum_values"]) or None
    elif t == "number":
        out["number_value"] = value
        display = None if value is None else f"{value:.{f.get('precision', 0)}f}"
    elif t == "text":
        out["text_value"] = value
        display = value
    elif t == "date":
        out["date_value"] = {"date": value, "date_time": None} if value else None
        display = value
    elif t == "people":
        out["people_value"] = [user(st, u) for u in value or []]
        display = ", ".join(st.users[u]["name"] for u in value or []) or None
    elif t == "reference":
        refs = [{"gid": g, "resource_type": "project", "name": st.projects[g].data["name"]} for g in value or []]
        out["reference_value"] = refs
        display = ", ".join(r["name"] for r in refs) or None
    out["display_value"] = display
    return out


def task_compact(st: AsanaState, gid: str) -> dict[str, Any]:
    t = st.tasks[gid].data
    return {"gid": gid, "resource_type": "task", "name": t["name"], "resource_subtype": t["resource_subtype"]}


def task(st: AsanaState, t: Task) -> dict[str, Any]:
    d = t.data
    memberships = []
    projects = []
    for pgid, sgid in t.memberships:
        p = st.projects[pgid]
        pc = {"gid": pgid, "resource_type": "project", "name": p.data["name"]}
        projects.append(pc)
        memberships.append(
            {"project": pc, "section": {"gid": sgid, "resource_type": "section", "name": st.sections[sgid]["name"]}}
        )
    top = st.project_of(t)
    field_gids = top.fields if top else []
    return {
        **{k: d[k] for k in ("gid", "name", "resource_subtype", "notes", "completed", "completed_at", "created_at")},
        "resource_type": "task",
        "html_notes": f"<body>{html.escape(d['notes'])}</body>",
        "modified_at": d["modified_at"],
        "due_on": d["due_on"],
        "due_at": d["due_at"],
        "start_on": d["start_on"],
        "start_at": None,
        "approval_status": d["approval_status"] or "pending",
        "assignee": user(st, d["assignee"]),
        "assignee_status": "upcoming",
        "completed_by": user(st, d["completed_by"]),
        "created_by": {"gid": d["created_by"], "resource_type": "user"},
        "followers": [user(st, u) for u in d["followers"]],
        "tags": [{"gid": g, "resource_type": "tag", **st.tags[g]} for g in d["tags"]],
        "parent": task_compact(st, d["parent"]) if d["parent"] else None,
        "memberships": memberships,
        "projects": projects,
        "custom_fields": [field_value(st, f, t.values.get(f)) for f in (field_gids if not d["parent"] else [])],
        "num_subtasks": len(st.live_subtasks(t.gid)),
        "num_likes": 0,
        "liked": False,
        "hearted": False,
        "num_hearts": 0,
        "dependencies": [],
        "dependents": [],
        "is_rendered_as_separator": False,
        "workspace": workspace(st),
        "permalink_url": d["permalink_url"],
    }


def story(st: AsanaState, s: dict[str, Any]) -> dict[str, Any]:
    parent = st.story_parent[s["gid"]]
    return {
        "gid": s["gid"],
        "resource_type": "story",
        "type": s["type"],
        "resource_subtype": s["resource_subtype"],
        "text": s["text"],
        "html_text": f"<body>{html.escape(s['text'])}</body>",
        "created_at": s["created_at"],
        "created_by": user(st, s["created_by"]),
        "is_pinned": s.get("is_pinned", False),
        "is_edited": s.get("is_edited", False),
        "is_editable": s["type"] == "comment",
        "num_likes": 0,
        "liked": False,
        "source": s["source"],
        "target": task_compact(st, parent),
    }


def attachment(ctx: Ctx, gid: str) -> dict[str, Any]:
    a = ctx.state.attachments[gid]
    return {
        "gid": gid,
        "resource_type": "attachment",
        "name": a["name"],
        "resource_subtype": a["resource_subtype"],
        "host": a["host"],
        "size": a["size"],
        "created_at": a["created_at"],
        "download_url": ctx.download_url(a),
        "permanent_url": f"https://app.asana.com/app/asana/-/get_asset?asset_id={gid}",
        "view_url": a["view_url"] or f"https://app.asana.com/app/asana/-/get_asset?asset_id={gid}",
        "parent": task_compact(ctx.state, a["parent"]),
        "connected_to_app": a["connected_to_app"],
    }


COMPACT = {
    "task": ("gid", "name", "resource_type", "resource_subtype"),
    "story": ("gid", "created_at", "created_by", "resource_type", "text", "type", "resource_subtype"),
    "attachment": ("gid", "name", "resource_type", "resource_subtype"),
    "custom_field_setting": ("gid", "resource_type"),
    "custom_field": ("gid", "name", "resource_type", "resource_subtype", "type", "enum_options"),
    "enum_option": ("gid", "name", "resource_type", "enabled", "color"),
    "webhook": ("gid", "resource_type", "active", "resource", "target"),
}


# -- opt_fields --------------------------------------------------------------------------
def parse_fields(raw: str | None) -> list[list[str]] | None:
    """`a,b.c,d.(e|f)` -> [["a"], ["b", "c"], ["d", "e"], ["d", "f"]]; `this.` is dropped."""
    if not raw:
        return None
    out: list[list[str]] = []
    todo = [p.strip().removeprefix("this.") for p in _split_top(raw)]
    while todo:
        part = todo.pop(0)
        group = re.search(r"\(([^()]*)\)", part)
        if group:  # innermost group first; the alternatives may hold an outer one
            todo[:0] = [part[: group.start()] + g + part[group.end() :] for g in group.group(1).split("|")]
        elif part:
            out.append([seg for seg in part.split(".") if seg])
    return out


def _split_top(raw: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in raw:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return parts + [cur]


def compact(record: dict[str, Any]) -> dict[str, Any]:
    keys = COMPACT.get(record.get("resource_type", ""), ("gid", "name", "resource_type"))
    return {k: _shallow(record[k]) for k in keys if k in record}


def _shallow(value: Any) -> Any:
    if isinstance(value, dict) and "gid" in value:
        return {k: value[k] for k in ("gid", "name", "resource_type") if k in value}
    if isinstance(value, list):
        return [_shallow(v) for v in value]
    return value


def project_fields(record: dict[str, Any], fields: list[list[str]] | None) -> dict[str, Any]:
    """The record as Asana sends it for these opt_fields (compact when none)."""
    if fields is None:
        return compact(record)
    out: dict[str, Any] = {"gid": record["gid"]} if "gid" in record else {}
    wanted: dict[str, list[list[str]]] = {}
    for path in fields:
        wanted.setdefault(path[0], []).append(path[1:])
    for name, subs in wanted.items():
        if name not in record:
            continue
        value = record[name]
        rest = [s for s in subs if s]
        out[name] = _sub(value, rest)
    return out


def _sub(value: Any, rest: list[list[str]]) -> Any:
    if isinstance(value, list):
        return [_sub(v, rest) for v in value]
    if isinstance(value, dict):
        if rest:
            return project_fields(value, rest)
        return compact(value) if "gid" in value else {k: _shallow(v) for k, v in value.items()}
    return value


# -- pagination --------------------------------------------------------------------------
def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:16]


def make_offset(ctx: Ctx, scope: str, pos: int) -> str:
    payload = json.dumps({"s": scope, "p": pos}, separators=(",", ":"))
    raw = f"{payload}.{_sign(ctx.secret, payload)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_offset(ctx: Ctx, scope: str, token: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        payload, sig = raw.rsplit(".", 1)
        data = json.loads(payload)
        if hmac.compare_digest(sig, _sign(ctx.secret, payload)) and data["s"] == scope:
            return int(data["p"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        pass
    raise AsanaError(400, "offset: Your pagination token is invalid. Only pass offsets returned by a previous request.")


def limit_of(ctx: Ctx) -> int | None:
    raw = ctx.query.get("limit")
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise AsanaError(400, "limit: Value must be an integer between 1 and 100.")
    return int(raw)


def page(ctx: Ctx, items: list[Any], render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of `items` (rendered and projected) with Asana's next_page."""
    fields = parse_fields(ctx.query.get("opt_fields"))
    limit = limit_of(ctx)
    scope_query = {
        k: v for k, v in sorted(ctx.query.items()) if k not in ("offset", "limit", "opt_fields", "opt_pretty")
    }
    scope = ctx.path + "?" + urlencode(scope_query)
    if limit is None:
        if "offset" in ctx.query:
            raise AsanaError(400, "offset: An offset needs a limit.")
        if len(items) > UNPAGED_MAX:
            raise AsanaError(
                400, "The result is too large. You should use pagination (may require specifying a workspace)!"
            )
        ctx.cost = max(1, len(items)) * _weight(fields)
        return {"data": [project_fields(render(i), fields) for i in items]}
    start = read_offset(ctx, scope, ctx.query["offset"]) if "offset" in ctx.query else 0
    chunk = items[start : start + limit]
    nxt = None
    if start + limit < len(items):
        token = make_offset(ctx, scope, start + limit)
        q = dict(ctx.query, limit=str(limit), offset=token)
        path = f"{ctx.path}?{urlencode(q, quote_via=quote)}"
        nxt = {"offset": token, "path": path, "uri": f"{ctx.base}/api/1.0{path}"}
    ctx.cost = max(1, len(chunk)) * _weight(fields)
    return {"data": [project_fields(render(i), fields) for i in chunk], "next_page": nxt}


def one(ctx: Ctx, record: dict[str, Any]) -> dict[str, Any]:
    fields = parse_fields(ctx.query.get("opt_fields"))
    if fields is None:  # a single object comes whole
        return {"data": record}
    ctx.cost = _weight(fields)
    return {"data": project_fields(record, fields)}


def _weight(fields: list[list[str]] | None) -> int:
    return 1 + sum(len(f) > 1 for f in fields or [])


# -- lookups -----------------------------------------------------------------------------
def _project(ctx: Ctx, gid: str) -> Project:
    p = ctx.state.projects.get(gid)
    if p is None:
        raise not_found("project")
    if gid in ctx.denied:
        raise AsanaError(403, "You do not have access to this project.")
    return p


def _task(ctx: Ctx, gid: str) -> Task:
    t = ctx.state.tasks.get(gid)
    if t is None or t.deleted:
        raise not_found("task")
    top = ctx.state.project_of(t)
    if gid in ctx.denied or (top is not None and top.gid in ctx.denied):
        raise AsanaError(403, "You do not have access to this task.")
    return t


def _workspace(ctx: Ctx, gid: str | None, what: str = "workspace") -> None:
    if not gid:
        raise AsanaError(400, f"{what}: Missing input")
    if gid != ctx.state.workspace["gid"]:
        raise not_found(what)


def _bool(raw: str | None) -> bool | None:
    return None if raw is None else raw.lower() == "true"


def _since(raw: str | None, what: str) -> str | None:
    """An ISO date-time (or `now` for completed_since), compared as Asana's own strings."""
    if raw is None:
        return None
    if raw == "now":
        return "9999"
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise AsanaError(400, f"{what}: Invalid date-time: {raw}") from None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if when.tzinfo else raw


# -- handlers ----------------------------------------------------------------------------
def get_user(ctx: Ctx) -> dict[str, Any]:
    st = ctx.state
    gid = st.me if ctx.params["gid"] == "me" else ctx.params["gid"]
    u = user(st, gid)
    if u is None:
        raise not_found("user")
    return one(
        ctx,
        {**u, "workspaces": [{"gid": st.workspace["gid"], "resource_type": "workspace", "name": st.workspace["name"]}]},
    )


def list_users(ctx: Ctx) -> dict[str, Any]:
    _workspace(ctx, ctx.query.get("workspace") or ctx.params.get("gid"))
    return page(ctx, sorted(ctx.state.users), lambda g: user(ctx.state, g) or {})


def list_workspaces(ctx: Ctx) -> dict[str, Any]:
    return page(ctx, [ctx.state.workspace], lambda w: workspace(ctx.state))


def get_workspace(ctx: Ctx) -> dict[str, Any]:
    _workspace(ctx, ctx.params["gid"])
    return one(ctx, workspace(ctx.state))


def list_teams(ctx: Ctx) -> dict[str, Any]:
    _workspace(ctx, ctx.params["gid"])
    return page(ctx, list(ctx.state.teams), lambda g: team(ctx.state, g))


def _projects(ctx: Ctx, team_gid: str | None) -> dict[str, Any]:
    archived = _bool(ctx.query.get("archived"))
    st = ctx.state
    items = [
        p
        for p in st.projects.values()
        if (team_gid is None or p.data["team"] == team_gid) and (archived is None or p.data["archived"] == archived)
    ]
    return page(ctx, items, lambda p: project(st, p))


def list_projects(ctx: Ctx) -> dict[str, Any]:
    team_gid = ctx.query.get("team")
    if team_gid is None:
        _workspace(ctx, ctx.query.get("workspace"))
    elif team_gid not in ctx.state.teams:
        raise not_found("team")
    return _projects(ctx, team_gid)


def workspace_projects(ctx: Ctx) -> dict[str, Any]:
    _workspace(ctx, ctx.params["gid"])
    return _projects(ctx, None)


def team_projects(ctx: Ctx) -> dict[str, Any]:
    if ctx.params["gid"] not in ctx.state.teams:
        raise not_found("team")
    return _projects(ctx, ctx.params["gid"])


def get_project(ctx: Ctx) -> dict[str, Any]:
    return one(ctx, project(ctx.state, _project(ctx, ctx.params["gid"])))


def list_templates(ctx: Ctx) -> dict[str, Any]:
    team_gid = ctx.query.get("team") or ctx.params.get("gid")
    if team_gid is None:
        _workspace(ctx, ctx.query.get("workspace"))
    elif team_gid not in ctx.state.teams:
        raise not_found("team")
    st = ctx.state
    items = [g for g, t in st.templates.items() if team_gid is None or t["team"] == team_gid]
    return page(ctx, items, lambda g: project_template(st, g))


def get_template(ctx: Ctx) -> dict[str, Any]:
    if ctx.params["gid"] not in ctx.state.templates:
        raise not_found("project_template")
    return one(ctx, project_template(ctx.state, ctx.params["gid"]))


def list_tags(ctx: Ctx) -> dict[str, Any]:
    _workspace(ctx, ctx.query.get("workspace") or ctx.params.get("gid"))
    return page(ctx, list(ctx.state.tags), lambda g: {"gid": g, "resource_type": "tag", **ctx.state.tags[g]})


def search_tasks(ctx: Ctx) -> dict[str, Any]:
    """Premium only: a free workspace answers 402. No offset: `limit` at most 100."""
    _workspace(ctx, ctx.params["gid"])
    if ctx.tier != "paid":
        raise AsanaError(402, "Search is only available to premium users.")
    limit = limit_of(ctx) or 20
    live = [t for t in ctx.state.tasks.values() if not t.deleted][:limit]
    fields = parse_fields(ctx.query.get("opt_fields"))
    ctx.cost = 20 * max(1, len(live))
    return {"data": [project_fields(task(ctx.state, t), fields) for t in live]}


def list_sections(ctx: Ctx) -> dict[str, Any]:
    p = _project(ctx, ctx.params["gid"])
    return page(ctx, p.sections, lambda g: section(ctx.state, g))


def get_section(ctx: Ctx) -> dict[str, Any]:
    if ctx.params["gid"] not in ctx.state.sections:
        raise not_found("section")
    return one(ctx, section(ctx.state, ctx.params["gid"]))


def _tasks(ctx: Ctx, gids: list[str]) -> dict[str, Any]:
    st = ctx.state
    completed_since = _since(ctx.query.get("completed_since"), "completed_since")
    modified_since = _since(ctx.query.get("modified_since"), "modified_since")
    items = []
    for g in gids:
        t = st.tasks[g]
        if t.deleted or g in ctx.hidden:
            continue
        d = t.data
        if completed_since is not None and d["completed"] and (d["completed_at"] or "") < completed_since:
            continue
        if modified_since is not None and d["modified_at"] < modified_since:
            continue
        items.append(t)
    return page(ctx, items, lambda t: task(st, t))


def project_tasks(ctx: Ctx) -> dict[str, Any]:
    return _tasks(ctx, _project(ctx, ctx.params["gid"]).tasks)


def section_tasks(ctx: Ctx) -> dict[str, Any]:
    sgid = ctx.params.get("gid") or ctx.query.get("section") or ""
    s = ctx.state.sections.get(sgid)
    if s is None:
        raise not_found("section")
    p = _project(ctx, s["project"])
    return _tasks(ctx, [g for g in p.tasks if any(m[1] == sgid for m in ctx.state.tasks[g].memberships)])


def list_tasks(ctx: Ctx) -> dict[str, Any]:
    q = ctx.query
    if q.get("project"):
        return _tasks(ctx, _project(ctx, q["project"]).tasks)
    if q.get("section"):
        return section_tasks(ctx)
    if q.get("assignee") and q.get("workspace"):
        _workspace(ctx, q["workspace"])
        who = ctx.state.me if q["assignee"] == "me" else q["assignee"]
        return _tasks(ctx, [g for g, t in ctx.state.tasks.items() if t.data["assignee"] == who])
    raise AsanaError(400, "Must specify exactly one of project, tag, section, user task list, or assignee + workspace")


def get_task(ctx: Ctx) -> dict[str, Any]:
    return one(ctx, task(ctx.state, _task(ctx, ctx.params["gid"])))


def subtasks(ctx: Ctx) -> dict[str, Any]:
    t = _task(ctx, ctx.params["gid"])
    return page(ctx, ctx.state.live_subtasks(t.gid), lambda s: task(ctx.state, s))


def stories(ctx: Ctx) -> dict[str, Any]:
    t = _task(ctx, ctx.params["gid"])
    return page(ctx, t.stories, lambda s: story(ctx.state, s))


def list_attachments(ctx: Ctx) -> dict[str, Any]:
    parent = ctx.query.get("parent")
    if not parent:
        raise AsanaError(400, "parent: Missing input")
    if parent in ctx.state.projects:
        _project(ctx, parent)
        return page(ctx, [], lambda g: {})  # no project "Key resources" in the seeded state
    t = _task(ctx, parent)
    return page(ctx, t.attachments, lambda g: attachment(ctx, g))


def get_attachment(ctx: Ctx) -> dict[str, Any]:
    a = ctx.state.attachments.get(ctx.params["gid"])
    if a is None or ctx.state.tasks[a["parent"]].deleted:
        raise not_found("attachment")
    _task(ctx, a["parent"])
    return one(ctx, attachment(ctx, ctx.params["gid"]))


def field_settings(ctx: Ctx) -> dict[str, Any]:
    p = _project(ctx, ctx.params["gid"])
    return page(ctx, p.fields, lambda g: field_setting(ctx.state, p, g))


def task_counts(ctx: Ctx) -> dict[str, Any]:
    """All fields are left out unless opt_fields asks for them (and each costs a lot)."""
    p = _project(ctx, ctx.params["gid"])
    live = [ctx.state.tasks[g] for g in p.tasks if not ctx.state.tasks[g].deleted]
    milestones = [t for t in live if t.data["resource_subtype"] == "milestone"]
    counts = {
        "num_tasks": len(live),
        "num_completed_tasks": sum(t.data["completed"] for t in live),
        "num_incomplete_tasks": sum(not t.data["completed"] for t in live),
        "num_milestones": len(milestones),
        "num_completed_milestones": sum(t.data["completed"] for t in milestones),
        "num_incomplete_milestones": sum(not t.data["completed"] for t in milestones),
    }
    fields = parse_fields(ctx.query.get("opt_fields")) or []
    ctx.cost = 50 * len(fields)
    return {"data": {k: v for k, v in counts.items() if [k] in fields}}


def update_task(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    t = _task(ctx, ctx.params["gid"])
    data = body.get("data") if isinstance(body.get("data"), dict) else None
    if data is None:
        raise AsanaError(400, "data: Missing input")
    for k in ("name", "notes", "completed", "due_on"):
        if k in data:
            t.data[k] = data[k]
    if "completed" in data:
        t.data["completed_at"] = now_iso() if data["completed"] else None
    t.data["modified_at"] = now_iso()
    p = ctx.state.project_of(t)
    if p is not None:
        ctx.state.record_event(
            p,
            "changed",
            task_compact(ctx.state, t.gid),
            change={"field": next(iter(data), "name"), "action": "changed"},
        )
    return one(ctx, task(ctx.state, t))


def delete_task(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    t = _task(ctx, ctx.params["gid"])
    p = ctx.state.project_of(t)
    t.deleted = True
    if p is not None:
        ctx.state.record_event(p, "deleted", task_compact(ctx.state, t.gid))
    return {"data": {}}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- events ------------------------------------------------------------------------------
def events(ctx: Ctx) -> dict[str, Any]:
    """The resource's change feed since `sync`. No token (or one too old) answers 412 with
    a fresh token; then up to 100 events a call, with has_more."""
    st = ctx.state
    resource = ctx.query.get("resource")
    if not resource:
        raise AsanaError(400, "resource: Missing input")
    p = st.projects.get(resource)
    if p is None:
        if resource in st.tasks and not st.tasks[resource].deleted:
            p = st.project_of(st.tasks[resource])
        if p is None:
            raise not_found("resource")
    _project(ctx, p.gid)
    scope = f"events:{p.gid}:{ctx.epoch.get(p.gid, 0)}"
    token = ctx.query.get("sync")
    fresh = make_offset(ctx, scope, len(p.events))
    if not token:
        raise AsanaError(
            412,
            "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the "
            "full dataset for this query now and use the new sync token for the next sync.",
            {"sync": fresh},
        )
    try:
        start = read_offset(ctx, scope, token)
    except AsanaError:
        raise AsanaError(
            412,
            "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the "
            "full dataset for this query now and use the new sync token for the next sync.",
            {"sync": fresh},
        ) from None
    chunk = p.events[start : start + EVENTS_PAGE]
    more = start + EVENTS_PAGE < len(p.events)
    out = []
    for e in chunk:
        out.append({**e, "user": {"gid": e["user"], "resource_type": "user", "name": st.users[e["user"]]["name"]}})
    ctx.cost = max(1, len(out))
    return {"data": out, "sync": make_offset(ctx, scope, start + len(chunk)), "has_more": more}


# -- webhooks (sandbox_webhooks sends the handshake and the deliveries) ---------------------
def webhook_project(ctx: Ctx, body: dict[str, Any]) -> tuple[Project, str, list[Any]]:
    """What a POST /webhooks asks for: (project, target, filters), or Asana's refusal."""
    data = body.get("data") if isinstance(body.get("data"), dict) else None
    if data is None:
        raise AsanaError(400, "data: Missing input")
    resource = data.get("resource")
    if not isinstance(resource, str) or not resource:
        raise AsanaError(400, "resource: Missing input")
    refused = hooks.target_refusal(data.get("target"))
    if refused:
        raise AsanaError(*refused)
    filters = data.get("filters") or []
    if not isinstance(filters, list):
        raise AsanaError(400, "filters: Value is not an array.")
    return _project(ctx, resource), str(data["target"]), filters


def create_webhook(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """POST /webhooks, once the handshake was answered: 201 with the secret beside `data`."""
    p, target, filters = webhook_project(ctx, body)
    hook = hooks.make(ctx.state, p, target, ctx.hook_secret, filters)
    return {"data": hooks.webhook_out(hook), "X-Hook-Secret": ctx.hook_secret}


def list_webhooks(ctx: Ctx) -> dict[str, Any]:
    ws = ctx.query.get("workspace")
    if not ws:
        raise AsanaError(400, "workspace: Missing input")
    _workspace(ctx, ws)
    resource = ctx.query.get("resource")
    found = [h for h in ctx.state.webhooks.values() if resource in (None, h["resource"]["gid"])]
    return page(ctx, found, hooks.webhook_out)


def _webhook(ctx: Ctx) -> dict[str, Any]:
    hook = ctx.state.webhooks.get(ctx.params["gid"])
    if hook is None:
        raise not_found("webhook")
    return hook


def get_webhook(ctx: Ctx) -> dict[str, Any]:
    return one(ctx, hooks.webhook_out(_webhook(ctx)))


def delete_webhook(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    del ctx.state.webhooks[_webhook(ctx)["gid"]]
    return {"data": {}}


Handler = Callable[[Ctx], dict[str, Any]]
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/users/{gid}", get_user),
    ("GET", "/users", list_users),
    ("GET", "/workspaces", list_workspaces),
    ("GET", "/workspaces/{gid}", get_workspace),
    ("GET", "/workspaces/{gid}/users", list_users),
    ("GET", "/workspaces/{gid}/teams", list_teams),
    ("GET", "/workspaces/{gid}/projects", workspace_projects),
    ("GET", "/teams/{gid}/projects", team_projects),
    ("GET", "/teams/{gid}/project_templates", list_templates),
    ("GET", "/project_templates", list_templates),
    ("GET", "/project_templates/{gid}", get_template),
    ("GET", "/projects", list_projects),
    ("GET", "/projects/{gid}", get_project),
    ("GET", "/projects/{gid}/sections", list_sections),
    ("GET", "/projects/{gid}/tasks", project_tasks),
    ("GET", "/projects/{gid}/task_counts", task_counts),
    ("GET", "/projects/{gid}/custom_field_settings", field_settings),
    ("GET", "/sections/{gid}", get_section),
    ("GET", "/sections/{gid}/tasks", section_tasks),
    ("GET", "/tasks", list_tasks),
    ("GET", "/tasks/{gid}", get_task),
    ("GET", "/tasks/{gid}/subtasks", subtasks),
    ("GET", "/tasks/{gid}/stories", stories),
    ("GET", "/attachments", list_attachments),
    ("GET", "/attachments/{gid}", get_attachment),
    ("GET", "/events", events),
    ("GET", "/tags", list_tags),
    ("GET", "/workspaces/{gid}/tags", list_tags),
    ("GET", "/workspaces/{gid}/tasks/search", search_tasks),
    ("GET", "/webhooks", list_webhooks),
    ("GET", "/webhooks/{gid}", get_webhook),
]
WRITES: list[tuple[str, str, Callable[[Ctx, dict[str, Any]], dict[str, Any]]]] = [
    ("PUT", "/tasks/{gid}", update_task),
    ("DELETE", "/tasks/{gid}", delete_task),
    ("POST", "/webhooks", create_webhook),
    ("DELETE", "/webhooks/{gid}", delete_webhook),
]
_COMPILED = [
    (m, t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "/?$"), h) for m, t, h in ROUTES + WRITES
]


def resolve(method: str, path: str) -> tuple[str, Any, dict[str, str]] | None:
    for m, template, rx, handler in _COMPILED:
        if m == method and (hit := rx.match(path)):
            return template, handler, hit.groupdict()
    return None
