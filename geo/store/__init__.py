"""The spatial store: one schema and one behaviour on SQLite (embedded) and PostGIS (production)."""

from geo.store.store import Store

__all__ = ["Store"]
