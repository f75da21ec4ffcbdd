"""A staging table as a source: a CSV or XLSX file, a SQLite file, or any database SQLAlchemy
reaches by URL. One table (or query) is one container, one row one item, its columns fields."""
