"""Unit tests run with no servers: any attempt to open a network connection fails the test
(a unit test that needs a database or a server belongs in tests/integration or tests/e2e)."""

from __future__ import annotations

import socket

import pytest


class NetworkInUnitTest(RuntimeError):
    pass


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: object) -> None:
        raise NetworkInUnitTest(f"a unit test tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
