"""The Tallyfy sandbox's files, members, guests, groups and tags.

The traps kept here on purpose: an upload is stored but attached to nothing until a
second write references it; uploads are never idempotent; inviting an existing member is a
422; a full seat pool is a structured 409; guest creation counts against the 30-per-hour
organization cap; deleting a tag is a 204 even when it does not exist.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from adapters.tallyfy import sandbox_views as v
from adapters.tallyfy.sandbox_routes import Call, Reply, listing, route
from adapters.tallyfy.sandbox_rules import (
    ALLOWED_EXTENSIONS,
    ROLES,
    ApiError,
    invalid,
    legacy,
    require_str,
    resource_not_found,
)
from adapters.tallyfy.sandbox_state import Asset, Group, Guest, Tag, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


# -- files -----------------------------------------------------------------------------
def _upload(c: Call) -> Reply:
    up = c.files.get("name")
    if up is None:
        raise invalid({"name": "The name field is required."})
    if len(up.content) > c.max_upload_bytes:
        raise invalid({"name": f"The name may not be greater than {c.max_upload_bytes // 1024} kilobytes."})
    ext = up.filename.rsplit(".", 1)[-1].lower() if "." in up.filename else ""
    if ext not in ALLOWED_EXTENSIONS:
        raise invalid({"name": "The name must be a file of type: " + ", ".join(sorted(ALLOWED_EXTENSIONS)) + "."})
    subject_type = c.body.get("subject_type")
    if subject_type not in ("Run", "Checklist", "Task"):
        raise invalid({"subject_type": "The selected subject type is invalid."})
    subject_id = str(c.body.get("subject_id") or "")
    uploaded_from = str(c.body.get("uploaded_from") or "")
    if not uploaded_from:
        raise invalid({"uploaded_from": "The uploaded from field is required."})
    subjects: dict[str, dict[str, Any]] = {"Run": c.st.runs, "Checklist": c.st.templates, "Task": c.st.tasks}
    exists = subjects[subject_type]
    if subject_id not in exists:
        raise invalid({"subject_id": "The selected subject id is invalid."})
    step_id, checklist_id = c.body.get("step_id") or None, c.body.get("checklist_id") or None
    if subject_type == "Run" and (not step_id or not checklist_id):
        raise invalid(
            {
                k: f"The {k.replace('_', ' ')} field is required when subject type is Run."
                for k, val in (("step_id", step_id), ("checklist_id", checklist_id))
                if not val
            }
        )
    if subject_type == "Task" and step_id:
        raise invalid({"step_id": "The step id field is prohibited when subject type is Task."})
    a = c.st.add_asset(
        up.content, up.filename, up.content_type, subject_type, subject_id, uploaded_from, step_id, checklist_id
    )
    return 200, {"data": v.asset(a)}


route("POST", "/file")(_upload)
route("POST", "/assets")(_upload)


def asset_or_404(c: Call, *, archived_ok: bool = True) -> Asset:
    a = c.st.assets.get(c.args["id"])
    if a is None or a.deleted_at is not None or (a.archived_at and not archived_ok):
        raise resource_not_found()
    return a


@route("GET", "/assets/{id}")
def get_asset(c: Call) -> Reply:
    return 200, {"data": v.asset(asset_or_404(c))}


@route("GET", "/file/{id}")
def file_inline(c: Call) -> Reply:
    return 200, asset_or_404(c, archived_ok=False)


@route("GET", "/file/{id}/dl")
def file_download(c: Call) -> Reply:
    return 200, asset_or_404(c, archived_ok=False)


@route("DELETE", "/file/{id}")
def delete_file(c: Call) -> Reply:
    """Permanent: the record and the stored bytes."""
    a = c.st.assets.get(c.args["id"])
    if a is None:
        raise resource_not_found()
    c.st.remove_asset(a.id)
    return 204, None


@route("DELETE", "/assets/{id}")
def archive_asset(c: Call) -> Reply:
    """Only archives the record; the bytes stay in storage."""
    a = asset_or_404(c)
    a.archived_at = a.archived_at or c.st.now()
    return 204, None


# -- members ---------------------------------------------------------------------------
@route("GET", "/users")
def list_users(c: Call) -> Reply:
    users = [u for u in c.st.users.values() if u.status != "deactivated"]
    q = c.params.get("q", "").lower()
    if q:
        users = [u for u in users if q in u.email.lower() or q in u.full_name.lower()]
    return listing(c, users, v.user, default=9999, cap=None)


@route("POST", "/users/invite")
def invite_user(c: Call) -> Reply:
    email = require_str(c.body, "email") or ""
    if not EMAIL.match(email):
        raise invalid({"email": "The email must be a valid email address."})
    first = require_str(c.body, "first_name", max_len=32) or ""
    last = require_str(c.body, "last_name", max_len=32) or ""
    role = c.body.get("role")
    if role not in ROLES:
        raise invalid({"role": "The role field is required." if role is None else "The selected role is invalid."})
    require_str(c.body, "message", max_len=5000)
    if c.st.live_user_by_email(email):
        raise invalid({"email": "The email has already been taken."})
    if c.st.seats is not None and c.st.seats <= 0:
        pool = "light" if role == "light" else "full"
        raise ApiError(
            409,
            {
                "error": {
                    "code": "SEAT_POOL_EXHAUSTED",
                    "message": f"Your organization has no {pool} member seats left.",
                    "details": {"pool_type": pool},
                }
            },
        )
    if c.st.seats is not None:
        c.st.seats -= 1
    u = User(c.st.next_user_id(), email, first, last, role, "invited", c.st.now())
    c.st.users[u.id] = u
    return 200, {"data": v.user(u)}


@route("DELETE", "/users/{id}")
def deactivate_user(c: Call) -> Reply:
    try:
        u = c.st.users.get(int(c.args["id"]))
    except ValueError:
        u = None
    if u is None or u.status == "deactivated":
        raise resource_not_found()
    if u.id == c.st.owner_id:
        raise legacy(400, "You can't remove yourself from the organization.")
    u.status = "deactivated"
    if c.st.seats is not None:
        c.st.seats += 1
    return 200, {"data": v.user(u)}


# -- guests ----------------------------------------------------------------------------
@route("GET", "/guests")
def list_guests(c: Call) -> Reply:
    return listing(c, list(c.st.guests.values()), v.guest, default=999, cap=None)


@route("POST", "/guests")
def create_guest(c: Call) -> Reply:
    c.limits.check_hourly("guest_invites")
    email = (require_str(c.body, "email") or "").strip()
    if not EMAIL.match(email):
        raise invalid({"email": "The email must be a valid email address."})
    if c.st.live_user_by_email(email):
        raise invalid({"email": "This email belongs to a member of your organization."})
    if any(g.email.lower() == email.lower() for g in c.st.guests.values()):
        raise invalid({"email": "The email has already been taken."})
    if c.body.get("external_sync_source") not in (None, "salesforce"):
        raise invalid({"external_sync_source": "The selected external sync source is invalid."})
    gid = c.st.global_guests.get(email.lower()) or c.st.next_guest_id()  # a global guest is linked
    c.st.global_guests[email.lower()] = gid
    details: dict[str, Any] = {
        k: c.body[k]
        for k in (
            "phone_1",
            "phone_2",
            "company_url",
            "contact_url",
            "timezone",
            "external_sync_source",
            "external_date_creation",
        )
        if k in c.body
    }
    g = Guest(
        gid,
        email,
        str(c.body.get("first_name") or ""),
        str(c.body.get("last_name") or ""),
        str(c.body.get("company_name") or ""),
        c.st.now(),
        details,
    )
    c.st.guests[g.id] = g
    c.limits.count_hourly("guest_invites")
    return 201, {"data": v.guest(g)}


def guest_or_404(c: Call) -> Guest:
    """Guests are addressed by URL-encoded email in paths, not by their integer id."""
    email = unquote(c.args["email"]).lower()
    g = next((g for g in c.st.guests.values() if g.email.lower() == email), None)
    if g is None:
        raise resource_not_found()
    return g


@route("GET", "/guests/{email}")
def get_guest(c: Call) -> Reply:
    return 200, {"data": v.guest(guest_or_404(c))}


@route("DELETE", "/guests/{email}")
def delete_guest(c: Call) -> Reply:
    """Detaches the guest from this organization's tasks; the global guest lives on."""
    g = guest_or_404(c)
    del c.st.guests[g.id]
    for t in c.st.tasks.values():
        if g.email in t.owners.get("guests", []):
            t.owners["guests"].remove(g.email)
    return 200, {"message": "Guest deleted."}


