"""The planning report's siting comparison: proven-optimal MILP beside greedy, for the page and the workbook.

Takes :class:`geo.planning.siting_compare.SitingComparison` (from ``run_siting``) and only
formats it: one row per method with its status, stations, shares, bound and optimality gap
(Chinese headers with English beside), then whether greedy's answer was optimal.
"""

from __future__ import annotations

from typing import Any

from geo.messages import text
from geo.planning.siting_compare import SitingComparison, comparison_frame, unreachable_text, verdict

SHEET_TITLE = "选址比较 siting comparison"
NOTE_SHEET_TITLE = "选址说明 siting note"


def siting_sections(siting: Any, *, target_share: float | None = None) -> dict[str, Any] | None:
    """Return the comparison table and its lines for the page, or None for a greedy-only result of old."""
    if not isinstance(siting, SitingComparison):
        return None
    question = (text("siting.question.max_coverage", k=len(siting.chosen)) if siting.question == "max_coverage"
                else text("siting.question.set_cover", target=f"{100 * (target_share or 0):.1f}%"))
    return {"question": question, "table": comparison_frame(siting),
            "verdict": verdict(siting) if siting.greedy is not None and siting.optimal is not None else None,
            "unreachable": unreachable_text(siting, target_share=target_share), "skipped": siting.milp_skipped}


def siting_sheets(siting: Any) -> dict[str, Any]:
    """Return the comparison as a workbook sheet (title → frame); none for a greedy-only result of old."""
    if not isinstance(siting, SitingComparison):
        return {}
    sheets = {SHEET_TITLE: comparison_frame(siting)}
    if siting.milp_skipped:  # the workbook says why the MILP row is missing, as the page does
        import pandas as pd

        sheets[NOTE_SHEET_TITLE] = pd.DataFrame({"说明 note": [siting.milp_skipped]})
    return sheets
