"""The sandboxes' server answers without Nagle's delay: every test and benchmark pays for it otherwise."""

from __future__ import annotations

import socket

import httpx

from adapters.sandboxkit import SandboxServer
from adapters.tallyfy.sandbox import TallyfySandbox


def test_the_listening_socket_is_nodelay_so_accepted_connections_are_too() -> None:
    # Linux hands TCP_NODELAY from the listening socket to the connections it accepts; without it
    # each answer waited ~40 ms for the client's delayed ACK (the whole suite ran 2-3x slower).
    with SandboxServer(TallyfySandbox()) as srv:
        assert srv.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        with httpx.Client(base_url=srv.url) as h:
            assert h.get("/_sandbox/export").status_code == 200
