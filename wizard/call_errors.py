"""What a call to a vendor can end in, short of stopping the command: a record refused, an
object that never came, a pause worth retrying, a create of unknown fate. Apart from
`wizard.http` so that the engine can name them without importing the HTTP stack (httpx
costs a tenth of a second to import, and the TUI's first frame makes no call)."""

from __future__ import annotations

from wizard.errors import UserError


class RecordRejected(Exception):
    """The vendor refused this one record (400/404/409/422): quarantine it, go on. `label`
    names the system that refused (a file the source would not give is not the target's)."""

    def __init__(self, status: int, message: str, label: str | None = None) -> None:
        Exception.__init__(self, status, message)  # not super(): ReadRejected is a UserError too
        self.status = status
        self.message = message
        self.label = label

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


class ReadRejected(RecordRejected, UserError):
    """A read the vendor refused (4xx on a GET). Where a caller expects it (a 404 meaning
    "gone") it is a RecordRejected; anywhere else it ends the command in one sentence."""

    def __init__(self, status: int, message: str, label: str = "The vendor", what: str = "") -> None:
        RecordRejected.__init__(self, status, message)
        self.label = label
        self.what = what

    @property
    def sentence(self) -> str:  # type: ignore[override]
        return (
            f"{self.label} refused to read {self.what or 'something the plan names'} ({self}); check that it "
            f"exists and that the account can see it, then run the command again."
        )


class ObjectUnavailable(Exception):
    """One object the vendor kept failing on after every retry (a download that always
    breaks): the run quarantines that object with this sentence and goes on."""


class Transient(Exception):
    """Worth retrying: 429, 5xx, timeout, reset."""

    def __init__(self, reason: str, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.status = status


class AmbiguousWrite(Exception):
    """A create was sent but its fate is unknown: find it in the target before re-sending."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
