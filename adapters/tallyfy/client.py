"""The Tallyfy REST client the migration writer and its rollback use.

It stands on wizard.http.ApiClient (limiter, retries honouring Retry-After, breaker, error
sorting) and adds what is Tallyfy's own (reference A1-A4):
- the three required headers on every call, paths relative to a configurable base URL
  (`https://go.tallyfy.com/api` and `https://api.tallyfy.com` both work);
- the documented limits: 600 requests per rolling minute per user, and per organization
  120 comments and 30 guest invites per hour, as named limiter buckets;
- a 429 that names an hourly cap pauses only that bucket, so a migration keeps creating
  templates and runs while its comments wait out the hour;
- unwrapping of the Fractal `{"data": ...}` envelope, and pagination that follows
  `meta.pagination.total_pages` (never trusting per_page to be honoured, accepting
  `links` as `[]` or `{}`).

POSTs are never blind-retried after a 5xx or a reset (the base class raises
AmbiguousWrite): Tallyfy has no idempotency key, so the caller reconciles first.
"""

from __future__ import annotations

import asyncio
import contextvars
import mimetypes
import re
from collections.abc import AsyncIterator
from typing import IO, Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from wizard.errors import VendorDataError
from wizard.events import EventSink
from wizard.http import ApiClient, RecordRejected, _message
from wizard.ratelimit import RateLimiter
from wizard.redact import redact

COMMENTS = "comments"
GUEST_INVITES = "guest_invites"
# The start of the hourly-cap message names the cap: "You've reached the hourly limit for Comment (...)".
CAP_NAMES = {"comment": COMMENTS, "guest invite": GUEST_INVITES}
# The field errors of the last 4xx this task received (see _remember_rejection).
_rejection: contextvars.ContextVar[str] = contextvars.ContextVar("tallyfy_rejection", default="")
DEFAULT_INVITE_MESSAGE = "You have been invited to join our Tallyfy organization, where our workflows now live."


_ANSWER: TypeAdapter[Any] = TypeAdapter(dict[str, Any] | list[dict[str, Any]])


class _Pagination(BaseModel):
    """`meta.pagination` of a list answer (Fractal's paginator)."""

    current_page: int | None = None
    total_pages: int | None = None
    links: dict[str, Any] | list[Any] | None = None


def _pagination(body: Any, path: str) -> _Pagination | None:
    meta = body.get("meta") if isinstance(body, dict) else None
    raw = meta.get("pagination") if isinstance(meta, dict) else None
    if not raw:
        return None
    try:
        return _Pagination.model_validate(raw)
    except ValidationError:
        raise VendorDataError(
            f"Tallyfy answered GET {path} with pagination that cannot be read "
            f"(current_page and total_pages must be numbers)."
        ) from None


def _kind(value: Any) -> str:
    return {str: "text", int: "a number", float: "a number", bool: "true/false", type(None): "nothing"}.get(
        type(value), "a list with something other than objects in it" if isinstance(value, list) else "something else"
    )


