"""Adapters the test suite registers itself: each package here registers on import."""
