"""Where a staging table lives, read the same way wherever it is: `tables()` names what one
location holds (a CSV file one table, a workbook its sheets, a database its tables or the
plan's query) and `lines(table)` streams one of them, its header first, then each row's cells.

A database is read through SQLAlchemy (any dialect it knows: SQLite, Postgres, SQL Server, ...);
a workbook through openpyxl (read-only, values only); a CSV with the standard library. A file
an http(s) address serves (a spreadsheet's export link) is fetched in byte ranges into a
temporary file first (`HttpFile.fetch`), then read as a local one."""

from __future__ import annotations

import csv
import getpass
import io
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from wizard.errors import CredentialError, PlanError, UserError, VendorDataError
from wizard.http import ApiClient
from wizard.ratelimit import RateLimiter

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
NEEDS_EXTRA = (
    "Reading {what} needs the [table] extra, which is not installed: run bash scripts/setup.sh, "
    "or pip install 'migration-wizard[table]'."
)
RANGE = 16 * 1024  # bytes per ranged read of a served file: one "page" of it


class Reader(ABC):
    """One location's tables."""

    calls = 0  # reads of the location (a query, a pass over a file, a ranged GET)

    @property
    @abstractmethod
    def where(self) -> str:
        """The location for people (a file's name, a database without its credential)."""

    @property
    def who(self) -> str:
        """Whose access reads it: a file on this machine is read as this machine's user."""
        return f"{getpass.getuser()} on this machine"

    @abstractmethod
    def tables(self) -> list[str]: ...

    @abstractmethod
    def lines(self, table: str) -> Iterator[list[Any]]:
        """The table's header, then each row's cells (a row may hold fewer or more cells
        than the header: a malformed line, which the source rejects)."""

    async def fetch(self, table: str) -> None:
        """Bring the table within reach before `lines` (a served file is downloaded)."""
        return None

    def close(self) -> None:
        """Let go of what `fetch` and `lines` opened."""
        return None

    async def aclose(self) -> None:
        self.close()


def _missing(path: Path) -> UserError:
    return PlanError(f"The staging table {path} does not exist or cannot be read; check the plan's base_url.")


def _csv_rows(f: IO[str]) -> Iterator[list[str]]:
    sample = f.read(64 * 1024)
    f.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel  # one column, or nothing the sniffer can decide: the standard comma
    try:
        yield from csv.reader(f, dialect)
    except csv.Error as e:
        raise VendorDataError(f"The CSV file cannot be read past line {e}; fix it and run the command again.") from None


class CsvFile(Reader):
    """One CSV file, one table named after the file."""

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self.name = name or path.stem

    @property
    def where(self) -> str:
        return self.path.name

    def tables(self) -> list[str]:
        if not self.path.is_file():
            raise _missing(self.path)
        return [self.name]

    def lines(self, table: str) -> Iterator[list[Any]]:
        self.calls += 1
        try:
            f = open(self.path, newline="", encoding="utf-8-sig")
        except OSError:
            raise _missing(self.path) from None
        with f:
            try:
                yield from _csv_rows(f)
            except UnicodeDecodeError:
                raise VendorDataError(f"{self.path.name} is not UTF-8 text; save it as UTF-8 CSV.") from None


