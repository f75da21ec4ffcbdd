"""What the monday.com target tests share: the target connected to a sandbox by URL."""

from __future__ import annotations

from adapters.monday.target import MondayTarget
from adapters.monday.target_spec import SPEC, MondayMapping
from wizard.plan import Limits, Target
from wizard.registry import Connection

TOKEN = "sandbox-monday-token"
HEADERS = {"Authorization": TOKEN, "API-Version": "2026-07"}


def target(url: str, mapping: MondayMapping | None = None) -> MondayTarget:
    endpoint = Target(system="monday", base_url=url + "/v2", profile="sandbox")
    built = SPEC.connect(Connection(endpoint, {"token": TOKEN}, Limits(), mapping=mapping or MondayMapping()))
    assert isinstance(built, MondayTarget)
    return built
