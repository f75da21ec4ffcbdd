"""Pipefy as a migration source (GraphQL): pipes, phases, cards, fields, comments, files."""
