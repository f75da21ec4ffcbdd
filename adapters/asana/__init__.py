"""Asana as a migration source: projects (and project templates), sections, tasks with
their subtasks, stories and attachments, and custom fields."""
