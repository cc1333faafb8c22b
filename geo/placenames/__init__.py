"""The gazetteer (地名信息库): standard place names, their rules and their lifecycle.

Rules: 地名管理条例 and its implementing measures (PN-01..PN-13), GB/T 16159 romanization
(RM-01..RM-13). Use cases, each one transaction: :func:`propose`, :func:`edit`, :func:`transition`,
:func:`rename` (streets and plates follow), :func:`confirm_romanization`, :func:`record_filing`,
:func:`set_protection`; reads: :func:`overdue_names`, search (:func:`load_name_index`,
:func:`search_names`) and what the gazetteer sends out (:func:`exchange_table`,
:func:`announcement_text`, :func:`change_feed`).

Modules: ``lifecycle`` (use cases), ``rules`` (pure PN checks), ``romanize`` (pure RM rules),
``search`` (pinyin and initials index), ``exchange`` (national exchange table and change feed).
"""

from geo.placenames.exchange import announcement_text, change_feed, exchange_table
from geo.placenames.lifecycle import (
    confirm_romanization,
    edit,
    overdue_names,
    propose,
    record_filing,
    rename,
    set_protection,
    transition,
)
from geo.placenames.romanize import romanize
from geo.placenames.search import NameIndex, load_name_index, search_names

__all__ = [
    "NameIndex",
    "announcement_text",
    "change_feed",
    "confirm_romanization",
    "edit",
    "exchange_table",
    "load_name_index",
    "overdue_names",
    "propose",
    "record_filing",
    "rename",
    "romanize",
    "search_names",
    "set_protection",
    "transition",
]
