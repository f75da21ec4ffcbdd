"""The engine: discover, estimate, run, verify, report, rollback, sync."""
