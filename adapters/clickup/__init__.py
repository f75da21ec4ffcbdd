"""ClickUp as a source (API v2)."""
