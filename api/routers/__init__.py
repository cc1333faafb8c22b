"""Routers, one per concern; each handler turns HTTP into one library call."""
