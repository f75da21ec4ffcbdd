"""Process Street as a source (Public API v1.1): workflows, their runs, values, comments and files."""
