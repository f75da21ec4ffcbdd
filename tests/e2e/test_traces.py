"""Optional traces: with the otel extra installed and OTEL_EXPORTER_OTLP_ENDPOINT naming a
collector, a run sends one span per object it writes (kind, source key, target id), and a dry
run sends none. The collector here is a real OTLP/HTTP endpoint on loopback that decodes what
it receives."""

from __future__ import annotations

import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.conftest import Served, cli

trace_service = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")


class Collector:
    """OTLP/HTTP traces (protobuf) received on loopback, decoded."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        received = self.spans

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = trace_service.ExportTraceServiceRequest.FromString(body)
                for rs in request.resource_spans:
                    for ss in rs.scope_spans:
                        for span in ss.spans:
                            attrs = {a.key: a.value.string_value for a in span.attributes}
                            received.append({"name": span.name, "error": span.status.code == 2, **attrs})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_run_sends_one_span_per_object_and_a_dry_run_none(small: Served, tmp_path: Path) -> None:
    collector = Collector()
    try:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
        assert cli("run", str(small.folder), "--dry-run", env=env).returncode == 0
        assert collector.spans == [], "a dry run writes nothing, so it traces nothing"
        r = cli("run", str(small.folder), "--yes", env=env)
        assert r.returncode == 0, r.stderr
        keys = Counter(s["mw.key"] for s in collector.spans)
        assert keys and max(keys.values()) == 1, "one span per object"
        export = small.export("tallyfy")
        runs = {x["source_ref"] for x in export["runs"] if not x.get("preexisting")}
        traced_items = {s["mw.key"] for s in collector.spans if s["mw.kind"] == "item"}
        assert traced_items == runs, "every process written has its span"
        assert all(s["mw.target_id"] for s in collector.spans if not s["error"])
        comments = {
            c["source_ref"]
            for x in export["runs"]
            for t in x["tasks"]
            for c in t.get("comments", [])
            if c.get("source_ref")
        }
        assert {s["mw.key"] for s in collector.spans if s["mw.kind"] == "comment"} == comments
        assert not any("@" in v for s in collector.spans for v in s.values() if isinstance(v, str)), "no emails"
    finally:
        collector.close()
