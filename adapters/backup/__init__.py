"""A backup taken by `migration-wizard backup` (wizard/backup.py), read as a source: offline,
from the migration folder, or from a web server that serves the archive's files."""
