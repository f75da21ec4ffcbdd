"""Trello: the client, wire models, mapping to the canonical model, the source adapter and
its sandbox."""

from adapters.trello.client import TrelloClient
from adapters.trello.sandbox import TrelloSandbox
from adapters.trello.source import TrelloSource

__all__ = ["TrelloClient", "TrelloSandbox", "TrelloSource"]