class XlsxFile(Reader):
    """A workbook: one table per sheet."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book: Any = None

    @property
    def where(self) -> str:
        return self.path.name

    def _open(self) -> Any:
        if self._book is None:
            try:
                import openpyxl  # noqa: PLC0415 - lazy: the optional [table] extra, only for workbooks
            except ModuleNotFoundError:
                raise UserError(NEEDS_EXTRA.format(what="a workbook")) from None
            if not self.path.is_file():
                raise _missing(self.path)
            try:
                self._book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
            except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file: one sentence
                raise VendorDataError(f"{self.path.name} is not a readable workbook ({type(e).__name__}).") from None
        return self._book

    def tables(self) -> list[str]:
        return list(self._open().sheetnames)

    def lines(self, table: str) -> Iterator[list[Any]]:
        self.calls += 1
        width = 0
        for row in self._open()[table].iter_rows(values_only=True):
            cells = list(row)
            while cells and cells[-1] is None:  # a sheet's ragged right edge: cells never written
                cells.pop()
            if not cells:
                continue
            width = width or len(cells)  # the header's
            yield cells + [None] * (width - len(cells))

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None


class SqlDatabase(Reader):
    """A database SQLAlchemy reaches: its tables and views, or one query."""

    def __init__(self, url: str, password: str = "", *, query: str = "", page: int = 500) -> None:
        try:
            import sqlalchemy  # noqa: PLC0415 - lazy: the optional [table] extra, only for databases
        except ModuleNotFoundError:
            raise UserError(NEEDS_EXTRA.format(what="a database")) from None
        self.sa = sqlalchemy
        try:
            parsed = sqlalchemy.make_url(url)
        except sqlalchemy.exc.ArgumentError:
            raise PlanError(f"base_url {url} is not a database URL SQLAlchemy knows.") from None
        if password and parsed.username:
            parsed = parsed.set(password=password)
        self._where = parsed.render_as_string(hide_password=True)
        self.user = parsed.username or ""
        try:
            self.engine = sqlalchemy.create_engine(parsed)
        except sqlalchemy.exc.NoSuchModuleError:
            raise PlanError(f"SQLAlchemy has no dialect for {parsed.drivername}; check the plan's base_url.") from None
        except ModuleNotFoundError as e:
            raise UserError(
                f"The database driver {e.name} for {parsed.drivername} is not installed; pip install it into the "
                f"wizard's environment."
            ) from None
        self.query = query
        self.page = page

    @property
    def where(self) -> str:
        return self._where

    @property
    def who(self) -> str:
        return self.user or super().who

    def _fail(self, e: Exception) -> UserError:
        text = " ".join(str(getattr(e, "orig", e)).split())[:200]
        if any(w in text.lower() for w in ("password", "authentication", "access denied", "login failed")):
            return CredentialError(f"The database at {self.where} refused the credential ({text}).")
        return UserError(f"The database at {self.where} could not be read ({text}).")

    def tables(self) -> list[str]:
        if self.query:
            return ["query"]
        try:
            found = self.sa.inspect(self.engine)
            return [*found.get_table_names(), *found.get_view_names()]
        except self.sa.exc.SQLAlchemyError as e:
            raise self._fail(e) from None

    def lines(self, table: str) -> Iterator[list[Any]]:
        sa = self.sa
        self.calls += 1
        stmt: Any = sa.text(self.query) if self.query else sa.select(sa.text("*")).select_from(sa.table(table))
        try:
            with self.engine.connect() as conn:
                result = conn.execution_options(yield_per=self.page).execute(stmt)
                yield list(result.keys())
                for row in result:
                    yield list(row)
        except sa.exc.SQLAlchemyError as e:
            raise self._fail(e) from None

    def close(self) -> None:
        self.engine.dispose()


class HttpFile(Reader):
    """A CSV or XLSX file an http(s) address serves, the credential sent as a Bearer token:
    read in byte ranges (RANGE each, one request a page) into a temporary file."""

    def __init__(self, client: ApiClient, file: str) -> None:
        self.client = client  # its base URL is the file's folder
        self.file = file
        self.name = Path(unquote(file)).stem or "table"
        self.xlsx = file.lower().endswith(".xlsx")
        self._spool: Any = None
        self._local: Reader | None = None

    @property
    def where(self) -> str:
        return f"{self.client.base_url}/{self.file}"

    @property
    def calls(self) -> int:  # type: ignore[override]
        return self.client.calls

    @property
    def who(self) -> str:
        return "the profile's token" if "authorization" in self.client.http.headers else "anyone (no token)"

    def tables(self) -> list[str]:
        return [self.name] if not self.xlsx else self._need().tables()

    def _need(self) -> Reader:
        if self._local is None:
            raise AssertionError("fetch() comes before lines()")
        return self._local

    async def fetch(self, table: str) -> None:
        self.close()
        self._spool = tempfile.NamedTemporaryFile(prefix="mw-table-", suffix=".xlsx" if self.xlsx else ".csv")
        start = 0
        while True:
            resp = await self.client.request("GET", self.file, headers={"Range": f"bytes={start}-{start + RANGE - 1}"})
            body = resp.content
            self._spool.write(body)
            start += len(body)
            total = _total(resp.headers.get("content-range"))
            if resp.status_code != 206 or total is None or start >= total or not body:
                break
        self._spool.flush()
        path = Path(self._spool.name)
        self._local = XlsxFile(path) if self.xlsx else CsvFile(path, self.name)

    async def prepare(self) -> None:
        """A workbook names its sheets only once it is here."""
        if self.xlsx and self._local is None:
            await self.fetch("")

    def lines(self, table: str) -> Iterator[list[Any]]:
        return self._need().lines(table)

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            self._local = None
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    async def aclose(self) -> None:
        self.close()
        await self.client.aclose()


def _total(content_range: str | None) -> int | None:
    """The whole size from `Content-Range: bytes 0-99/1234`."""
    if not content_range or "/" not in content_range:
        return None
    tail = content_range.rsplit("/", 1)[1]
    return int(tail) if tail.isdigit() else None


def local(url: str) -> Reader | None:
    """The reader of a file this machine holds (`file:///…`), by its suffix; None for a database URL."""
    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = Path(unquote(parts.path))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return XlsxFile(path)
    if suffix in SQLITE_SUFFIXES:
        return SqlDatabase(f"sqlite:///{path}")
    return CsvFile(path)


def sample_csv(header: list[str], rows: list[list[str]]) -> str:
    """A CSV text (the sandbox's and the tests' own tables)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


class TableClient(ApiClient):
    """The server of a table file: the credential, if any, as a Bearer token."""

    system = "table"
    label = "The table's file server"


def reader_for(url: str, secret: str, options: dict[str, str], **client_args: Any) -> Reader:
    """The reader of the plan's base_url: a served file, a file on this machine, or a database."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        folder, _, file = url.rpartition("/")
        scale = client_args.pop("window_scale", 1.0)
        headers = {"Authorization": f"Bearer {secret}"} if secret and secret != "none" else {}
        client = TableClient(folder, limiter=RateLimiter([(1_000, 10.0 * scale)]), headers=headers, **client_args)
        return HttpFile(client, file)
    found = local(url)
    if found is not None:
        return found
    return SqlDatabase(url, "" if secret == "none" else secret, query=options.get("query", ""))
