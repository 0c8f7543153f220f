"""Storage: SQLAlchemy 2 models, the session factory, and plain data-access functions."""
