"""One siting solve at a time per process, for the siting endpoint and the reports alike.

A MILP may use its whole time limit on a core. ``POST /api/planning/siting`` asks for the slot and
is answered 429 with Retry-After when it is taken; a report (the API's and the planner's page)
never waits and never refuses: it solves the MILP in the slot with a short time limit when the slot
is free, and otherwise gives greedy's answer alone, saying why (the comparison table then has one row).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from api.process_places import ProcessPlaces
from api.ratelimit import TooManyRequests
from geo.messages import text

MAX_SITING_SECONDS = 20    # the MILP's time limit one siting request may ask for (the CLI allows longer)
REPORT_TIME_LIMIT_S = 10.0  # a report's MILP: the page answers within this and the maps
_SLOT = ProcessPlaces(1)


@contextmanager
def siting_slot() -> Iterator[None]:
    """Hold the process's siting slot, or raise 429 (``siting.busy``) if another solve holds it."""
    if not _SLOT.take():
        raise TooManyRequests(text("siting.busy", seconds=MAX_SITING_SECONDS), field="k")
    try:
        yield
    finally:
        _SLOT.give_back()


def report_siting(run: Any, *, k: int) -> tuple[Any, Any]:
    """Return the report's ``k`` suggested stations: MILP beside greedy in the slot, or greedy alone.

    ``(None, None)`` for ``k == 0``. Greedy alone when another solve holds the slot, so a report
    never runs a second MILP beside the siting endpoint's (the answer says so: ``milp_skipped``).
    """
    from geo.planning.run import run_siting

    if not k:
        return None, None
    if _SLOT.take():
        try:
            return run_siting(run, k=k, target_share=None, time_limit_s=REPORT_TIME_LIMIT_S)
        finally:
            _SLOT.give_back()
    siting, sites = run_siting(run, k=k, target_share=None, method="greedy")
    return replace(siting, milp_skipped=text("siting.milp_skipped")), sites
