"""Alembic's script directory for the store: ``env.py`` and the frozen revisions in ``versions/``.

Run through :mod:`geo.store.migrations` (``Store.migrate``, ``xincheng migrate``); there is no
alembic.ini. Each revision writes out its DDL as it was at that version and never imports
:mod:`geo.store.schema`, so changing the schema module never changes an old revision.
"""
