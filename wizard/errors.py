"""Errors a user can cause. Each carries one sentence and an exit code; the CLI prints the
sentence and exits with the code, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the consultant can fix: a bad plan, a bad credential, a missing permission."""

    exit_code = 2

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class PlanError(UserError):
    """The plan file cannot be read or does not validate."""


class CredentialError(UserError):
    """No credential for a profile, or the vendor refused it (401)."""


class PermissionDenied(UserError):
    """The vendor answered 403 for something the plan needs."""


class VendorDataError(UserError):
    """The vendor sent a payload we cannot read (malformed JSON or shape)."""


class SystemUnavailable(UserError):
    """The circuit breaker opened: the vendor keeps failing, so we stopped asking."""

    exit_code = 3


class StoreError(UserError):
    """The migration folder's store cannot be read or written (full disk, corrupt file)."""


class Interrupted(UserError):
    """The run stopped at a safe point on request (SIGINT/SIGTERM); it can be resumed."""

    exit_code = 130
