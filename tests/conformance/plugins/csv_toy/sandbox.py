"""The CSV service's sandbox: sheets of rows and comments, served as CSV pages behind a
Bearer token, built on the sandbox kit like any vendor's (faults, stats, the manifest)."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Scope

from adapters.sandboxkit import Faults, Manifest, Sandbox

TOKEN = "sandbox-csv-token"
PER_PAGE = 25
STATUSES = ("To do", "Doing", "Done")
SCALES = {"small": (1, 60), "medium": (2, 400), "large": (3, 3000)}  # sheets, rows per sheet


@dataclass
class Sheet:
    id: str
    name: str
    archived: bool = False
    rows: list[dict[str, str]] = field(default_factory=list)
    comments: list[dict[str, str]] = field(default_factory=list)


def build(seed: int, scale: str) -> list[Sheet]:
    rng = random.Random(seed)
    n_sheets, n_rows = SCALES[scale]
    sheets = []
    for s in range(n_sheets):
        sheet = Sheet(f"s{s + 1}", f"Sheet {s + 1}")
        for r in range(n_rows):
            rid = f"{s + 1}-{r + 1}"
            archived = rng.random() < 0.1
            sheet.rows.append(
                {
                    "id": rid,
                    "title": f"Row {rid}",
                    "status": rng.choice(STATUSES),
                    "notes": "Line one\nline two, with a comma" if r % 7 == 0 else "",
                    "archived": "true" if archived else "false",
                }
            )
            for c in range(rng.choice((0, 0, 1, 2))):
                sheet.comments.append(
                    {"id": f"{rid}.{c + 1}", "row_id": rid, "author": "Ann", "at": "2026-01-02T03:04:05Z", "text": "ok"}
                )
        sheets.append(sheet)
    return sheets


def as_csv(header: list[str], rows: list[dict[str, str]], corrupt: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for row in rows:
        w.writerow([row["id"]] if row["id"] in corrupt else [row[h] for h in header])  # a cut line: one cell
    return out.getvalue()


class CsvSandbox(Sandbox):
    name = "csv"

    def __init__(self, *, seed: int = 1, scale: str = "small", faults: Faults | None = None, **_: Any) -> None:
        self.sheets = build(seed, scale)
        self.corrupt: set[str] = set()
        super().__init__(seed=seed, faults=faults)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/_sandbox/corrupt", self._corrupt, methods=["POST"]),
            Route("/api/me", self._me),
            Route("/api/sheets.csv", self._sheets),
            Route("/api/sheets/{sheet}/{what}.csv", self._page),
        ]

    def too_many_requests(self, request_scope: Scope) -> Response:
        return JSONResponse({"error": "slow down"}, status_code=429, headers={"Retry-After": "0.01"})

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "bad token"}, status_code=401)
        return None

    async def _me(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"user": "Ann Example", "workspace": "Toy workspace"})

    async def _sheets(self, request: Request) -> Response:
        rows = [{"id": s.id, "name": s.name, "archived": str(s.archived).lower()} for s in self.sheets]
        return self._denied(request) or Response(as_csv(["id", "name", "archived"], rows), media_type="text/csv")

    async def _page(self, request: Request) -> Response:
        denied = self._denied(request)
        if denied:
            return denied
        sheet = next((s for s in self.sheets if s.id == request.path_params["sheet"]), None)
        what = request.path_params["what"]
        if sheet is None or what not in ("rows", "comments"):
            return JSONResponse({"error": "not found"}, status_code=404)
        page = int(request.query_params.get("page", "1"))
        with self.lock:
            rows = (sheet.rows if what == "rows" else sheet.comments)[(page - 1) * PER_PAGE : page * PER_PAGE]
            header = list((sheet.rows if what == "rows" else sheet.comments)[0]) if rows else ["id"]
            body = as_csv(header, rows, self.corrupt if what == "rows" else set())
        return Response(body, media_type="text/csv")

    async def _corrupt(self, _: Request) -> Response:
        with self.lock:
            open_rows = [r["id"] for s in self.sheets for r in s.rows if r["archived"] == "false"]
            rid = random.Random(self.seed + 7).choice(open_rows)
            self.corrupt.add(rid)
        return JSONResponse({"ref": f"csv:row:{rid}"})

    def manifest(self) -> Manifest:
        m = Manifest("csv")
        for s in self.sheets:
            m.add("container", "sheet", s.id, archived=s.archived)
            for n in range(len(STATUSES)):
                m.add("stage", "status", f"{s.id}.{n}")
            hidden = {r["id"] for r in s.rows if r["archived"] == "true"}
            for r in s.rows:
                m.add("item", "row", r["id"], archived=r["id"] in hidden)
            for c in s.comments:
                m.add("comment", "comment", c["id"], archived=c["row_id"] in hidden)
        return m

    def export(self) -> dict[str, Any]:
        return {"sheets": [vars(s) for s in self.sheets], "corrupt": sorted(self.corrupt)}
