"""The spatial store: one schema and one behaviour on SQLite (embedded) and PostGIS (production)."""

from geo.store.store import Excluding, Store

__all__ = ["Excluding", "Store"]
