"""What the CLI prints when a command is stopped on request: a calm sentence, not an error."""

from __future__ import annotations

import pytest

from wizard import cli
from wizard.errors import Interrupted, UserError


def _raise(exc: Exception):
    def fn(_a):
        raise exc

    return fn


def test_a_stop_on_request_is_said_calmly_with_exit_130(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(cli, "cmd_schema", _raise(Interrupted("Stopped at a safe point; nothing is lost.")))
    with pytest.raises(SystemExit) as done:
        cli.main(["schema"])
    assert done.value.code == 130
    err = capsys.readouterr().err
    assert "Stopped at a safe point; nothing is lost." in err
    assert "error" not in err.lower()


def test_a_user_error_still_says_error(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(cli, "cmd_schema", _raise(UserError("The plan is wrong.")))
    with pytest.raises(SystemExit) as done:
        cli.main(["schema"])
    assert done.value.code == 2
    assert capsys.readouterr().err.startswith("error: The plan is wrong.")
