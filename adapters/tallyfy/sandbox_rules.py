"""Tallyfy's validation rules and error shapes, as the sandbox enforces them.

Why they live apart from the routes: the same capture validator guards step form fields
and kick-off definitions, and the same value validator guards launch `prerun` and task
`taskdata` (reference A2.3, A3, A8.5-7). Each rule names where it comes from so a change
in the real API can be traced.
"""

from __future__ import annotations

from typing import Any

from adapters.tallyfy.sandbox_state import FormField

FIELD_TYPES = (
    "text",
    "textarea",
    "radio",
    "dropdown",
    "multiselect",
    "date",
    "email",
    "file",
    "table",
    "assignees_form",
)
OPTION_TYPES = ("radio", "dropdown", "multiselect")
# CaptureRequestValidator keeps these keys; everything else is dropped silently.
CAPTURE_KEYS = (
    "field_type",
    "label",
    "guidance",
    "position",
    "required",
    "options",
    "default_value",
    "default_value_enabled",
    "columns",
    "collect_time",
    "use_wysiwyg_editor",
    "field_validation",
    "prefix",
    "suffix",
    "settings",
    "list",
)
ALLOWED_EXTENSIONS = frozenset(
    "xlsx xls pptx docx ppt doc rtf pdf txt mpga mov qt mp4 webm jpg jpeg gif png ai psd "
    "zip xml xps dwg csv tif bmp".split()
)
TEMPLATE_TYPES = ("procedure", "form", "document")
STEP_TYPES = ("task", "approval", "expiring", "email", "expiring_email")
ROLES = ("admin", "standard", "light")


class ApiError(Exception):
    """An error answer in one of Tallyfy's shapes (reference A4)."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def legacy(status: int, message: str) -> ApiError:
    return ApiError(status, {"error": True, "message": message})


def resource_not_found() -> ApiError:
    return ApiError(404, {"error": True, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND"})


def endpoint_not_found() -> ApiError:
    return ApiError(404, {"error": True, "message": "API endpoint not found", "code": "ENDPOINT_NOT_FOUND"})


def invalid(errors: dict[str, list[str]] | dict[str, str], message: str = "The given data was invalid.") -> ApiError:
    """Laravel's 422: `{"message":"The given data was invalid.","errors":{"field":["..."]}}`."""
    return ApiError(
        422, {"message": message, "errors": {k: v if isinstance(v, list) else [v] for k, v in errors.items()}}
    )


def require_str(body: dict[str, Any], key: str, *, max_len: int | None = None, required: bool = True) -> str | None:
    v = body.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise invalid({key: f"The {key.replace('_', ' ')} field is required."})
        return None
    if not isinstance(v, str):
        raise invalid({key: f"The {key.replace('_', ' ')} must be a string."})
    if max_len is not None and len(v) > max_len:
        raise invalid({key: f"The {key.replace('_', ' ')} may not be greater than {max_len} characters."})
    return v


def capture_errors(raw: Any, prefix: str = "") -> dict[str, list[str]]:
    """CaptureRequestValidator::addCapturesRules: label required, a known field_type,
    `required` PRESENT and boolean, integer option/column ids, options for choice fields,
    columns for tables, integer position (reference A2.3, A8.5)."""
    errs: dict[str, list[str]] = {}

    def err(key: str, msg: str) -> None:
        errs.setdefault(prefix + key, []).append(msg.replace(":attr", prefix + key))

    if not isinstance(raw, dict):
        err("label", "The :attr field is required.")
        return errs
    if not isinstance(raw.get("label"), str) or not raw["label"].strip():
        err("label", "The :attr field is required.")
    ft = raw.get("field_type")
    if ft is None:
        err("field_type", "The :attr field is required.")
    elif ft not in FIELD_TYPES:
        err("field_type", "The selected :attr is invalid.")
    if "required" not in raw:
        err("required", "The :attr field must be present.")
    elif not isinstance(raw["required"], bool):
        err("required", "The :attr field must be true or false.")
    if (
        "position" in raw
        and raw["position"] is not None
        and (not isinstance(raw["position"], int) or isinstance(raw["position"], bool))
    ):
        err("position", "The :attr must be an integer.")
    if ft in OPTION_TYPES:
        opts = raw.get("options")
        if not isinstance(opts, list) or not opts:
            err("options", "The :attr field is required.")
        else:
            for i, o in enumerate(opts):
                if not isinstance(o, dict):
                    err(f"options.{i}.text", "The :attr field is required.")
                    continue
                if not isinstance(o.get("id"), int) or isinstance(o.get("id"), bool):
                    err(f"options.{i}.id", "The :attr must be an integer.")
                if not isinstance(o.get("text"), str):
                    err(f"options.{i}.text", "The :attr field is required.")
    if ft == "table":
        cols = raw.get("columns")
        if not isinstance(cols, list) or not cols:
            err("columns", "The :attr field is required.")
        else:
            for i, c in enumerate(cols):
                if not isinstance(c, dict) or not isinstance(c.get("id"), int) or isinstance(c.get("id"), bool):
                    err(f"columns.{i}.id", "The :attr must be an integer.")
                if not isinstance(c, dict) or not isinstance(c.get("label"), str):
                    err(f"columns.{i}.label", "The :attr field is required.")
    return errs


