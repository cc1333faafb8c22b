"""Frozen revisions, one per schema version: ``0001`` is version 1, ``0002`` version 2, …"""
