"""The Textual wizard. It holds no migration logic: every step calls wizard.migration.Migration."""
