"""Optional OpenTelemetry traces: one span per object written (created, found or quarantined),
when the `otel` extra is installed and the standard `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) names a collector. Without either, nothing is imported
and each object costs one call to a no-op.

A span carries the object's kind, its source key and the action (ids, never names or text),
and is marked as an error when the object was quarantined.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ENDPOINTS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


class _Span:
    def __init__(self, span: Any = None) -> None:
        self.span = span

    def done(self, target_id: str | None) -> None:
        if self.span is None:
            return
        if target_id is None:
            from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415 - lazy: only with the extra

            self.span.set_status(Status(StatusCode.ERROR, "quarantined"))
        else:
            self.span.set_attribute("mw.target_id", target_id)


class _State:
    tracer: Any = None
    provider: Any = None


_NOOP = _Span()
_on = _State()


def start(service: str = "migration-wizard") -> bool:
    """Turn traces on when the extra is installed and a collector is named; True if they are."""
    if _on.tracer is not None:
        return True
    if not any(os.environ.get(name) for name in ENDPOINTS):
        return False
    try:
        # lazy: the extra is optional, and a run without a collector never loads it
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError:
        return False
    _on.provider = TracerProvider(resource=Resource.create({"service.name": service}))
    _on.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _on.tracer = _on.provider.get_tracer("migration-wizard")
    return True


def stop() -> None:
    """Send what is left and turn traces off."""
    if _on.provider is not None:
        _on.provider.shutdown()
    _on.tracer = _on.provider = None


@contextmanager
def traced(wanted: bool = True) -> Iterator[bool]:
    """Traces on for a command's life, when they can be and are `wanted` (a dry run writes
    nothing, so it has nothing to trace); every span sent before it ends."""
    try:
        yield wanted and start()
    finally:
        stop()


@contextmanager
def object_span(kind: str, key: str, action: str) -> Iterator[_Span]:
    if _on.tracer is None:
        yield _NOOP
        return
    with _on.tracer.start_as_current_span(
        f"{action} {kind}", attributes={"mw.kind": kind, "mw.key": key, "mw.action": action}
    ) as span:
        yield _Span(span)
