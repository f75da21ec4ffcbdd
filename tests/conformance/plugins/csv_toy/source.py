"""A source that reads sheets of CSV rows from the CSV service: a few dozen lines on the
wizard's own HTTP layer, rate limiter and canonical model, as any adapter is."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, ClassVar

from wizard.adapter import Container, Identity, SourceAdapter, SourceLeftOut, SourceRejected
from wizard.events import EventSink
from wizard.http import ApiClient
from wizard.model import Attachment, Canonical, Capability, Comment, Item, Stage, Template
from wizard.ratelimit import RateLimiter

PER_PAGE = 25
STATUSES = ("To do", "Doing", "Done")


class CsvClient(ApiClient):
    system = "csv"
    label = "The CSV service"

    async def table(self, path: str, **params: Any) -> list[list[str]]:
        resp = await self.request("GET", path, params=params)
        return list(csv.reader(io.StringIO(resp.text)))

    async def pages(self, path: str) -> AsyncIterator[dict[str, str] | list[str]]:
        """Every row of a paged CSV listing: a dict, or the raw cells of a line that does not
        have the header's columns."""
        page = 1
        while True:
            header, *rows = await self.table(path, page=page, per_page=PER_PAGE)
            for cells in rows:
                yield dict(zip(header, cells, strict=True)) if len(cells) == len(header) else cells
            if len(rows) < PER_PAGE:
                return
            page += 1


class CsvSource(SourceAdapter):
    system: ClassVar[str] = "csv"
    label: ClassVar[str] = "CSV"
    credential_parts: ClassVar[tuple[str, ...]] = ("token",)
    fills: ClassVar[frozenset[Capability]] = frozenset({"comments", "archived"})

    def __init__(self, client: CsvClient) -> None:
        self.client = client

    @classmethod
    def connect(
        cls,
        base_url: str,
        credentials: dict[str, str],
        *,
        profile: str,
        sink: EventSink | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        window_scale: float = 1.0,
        **kw: Any,
    ) -> CsvSource:
        limiter = RateLimiter([(100, 10.0 * window_scale)])
        headers = {"Authorization": f"Bearer {credentials['token']}"}
        return cls(
            CsvClient(
                base_url,
                limiter=limiter,
                headers=headers,
                sink=sink,
                timeout=timeout,
                max_retries=max_retries,
                profile=profile,
                **kw,
            )
        )

    async def whoami(self) -> Identity:
        me = await self.client.get("me")
        return Identity(me["user"], me["workspace"])

    async def containers(self) -> list[Container]:
        _, *rows = await self.client.table("sheets.csv")
        return [Container(f"csv:sheet:{i}", i, name, closed=archived == "true") for i, name, archived in rows]

    async def extract(self, container_id: str, *, include_archived: bool = False) -> AsyncIterator[Canonical]:  # type: ignore[override]
        [sheet] = [c for c in await self.containers() if c.id == container_id]
        stages = {name: f"csv:status:{sheet.id}.{n}" for n, name in enumerate(STATUSES)}
        yield Template(
            key=sheet.key,
            name=sheet.name,
            stages=[Stage(key=k, name=name, position=n) for n, (name, k) in enumerate(stages.items())],
        )
        passed: dict[str, str] = {}  # row id -> why its comments do not come either
        async for row in self.client.pages(f"sheets/{sheet.id}/rows.csv"):
            if isinstance(row, list):
                rid = row[0] if row else "?"
                passed[rid] = f"its row csv:row:{rid} was quarantined"
                yield SourceRejected(f"csv:row:{rid}", "item", f"the line has {len(row)} of the sheet's columns")
                continue
            if row["archived"] == "true" and not include_archived:
                passed[row["id"]] = ""
                yield SourceLeftOut(f"csv:row:{row['id']}", "item", "archived in the sheet")
                continue
            yield Item(
                key=f"csv:row:{row['id']}",
                template_key=sheet.key,
                stage_key=stages.get(row["status"]),
                name=row["title"],
                description=row["notes"],
                closed=row["archived"] == "true",
            )
        async for c in self.client.pages(f"sheets/{sheet.id}/comments.csv"):
            assert isinstance(c, dict), c
            why = passed.get(c["row_id"])
            if why:
                yield SourceRejected(f"csv:comment:{c['id']}", "comment", why)
            elif why is None:
                yield Comment(
                    key=f"csv:comment:{c['id']}",
                    item_key=f"csv:row:{c['row_id']}",
                    author_name=c["author"],
                    created_at=datetime.fromisoformat(c["at"]),
                    text=c["text"],
                )

    async def open_attachment(self, attachment: Attachment) -> AsyncIterator[bytes]:  # type: ignore[override]
        raise NotImplementedError("the CSV service holds no files")
        yield b""  # pragma: no cover - makes this an async generator
