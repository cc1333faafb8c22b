"""What the planning report reads from the store beside the planning run: 指标历史 and 四同步.

The planner gets one report three ways — ``xincheng report``, ``GET /api/planning/report`` and the page
``/maps/coverage/report`` — and each asks :func:`report_sections` for these two sections, so no way of getting
it can leave one out (the page had neither until it did).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.planning.estates import FourSyncSummary, four_sync, four_sync_summary, load_new_estates
from geo.planning.history import ReportHistory, report_history
from geo.planning.norms_settings import load_norms
from geo.store import Store


@dataclass(frozen=True)
class ReportSections:
    """The section 指标历史 Indicator history and the table of the section 四同步 new estates."""

    history: ReportHistory
    estates: pd.DataFrame


def stored_four_sync(store: Store) -> tuple[pd.DataFrame, FourSyncSummary]:
    """Return each stored new estate's 四同步 table and its summary, judged by the norm of the settings file
    (``data/planning/norms.toml``): the report's section and ``GET /api/planning/new-estates`` alike."""
    per100_m2 = load_norms().estate_care_per100_m2
    table = four_sync(load_new_estates(store), care_per100_m2=per100_m2)
    return table, four_sync_summary(table, care_per100_m2=per100_m2)


def report_sections(store: Store) -> ReportSections:
    """Read both sections: stored snapshots with planned versus existing facilities, and each new estate's
    elder-care premises (:func:`stored_four_sync`)."""
    return ReportSections(history=report_history(store), estates=stored_four_sync(store)[0])
