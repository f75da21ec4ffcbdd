from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.pipefy.sandbox import PipefySandbox
from adapters.pipefy.source import PipefySource
from adapters.sandboxkit import SandboxServer

TOKEN = "sandbox-pipefy-token"
SCALE = 0.01  # Pipefy's 30 s window lasts 0.3 s


@pytest.fixture
def served() -> Iterator[tuple[PipefySandbox, str]]:
    sb = PipefySandbox(seed=7, scale="small", window_scale=SCALE)
    with SandboxServer(sb) as srv:
        yield sb, srv.url


def source(url: str, **kw: Any) -> PipefySource:
    kw.setdefault("window_scale", SCALE)
    kw.setdefault("max_retries", 3)
    return PipefySource.connect(url + "/graphql", {"token": TOKEN}, profile="sandbox", **kw)
