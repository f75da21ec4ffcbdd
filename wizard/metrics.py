"""Prometheus metrics of a run, a sync or a listener (`--metrics-port P`), and `/healthz` on the
same port.

Every HTTP exchange a vendor client has (each request, each redirect followed, each download
attempt) is counted by system, route and status as it is answered (wizard/http.py calls
`observe_call`), so at the end of a command the counters equal what the vendors' own request
counts say. The engine's events add objects by kind and outcome, rate-limit waits, retries,
quarantined records, bytes moved and the ETA. The server binds loopback unless told otherwise;
what it serves names no object, person or secret. When the command ends, the last values are
kept in `logs/metrics.prom` (the text format a node exporter's textfile collector reads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    generate_latest,
    write_to_textfile,
)

from wizard import http as vendor_http
from wizard.errors import UserError
from wizard.events import (
    Event,
    ObjectMigrated,
    ObjectQuarantined,
    ObjectRolledBack,
    ObjectSkipped,
    PhaseFinished,
    PhaseStarted,
    RateLimited,
    RequestRetried,
)

TEXTFILE = "metrics.prom"
# A *_created series per label set doubles the page and says nothing a run needs.
disable_created_metrics()  # type: ignore[no-untyped-call]
_PHASE_OF = {"item": "items", "comment": "comments", "attachment": "attachments"}


class Metrics:
    """The counters of one command. An EventSink for the engine's events, and the observer of
    every vendor HTTP exchange while it is `watching()`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls = Counter(
            "mw_http_requests", "HTTP requests answered by a vendor", ["system", "route", "status"], registry=r
        )
        self.objects = Counter("mw_objects", "Objects handled, by kind and outcome", ["kind", "outcome"], registry=r)
        self.quarantined = Counter("mw_quarantined_records", "Records quarantined, by kind", ["kind"], registry=r)
        self.waits = Counter("mw_rate_limit_waits", "Waits for a rate limit", ["system"], registry=r)
        self.wait_seconds = Counter(
            "mw_rate_limit_wait_seconds", "Seconds spent waiting for rate limits (as announced)", ["system"], registry=r
        )
        self.retries = Counter("mw_retries", "Requests retried after a transient failure", ["system"], registry=r)
        self.bytes = Counter(
            "mw_bytes_moved", "File bytes moved, by system and direction", ["system", "direction"], registry=r
        )
        self.eta = Gauge("mw_eta_seconds", "Seconds left at the current pace (0 when unknown or done)", registry=r)
        self.started = Gauge("mw_started_timestamp_seconds", "When this command started", registry=r)
        self.started.set(time.time())
        self._lock = threading.Lock()
        self._totals: dict[str, int] = {}
        self._done: dict[str, int] = {}
        self._since = time.monotonic()

    # -- vendor HTTP (wizard/http.py) ------------------------------------------------------
    def call(self, system: str, route: str, status: int) -> None:
        self.calls.labels(system, route, str(status)).inc()

    def moved(self, system: str, direction: str, nbytes: int) -> None:
        self.bytes.labels(system, direction).inc(nbytes)

    # -- engine events ---------------------------------------------------------------------
    def emit(self, event: Event) -> None:
        if isinstance(event, ObjectMigrated):
            self.objects.labels(event.kind, "created" if event.created else "existing").inc()
            self._advance(event.kind)
        elif isinstance(event, ObjectSkipped):
            self.objects.labels(event.kind, "skipped").inc()
            self._advance(event.kind)
        elif isinstance(event, ObjectQuarantined):
            self.objects.labels(event.kind, "quarantined").inc()
            self.quarantined.labels(event.kind).inc()
            self._advance(event.kind)
        elif isinstance(event, ObjectRolledBack):
            self.objects.labels(event.kind, "rolled back").inc()
        elif isinstance(event, RateLimited):
            self.waits.labels(event.system).inc()
            self.wait_seconds.labels(event.system).inc(max(0.0, event.until_epoch - time.time()))
        elif isinstance(event, RequestRetried):
            self.retries.labels(event.system).inc()
        elif isinstance(event, PhaseStarted) and event.total is not None:
            with self._lock:
                self._totals[event.phase] = event.total
        elif isinstance(event, PhaseFinished):
            with self._lock:
                self._totals.pop(event.phase, None)
                self._done.pop(event.phase, None)
            self._update_eta()

    def _advance(self, kind: str) -> None:
        phase = _PHASE_OF.get(kind)
        if phase is None:
            return
        with self._lock:
            self._done[phase] = self._done.get(phase, 0) + 1
        self._update_eta()

    def _update_eta(self) -> None:
        """Objects left over objects done so far, times the time they took: the pace so far."""
        with self._lock:
            done = sum(self._done.get(p, 0) for p in self._totals)
            left = sum(max(0, t - self._done.get(p, 0)) for p, t in self._totals.items())
        elapsed = time.monotonic() - self._since
        self.eta.set(left * elapsed / done if done and left else 0.0)

    # -- exposition ------------------------------------------------------------------------
    def text(self) -> bytes:
        return generate_latest(self.registry)

    def keep(self, folder: Path) -> None:
        """The last values, in logs/metrics.prom (best effort: metrics never fail a command)."""
        try:
            write_to_textfile(str(Path(folder) / "logs" / TEXTFILE), self.registry)
        except OSError:
            pass

    @contextmanager
    def watching(self) -> Iterator[Metrics]:
        vendor_http.call_observers.append(self)
        try:
            yield self
        finally:
            vendor_http.call_observers.remove(self)


def _handler(metrics: Metrics, health: Callable[[], tuple[int, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] == "/metrics":
                self._answer(200, metrics.text(), CONTENT_TYPE_LATEST)
            elif self.path.split("?")[0] == "/healthz":
                try:
                    code, text = health()
                except UserError as e:  # the folder went away under us: unhealthy, said in its sentence
                    code, text = 2, e.sentence
                self._answer(200 if code == 0 else 503, text.encode() + b"\n", "text/plain; charset=utf-8")
            else:
                self._answer(404, b"/metrics or /healthz\n", "text/plain; charset=utf-8")

        def _answer(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # scrapes are not the run's events

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a scraper that hangs up mid-answer is no error of the run's, and no traceback on its terminal


@contextmanager
def serving(
    folder: Path,
    port: int | None,
    health: Callable[[], tuple[int, str]],
    announce: Callable[[str], None],
    host: str = "127.0.0.1",
) -> Iterator[Metrics | None]:
    """Count this command's calls and events; with a port (0: any free one), serve /metrics and
    /healthz on it while the command runs, and `announce` where. Without one, nothing is counted
    or served."""
    if port is None:
        yield None
        return
    metrics = Metrics()
    try:
        server = _QuietServer((host, port), _handler(metrics, health))
    except OSError as e:
        raise UserError(
            f"Cannot serve metrics on {host}:{port} ({e.strerror}); choose another --metrics-port."
        ) from None
    announce(f"Metrics: http://{host}:{server.server_address[1]}/metrics (and /healthz)")
    thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
    thread.start()
    try:
        with metrics.watching():
            yield metrics
    finally:
        server.shutdown()
        server.server_close()
        metrics.keep(folder)
