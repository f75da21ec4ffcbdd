"""migration-wizard: the headless core (never imports textual)."""

__version__ = "0.1.0"
