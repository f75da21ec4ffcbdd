import json

import pytest

from wizard.engine.people import match_people
from wizard.errors import CredentialError
from wizard.events import ObjectQuarantined
from wizard.model import Person
from wizard.secrets import SANDBOX_CREDENTIALS, load_credentials, mask, mask_email
from wizard.sinks import JsonLogSink
from wizard.target import TargetUser


def test_sandbox_profile_is_built_in() -> None:
    assert load_credentials("sandbox", "trello", ("key", "token")) == SANDBOX_CREDENTIALS["trello"]


def test_env_fallback_and_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MW_ACME_TALLYFY_TOKEN", "t0k3n-value")
    assert load_credentials("acme", "tallyfy", ("token",)) == {"token": "t0k3n-value"}
    with pytest.raises(CredentialError) as e:
        load_credentials("other", "trello", ("key", "token"))
    assert "MW_OTHER_TRELLO_KEY" in e.value.sentence and "migration-wizard login other" in e.value.sentence


def test_masking() -> None:
    assert "abcdef" not in mask("abcdefghijkl")
    assert mask_email("alex.k@example.com") == "a…@example.com"


def test_people_matching_email_then_name_then_placeholder() -> None:
    people = [
        Person(key="t:person:1", name="Alex K", email="alex@x.com"),
        Person(key="t:person:2", name="Bo Li"),
        Person(key="t:person:3", name="Cy Twin"),
        Person(key="t:person:4", name="Di Nobody"),
    ]
    users = [
        TargetUser(1, "Someone Else", "alex@x.com"),
        TargetUser(2, "bo  li"),
        TargetUser(3, "Cy Twin"),
        TargetUser(4, "Cy Twin"),
    ]
    d = match_people(people, users, {"t:person:4": "invite"})
    assert (d["t:person:1"].action, d["t:person:1"].user_id) == ("matched", 1)
    assert (d["t:person:2"].action, d["t:person:2"].user_id) == ("matched", 2)
    assert d["t:person:3"].action == "placeholder" and "two target users" in d["t:person:3"].reason
    assert d["t:person:4"].action == "placeholder" and "no email" in d["t:person:4"].reason


def test_log_sink_masks_emails(tmp_path) -> None:
    sink = JsonLogSink(tmp_path)
    sink.emit(ObjectQuarantined("item", "trello:card:1", "its text field holds 'priya.s@example.com', too long"))
    sink.close()

    line = (tmp_path / "logs" / "run.jsonl").read_text()
    assert "priya.s@example.com" not in line
    assert "p…@example.com" in json.loads(line)["reason"]