def build_field(raw: dict[str, Any], field_id: str, checklist_id: str, position: int, step_id: str | None) -> FormField:
    kept = {k: v for k, v in raw.items() if k in CAPTURE_KEYS}
    given = kept.get("position")
    pos = given if isinstance(given, int) else position
    extra = {
        k: v
        for k, v in kept.items()
        if k not in ("field_type", "label", "guidance", "position", "required", "options", "columns")
    }
    return FormField(
        field_id,
        checklist_id,
        kept["label"],
        kept["field_type"],
        kept["required"],
        pos,
        step_id,
        kept.get("guidance"),
        list(kept.get("options") or []),
        list(kept.get("columns") or []),
        extra,
    )


def value_errors(f: FormField, value: Any, key: str) -> dict[str, list[str]]:
    """One form value against its field (reference A3 value shapes). Returns {} when valid.

    `email` stores anything verbatim, wrapper objects included: the real API's silent
    corruption, kept so a client that wraps values finds out here rather than in production."""
    bad = {key: [f"The {f.label} field is invalid."]}
    ft = f.field_type
    if value is None:
        return {}
    if ft == "email":
        return {}
    if ft in ("text", "textarea", "date", "radio"):
        if not isinstance(value, str):
            return bad
        if ft == "text" and len(value) > 200:
            return {key: [f"The {f.label} may not be greater than 200 characters."]}
        if ft == "textarea" and len(value) > 30000:
            return {key: [f"The {f.label} may not be greater than 30000 characters."]}
        return {}
    if ft == "dropdown":
        if not isinstance(value, dict) or not isinstance(value.get("id"), int) or "text" not in value:
            return bad
        return {}
    if ft == "multiselect":
        if not isinstance(value, list) or not all(isinstance(v, dict) and "id" in v for v in value):
            return bad
        return {}
    if ft == "table":
        if not isinstance(value, list):
            return bad
        if len(value) != len(f.columns):
            return {key: ["Number of columns does not match required columns"]}
        return {}
    if ft == "assignees_form":
        if not isinstance(value, dict) or not set(value) <= {"users", "guests", "groups"}:
            return bad
        return {}
    if ft == "file":
        return {} if isinstance(value, list) else bad
    return {}


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def paginate(
    items: list[Any],
    params: dict[str, str],
    url: str,
    *,
    default: int = 10,
    cap: int | None = 100,
    honour_without_pagination: bool = True,
) -> tuple[list[Any], dict[str, Any] | None]:
    """Fractal's paginator: `page` 1-based, `per_page` default 10 and capped at 100 (the
    real server caps; a fake that honours any per_page hides pagination bugs). `links` is
    `[]` when there is neither a previous nor a next page (PHP's empty array), an object
    otherwise: clients must accept both."""
    if honour_without_pagination and str(params.get("without_pagination", "")).lower() in ("true", "1"):
        return items, None
    try:
        per_page = int(params.get("per_page", default))
    except ValueError:
        per_page = default
    per_page = max(1, per_page if cap is None else min(per_page, cap))
    try:
        page = max(1, int(params.get("page", 1)))
    except ValueError:
        page = 1
    total = len(items)
    total_pages = max(1, -(-total // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links: dict[str, str] = {}
    if page < total_pages:
        links["next"] = f"{url}?page={page + 1}&per_page={per_page}"
    if page > 1:
        links["previous"] = f"{url}?page={page - 1}&per_page={per_page}"
    meta: dict[str, Any] = {
        "pagination": {
            "total": total,
            "count": len(chunk),
            "per_page": per_page,
            "current_page": page,
            "total_pages": total_pages,
            "links": links or [],
        }
    }
    return chunk, meta