# -- groups ----------------------------------------------------------------------------
@route("GET", "/groups")
def list_groups(c: Call) -> Reply:
    return listing(c, list(c.st.groups.values()), v.group)


@route("POST", "/groups")
def create_group(c: Call) -> Reply:
    name = require_str(c.body, "name", max_len=200) or ""
    if any(g.name.lower() == name.lower() for g in c.st.groups.values()):
        raise invalid({"name": "The name has already been taken."})
    description = require_str(c.body, "description") or ""
    members = c.body.get("members") or []
    for i, m in enumerate(members):
        if m not in c.st.users:
            raise invalid({f"members.{i}": f"The selected members.{i} is invalid."})
    guests = [str(e) for e in c.body.get("guests") or []]
    g = Group(c.st.hex_id(), name, description, list(members), guests, c.st.now())
    c.st.groups[g.id] = g
    return 201, {"data": v.group(g)}


@route("DELETE", "/groups/{id}")
def delete_group(c: Call) -> Reply:
    if c.st.groups.pop(c.args["id"], None) is None:
        raise resource_not_found()
    return 204, None


# -- tags ------------------------------------------------------------------------------
@route("GET", "/tags")
def list_tags(c: Call) -> Reply:
    show_all = c.params.get("all", "").lower() in ("true", "1")
    tags = [t for t in c.st.tags.values() if show_all or not t.auto_generated]
    q = c.params.get("q", "").lower()
    if q:
        tags = [t for t in tags if q in t.title.lower()]
    return listing(c, tags, v.tag)


@route("POST", "/tags")
def create_tag(c: Call) -> Reply:
    title = require_str(c.body, "title", max_len=30) or ""
    if any(t.title.lower() == title.lower() for t in c.st.tags.values()):
        raise invalid({"title": "The title has already been taken."})
    color = c.body.get("color") or "#3498db"
    if not isinstance(color, str) or not COLOR.match(color):
        raise invalid({"color": "The color format is invalid."})
    t = Tag(c.st.hex_id(), title, color, c.st.now())
    c.st.tags[t.id] = t
    return 201, {"data": v.tag(t)}


@route("DELETE", "/tags/{id}")
def delete_tag(c: Call) -> Reply:
    """Hard delete; 204 even if the tag does not exist (idempotent by design)."""
    if c.st.tags.pop(c.args["id"], None) is not None:
        for r in c.st.runs.values():
            if c.args["id"] in r.tags:
                r.tags.remove(c.args["id"])
    return 204, None
