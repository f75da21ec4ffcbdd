"""Tallyfy, the target: its REST client and its sandbox (a faithful fake of the API)."""

from adapters.tallyfy.client import TallyfyClient
from adapters.tallyfy.sandbox import TallyfySandbox

__all__ = ["TallyfyClient", "TallyfySandbox"]