class TallyfyClient(ApiClient):
    system = "tallyfy"
    label = "Tallyfy"
    redirect_hosts = frozenset({"go.tallyfy.com", "api.tallyfy.com"})

    def __init__(
        self,
        base_url: str,
        token: str,
        org: str,
        *,
        profile: str = "sandbox",
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        hour_seconds: float = 3600.0,
        per_minute: int = 600,
        minute_seconds: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        limiter = RateLimiter(
            [(per_minute, minute_seconds)], {COMMENTS: [(120, hour_seconds)], GUEST_INVITES: [(30, hour_seconds)]}
        )
        super().__init__(
            base_url,
            limiter=limiter,
            sink=sink,
            timeout=timeout,
            max_retries=max_retries,
            profile=profile,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "X-Tallyfy-Client": "migration-wizard",
            },
        )
        self.org = org
        self.hour_seconds = hour_seconds
        self.minute_seconds = minute_seconds
        self.per_minute = per_minute  # until X-RateLimit-Limit says otherwise
        self._bucket_locks: dict[str, asyncio.Lock] = {}
        self.http.event_hooks["response"].append(self._remember_rejection)

    # -- rate limits -------------------------------------------------------------------
    def read_rate_headers(self, resp: httpx.Response) -> None:
        """X-RateLimit-Remaining at zero: stop until Retry-After (or a second of the minute) has passed.
        429s are left to classify_429, which knows whether the whole account is limited."""
        if resp.status_code == 429:
            return
        self._learn_minute(resp.headers.get("x-ratelimit-limit"))
        raw = resp.headers.get("x-ratelimit-remaining")
        if raw is None:
            return
        try:
            remaining = int(float(raw))
        except ValueError:
            return
        wait = self.retry_after(resp)
        self.limiter.observe_remaining(
            remaining, self.minute_seconds / 60.0 if wait is None else wait, "Tallyfy: no requests left this minute"
        )

    def classify_429(self, resp: httpx.Response) -> tuple[str, float]:
        """An hourly-cap 429 pauses only its bucket and returns 0 s, so the base class does
        not pause the whole limiter; any other 429 pauses everything for Retry-After."""
        wait = self.retry_after(resp)
        message = _message(resp)
        lower = message.lower()
        if "hourly limit for" in lower:
            named = lower.split("hourly limit for", 1)[1].strip()
            for prefix, bucket in CAP_NAMES.items():
                if named.startswith(prefix):
                    if stated := re.search(r"\((\d[\d,]*) per hour", named):
                        calls = int(stated.group(1).replace(",", ""))
                        self.limiter.learn(f"{bucket}_per_hour", calls, self.hour_seconds, "Tallyfy's 429", bucket)
                    seconds = self.hour_seconds if wait is None else wait
                    self.limiter.pause_bucket(bucket, seconds)
                    if self.limiter.on_wait and seconds >= 1.0:
                        self.limiter.on_wait(seconds, f"Tallyfy {bucket} cap: {message}")
                    return f"429 {message}", 0.0
        return f"429 {message}", 2.0 if wait is None else wait

    def _learn_minute(self, raw: str | None) -> None:
        """`X-RateLimit-Limit` states the account's requests a minute: where it differs from
        what we hold, the window takes it and the next estimate knows it."""
        try:
            stated = int(float(raw)) if raw else 0
        except ValueError:
            return
        if stated >= 1 and stated != self.per_minute:
            self.per_minute = stated
            self.limiter.learn("requests_per_minute", stated, self.minute_seconds, "X-RateLimit-Limit from Tallyfy")

    async def _send_once(
        self, method: str, path: str, buckets: tuple[str, ...], idempotent: bool, weight: float = 1.0, **kw: Any
    ) -> httpx.Response:
        """Take bucket slots here, outside the shared limiter's lock: RateLimiter.acquire
        sleeps while holding its lock, so a comment waiting out the hourly cap there would
        stall every other call. The global window is still taken by the base class.

        A 422 says only "The given data was invalid." at the top; the field that failed is
        in `errors`, so it is added to the RecordRejected a quarantine entry will show."""
        stamps = [(b, await self._take_bucket(b)) for b in buckets]
        _rejection.set("")
        try:
            return await super()._send_once(method, path, (), idempotent, weight, **kw)
        except RecordRejected as e:
            detail = _rejection.get()
            if detail and detail not in e.message:
                e.message = f"{e.message} ({detail})"
            raise
        finally:
            for b, stamp in stamps:
                self.limiter.restamp(stamp, (b,), account=False)  # a slot cleared by pause_bucket stays gone

    @staticmethod
    async def _remember_rejection(resp: httpx.Response) -> None:
        if not 400 <= resp.status_code < 500 or resp.status_code in (401, 403, 429):
            return
        await resp.aread()
        try:
            body = resp.json()
        except ValueError:
            return
        errors = body.get("errors") if isinstance(body, dict) else None
        if isinstance(errors, dict) and errors:
            detail = "; ".join(f"{k}: {v[0] if isinstance(v, list) and v else v}" for k, v in errors.items())
            _rejection.set(redact(detail)[:500])

    async def _take_bucket(self, bucket: str) -> float:
        """Wait for a slot in the bucket, outside the limiter's lock, and take it."""
        lock = self._bucket_locks.setdefault(bucket, asyncio.Lock())
        async with lock:
            windows = self.limiter.buckets.get(bucket, [])
            while True:
                now = self.limiter.clock()
                delay = max((w.wait_time(now) for w in windows), default=0.0)
                if delay <= 0:
                    break
                if delay >= 1.0 and self.limiter.on_wait:
                    self.limiter.on_wait(delay, f"{bucket}: Tallyfy hourly cap")
                self.limiter.waited += delay
                await self.limiter.sleep(delay)
            now = self.limiter.clock()
            for w in windows:
                w.sent.append(now)
            return now

    # -- plumbing ----------------------------------------------------------------------
    def _p(self, *parts: object) -> str:
        return "/".join(["organizations", self.org, *(str(p) for p in parts)])

    @staticmethod
    def _data(body: Any, path: str = "a request", *, empty_ok: bool = False) -> Any:
        """The answer out of its `{"data": ...}` envelope, checked to be an object or a list
        of objects (None too for a write that answers nothing) before anyone uses it."""
        data = body.get("data") if isinstance(body, dict) and "data" in body else body
        if data is None and empty_ok:
            return None
        try:
            return _ANSWER.validate_python(data)
        except ValidationError:
            raise VendorDataError(
                f"Tallyfy answered {path} with {_kind(data)} where an object or a list of objects was expected."
            ) from None

    async def _get(self, path: str, **params: Any) -> Any:
        return self._data(await self.get(path, **params), f"GET {path}")

    async def _write(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        buckets: tuple[str, ...] = (),
        idempotent: bool | None = None,
    ) -> Any:
        kw: dict[str, Any] = {"json": body} if body is not None else {}
        return self._data(
            await self.json(method, path, buckets=buckets, idempotent=idempotent, **kw),
            f"{method} {path}",
            empty_ok=True,
        )

    async def _every_item(self, path: str, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list, page by page (per_page=100, the server's cap): stops at
        `total_pages`, or when a page is empty, or when there is no pagination meta."""
        page = 1
        while True:
            body = await self.get(path, **{**params, "page": page, "per_page": params.get("per_page", 100)})
            items = self._data(body, f"GET {path}", empty_ok=True) or []
            if not isinstance(items, list) or not all("id" in x for x in items):
                raise VendorDataError(
                    f"Tallyfy answered GET {path} with something that is not a list of objects with ids."
                )
            for item in items:
                yield item
            pag = _pagination(body, path)
            if pag is None or not items:
                return
            current = pag.current_page or page
            total_pages = pag.total_pages or current
            if current >= total_pages and not (isinstance(pag.links, dict) and pag.links.get("next")):
                return
            if current < page:  # asked for `page`, given an earlier one: following it would never end
                raise VendorDataError(
                    f"Tallyfy's pages of {path} do not advance (asked for page {page}, given page "
                    f"{current}); stopped reading them."
                )
            page = current + 1

    async def _all(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return [x async for x in self._every_item(path, **params)]

    @staticmethod
    def _with(with_: str | list[str] | None) -> str | None:
        return ",".join(with_) if isinstance(with_, list) else with_

    # -- identity ----------------------------------------------------------------------
    async def me(self) -> dict[str, Any]:
        return await self._get("me")

    async def my_organizations(self) -> list[dict[str, Any]]:
        return await self._get("me/organizations")

    async def organization(self) -> dict[str, Any]:
        return await self._get(self._p())

    async def org_me(self) -> dict[str, Any]:
        return await self._get(self._p("me"))

    # -- templates ---------------------------------------------------------------------
    async def list_templates(self, q: str | None = None, archived: str | None = None) -> list[dict[str, Any]]:
        return await self._all(self._p("checklists"), q=q, archived=archived)

    async def get_template(self, id: str, with_: str | list[str] | None = None) -> dict[str, Any]:
        return await self._get(self._p("checklists", id), **({"with": self._with(with_)} if with_ else {}))

    async def create_template(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("checklists"), body)

    async def update_template(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("PUT", self._p("checklists", id), body)

    async def archive_template(self, id: str) -> dict[str, Any]:
        return await self._write("DELETE", self._p("checklists", id))

    async def delete_template(self, id: str) -> Any:
        return await self._write("DELETE", self._p("checklists", id, "delete"))

    async def restore_template(self, id: str) -> dict[str, Any]:
        return await self._write("PUT", self._p("checklists", id, "restore"))

    async def list_steps(self, template_id: str) -> list[dict[str, Any]]:
        return await self._all(self._p("checklists", template_id, "steps"))

    async def create_step(self, template_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("checklists", template_id, "steps"), body)

    async def get_step(self, template_id: str, step_id: str) -> dict[str, Any]:
        return await self._get(self._p("checklists", template_id, "steps", step_id))

    async def update_step(self, template_id: str, step_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Beware: absent `assignees`/`guests`/`groups` mean "none" to Tallyfy; send all three."""
        return await self._write("PUT", self._p("checklists", template_id, "steps", step_id), body)

    async def delete_step(self, template_id: str, step_id: str) -> Any:
        return await self._write("DELETE", self._p("checklists", template_id, "steps", step_id))

    async def create_capture(self, template_id: str, step_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("checklists", template_id, "steps", step_id, "captures"), body)

    async def list_form_fields(self, template_id: str) -> list[dict[str, Any]]:
        return await self._get(self._p("checklists", template_id, "form-fields"))

    # -- runs --------------------------------------------------------------------------
    async def launch_run(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("runs"), body)

    async def get_run(self, id: str, with_: str | list[str] | None = None) -> dict[str, Any]:
        return await self._get(self._p("runs", id), **({"with": self._with(with_)} if with_ else {}))

    async def list_runs(
        self, checklist_id: str | None = None, q: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        return await self._all(self._p("runs"), checklist_id=checklist_id, q=q, status=status)

    async def update_run(self, id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("PUT", self._p("runs", id), body)

    async def archive_run(self, id: str) -> dict[str, Any]:
        return await self._write("DELETE", self._p("runs", id))

    async def delete_run(self, id: str) -> Any:
        return await self._write("DELETE", self._p("runs", id, "delete"))

    async def activate_run(self, id: str) -> dict[str, Any]:
        return await self._write("PUT", self._p("runs", id, "activate"))

    async def run_tasks(self, run_id: str, with_: str | list[str] | None = None) -> list[dict[str, Any]]:
        return await self._all(self._p("runs", run_id, "tasks"), **({"with": self._with(with_)} if with_ else {}))

    async def get_run_task(self, run_id: str, task_id: str, with_: str | list[str] | None = None) -> dict[str, Any]:
        return await self._get(
            self._p("runs", run_id, "tasks", task_id), **({"with": self._with(with_)} if with_ else {})
        )

    async def update_task(self, run_id: str, task_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("PUT", self._p("runs", run_id, "tasks", task_id), body)

    async def complete_task(self, run_id: str, task_id: str) -> dict[str, Any]:
        return await self._write(
            "POST", self._p("runs", run_id, "completed-tasks"), {"task_id": task_id}, idempotent=False
        )

    async def reopen_task(self, run_id: str, task_id: str) -> dict[str, Any]:
        """DELETE /runs/{run}/completed-tasks/{task}: a completed task is active again."""
        return await self._write("DELETE", self._p("runs", run_id, "completed-tasks", task_id), None)

    # -- comments ----------------------------------------------------------------------
    async def comment(self, task_id: str, content: str, **extra: Any) -> dict[str, Any]:
        """Not idempotent (a retried POST may post twice); counted in the hourly bucket."""
        return await self._write(
            "POST",
            self._p("tasks", task_id, "comment"),
            {"content": content, **extra},
            buckets=(COMMENTS,),
            idempotent=False,
        )

    async def task_threads(self, run_id: str, task_id: str) -> list[dict[str, Any]]:
        task = await self.get_run_task(run_id, task_id, with_="threads")
        threads = (
            self._data(task.get("threads") or [], f"the threads of task {task_id}") if isinstance(task, dict) else []
        )
        if not isinstance(threads, list):
            raise VendorDataError(f"Tallyfy answered the threads of task {task_id} with something that is not a list.")
        return threads

    async def get_task(self, task_id: str, with_: str | list[str] | None = None) -> dict[str, Any]:
        return await self._get(self._p("tasks", task_id), **({"with": self._with(with_)} if with_ else {}))

    async def delete_comment(self, task_id: str, comment_id: str) -> Any:
        return await self._write("DELETE", self._p("tasks", task_id, "comment", comment_id))

    # -- one-off tasks -----------------------------------------------------------------
    async def create_oneoff_task(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("tasks"), body)

    async def archive_task(self, id: str) -> Any:
        return await self._write("DELETE", self._p("tasks", id))

    async def complete_oneoff_task(self, task_id: str) -> dict[str, Any]:
        return await self._write("POST", self._p("completed-tasks"), {"task_id": task_id})

    # -- files -------------------------------------------------------------------------
    async def upload_file(
        self,
        content: bytes | IO[bytes],
        filename: str,
        *,
        subject_type: str,
        subject_id: str,
        uploaded_from: str,
        step_id: str | None = None,
        checklist_id: str | None = None,
    ) -> dict[str, Any]:
        """Multipart with the file part named `name`. Stores a new copy on every call, so
        it is never retried after an ambiguous failure. Upload does not attach: put the
        returned asset in `taskdata` or a `prerun` value next."""
        data = {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "uploaded_from": uploaded_from,
            "source": "local",
        }
        if step_id:
            data["step_id"] = step_id
        if checklist_id:
            data["checklist_id"] = checklist_id
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        body = await self.json(
            "POST", self._p("file"), idempotent=False, data=data, files={"name": (filename, content, mime)}
        )
        return self._data(body, "POST file")

    async def get_asset(self, id: str) -> dict[str, Any]:
        return await self._get(self._p("assets", id))

    async def download_file(self, id: str) -> bytes:
        resp = await self.request("GET", self._p("file", id, "dl"))
        return resp.content

    async def delete_file(self, id: str) -> Any:
        return await self._write("DELETE", self._p("file", id))

    async def archive_asset(self, id: str) -> Any:
        return await self._write("DELETE", self._p("assets", id))

    # -- people ------------------------------------------------------------------------
    async def list_users(self) -> list[dict[str, Any]]:
        return await self._all(self._p("users"))

    async def invite_user(
        self, email: str, first_name: str, last_name: str, role: str = "light", message: str = DEFAULT_INVITE_MESSAGE
    ) -> dict[str, Any]:
        return await self._write(
            "POST",
            self._p("users", "invite"),
            {
                "email": email,
                "first_name": first_name[:32],
                "last_name": last_name[:32],
                "role": role,
                "message": message,
            },
        )

    async def deactivate_user(self, id: int | str) -> Any:
        return await self._write("DELETE", self._p("users", id))

    async def list_guests(self) -> list[dict[str, Any]]:
        return await self._all(self._p("guests"))

    async def create_guest(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self._write("POST", self._p("guests"), body, buckets=(GUEST_INVITES,))

    async def get_guest(self, email: str) -> dict[str, Any]:
        return await self._get(self._p("guests", quote(email, safe="")))

    async def delete_guest(self, email: str) -> Any:
        return await self._write("DELETE", self._p("guests", quote(email, safe="")))

    async def list_groups(self) -> list[dict[str, Any]]:
        return await self._all(self._p("groups"))

    async def create_group(
        self, name: str, description: str, members: list[int] | None = None, guests: list[str] | None = None
    ) -> dict[str, Any]:
        return await self._write(
            "POST",
            self._p("groups"),
            {"name": name, "description": description, "members": list(members or []), "guests": list(guests or [])},
        )

    async def delete_group(self, id: str) -> Any:
        return await self._write("DELETE", self._p("groups", id))

    async def list_tags(self) -> list[dict[str, Any]]:
        return await self._all(self._p("tags"))

    async def create_tag(self, title: str, color: str = "#3498db") -> dict[str, Any]:
        return await self._write("POST", self._p("tags"), {"title": title, "color": color})

    async def delete_tag(self, id: str) -> Any:
        return await self._write("DELETE", self._p("tags", id))
