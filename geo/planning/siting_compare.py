"""Greedy and proven-optimal siting side by side, so a planner sees whether greedy was optimal.

:func:`compare_siting` answers one question — ``k`` new stations covering the most, or the
fewest reaching ``target_share`` — by greedy (:mod:`geo.planning.siting`), by MILP
(:mod:`geo.planning.siting_milp`; with ``capacity`` the capacitated model of
:mod:`geo.planning.siting_capacity`), or both. Each answer is a :class:`SitingResult` whose
``chosen`` table lists the sites in the order that adds the most first (for the MILP's set, the
greedy order within it), with what each adds and the share after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.errors import InputError
from geo.messages import label, text
from geo.planning import siting as siting_module
from geo.planning.network import Attachment, WalkNetwork, nearest_source, reach_matrix
from geo.planning.siting import SitingResult, check_goal, greedy_siting
from geo.planning.siting_capacity import (
    Capacity,
    CapacityProblem,
    assignment,
    capacitated_siting,
    capacity_problem,
    greedy_capacitated,
    served,
)
from geo.planning.siting_milp import covered_weight, demand_rows, max_coverage, set_cover

METHODS = ("both", "milp", "greedy")
DEFAULT_TIME_LIMIT_S = 30.0
MIN_SOLVER_S = 0.2  # the least time a step is given when the budget is spent (it then stops at once)
MAX_TIME_LIMIT_S = 600.0
CHOSEN_COLUMNS = ["order", "candidate", "gain", "gain_plates", "share_after"]


@dataclass(frozen=True)
class SitingComparison:
    """Greedy's and the MILP's answers to one question; the MILP's leads where both were asked."""

    greedy: SitingResult | None
    optimal: SitingResult | None
    question: str              # max_coverage (k) or set_cover (target share)
    capacity: bool
    milp_skipped: str | None = None  # why no MILP was solved beside greedy (another solve held the slot)

    @property
    def primary(self) -> SitingResult:
        """Return the answer proposed: the MILP's when there is one, else greedy's."""
        found = self.optimal or self.greedy
        assert found is not None
        return found

    @property
    def chosen(self) -> pd.DataFrame:
        """Return the proposed sites (see :class:`SitingResult`)."""
        return self.primary.chosen

    @property
    def share_before(self) -> float:
        """Return the share covered by the existing stations."""
        return self.primary.share_before

    @property
    def share_after(self) -> float:
        """Return the share covered with the proposed sites."""
        return self.primary.share_after

    @property
    def candidates(self) -> int:
        """Return how many candidates were weighed."""
        return self.primary.candidates

    @property
    def greedy_optimal(self) -> bool | None:
        """Return whether greedy's answer is as good as the proven optimum (None if not both were solved)."""
        g, o = self.greedy, self.optimal
        if g is None or o is None or o.status not in ("optimal", "unreachable"):
            return None
        if self.question == "set_cover":
            if not o.reachable:  # nothing reaches the target: as good as the best reachable share
                return g.share_after >= o.share_after - 1e-9
            return g.reachable and len(g.chosen) <= len(o.chosen)
        return g.share_after >= o.share_after - 1e-12


def check_options(*, k: int | None, target_share: float | None, method: str, time_limit_s: float) -> None:
    """Refuse a wrong combination of options, naming the field (greedy_siting checks k and the share)."""
    if method not in METHODS:
        raise InputError(text("planning.choice", field=label("method"), value=repr(method),
                              allowed=", ".join(METHODS)), field="method")
    if not (np.isfinite(time_limit_s) and 0 < time_limit_s <= MAX_TIME_LIMIT_S):
        raise InputError(text("siting.time_limit", field=label("time_limit_s"), value=time_limit_s,
                              most=f"{MAX_TIME_LIMIT_S:g}"), field="time_limit_s")
    check_goal(k=k, target_share=target_share)


def compare_siting(network: WalkNetwork, plates: Attachment, weights: np.ndarray, existing: Attachment,
                   candidates: Attachment, *, reach_m: float, k: int | None = None,
                   target_share: float | None = None, method: str = "both",
                   time_limit_s: float = DEFAULT_TIME_LIMIT_S, capacity: Capacity | None = None) -> SitingComparison:
    """Answer the siting question by greedy, by MILP, or both; see the module.

    ``time_limit_s`` bounds the whole answer: building the reach matrix, greedy, then the MILP with
    what is left (at least :data:`MIN_SOLVER_S`; HiGHS itself may overrun its limit a little).
    """
    check_options(k=k, target_share=target_share, method=method, time_limit_s=time_limit_s)
    deadline = time.perf_counter() + time_limit_s
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        raise InputError(text("planning.siting_nothing"), field="weight")
    reach = siting_module.reach_matrix(network, candidates, plates, reach_m)  # one seam with greedy's
    question = "max_coverage" if k is not None else "set_cover"
    if capacity is not None:
        return _capacitated(network, plates, w, existing, reach, reach_m=reach_m, k=k, target_share=target_share,
                            method=method, deadline=deadline, capacity=capacity)
    greedy = None
    if method in ("both", "greedy") or k is not None:  # greedy's answer also stands in if HiGHS runs out of time
        start = time.perf_counter()
        greedy = greedy_siting(network, plates, w, existing, candidates, reach_m=reach_m, k=k,
                               target_share=target_share, time_limit_s=_left(deadline), reach=reach)
        greedy = _replace(greedy, seconds=time.perf_counter() - start)
    optimal = None
    if method in ("both", "milp"):
        dist, _ = nearest_source(network, existing, plates, limit_m=reach_m)
        covered = dist <= reach_m
        total, before = float(w.sum()), float(w[covered].sum())
        rows = demand_rows(reach, w, covered=covered)
        if k is not None:
            answer = max_coverage(rows, k=k, time_limit_s=_left(deadline))
            chosen = _ordered(reach, w, covered, answer.chosen)
            optimal = SitingResult(chosen, before / total, (before + answer.objective) / total, reach.shape[0],
                                   method="milp", status=answer.status, bound_share=(before + answer.bound) / total,
                                   gap=answer.gap, seconds=answer.seconds)
        else:
            assert target_share is not None
            answer = set_cover(rows, need_weight=target_share * total - before, time_limit_s=_left(deadline))
            chosen = _ordered(reach, w, covered, answer.chosen)
            after = (before + covered_weight(rows, answer.chosen)) / total
            optimal = SitingResult(chosen, before / total, after, reach.shape[0], method="milp", status=answer.status,
                                   gap=answer.gap, bound_stations=answer.bound, seconds=answer.seconds,
                                   reachable=answer.status != "unreachable")
    if greedy is not None and target_share is not None and greedy.share_after < target_share - 1e-12:
        greedy = _replace(greedy, reachable=False)
    best = _best_known(optimal, greedy)
    return SitingComparison(greedy=_against_bound(greedy, best) if method != "milp" else None, optimal=best,
                            question=question, capacity=False)


def _left(deadline: float) -> float:
    """Return the seconds left until ``deadline``, at least :data:`MIN_SOLVER_S` (a solver needs some)."""
    return max(deadline - time.perf_counter(), MIN_SOLVER_S)


def _against_bound(greedy: SitingResult | None, optimal: SitingResult | None) -> SitingResult | None:
    """Return greedy's answer with the MILP's bound and its own gap to it: how far greedy may be from the best."""
    if greedy is None or optimal is None or optimal.status not in ("optimal", "time_limit"):
        return greedy
    if optimal.bound_share is not None:
        gap = max(optimal.bound_share - greedy.share_after, 0.0) / max(greedy.share_after, 1e-12)
        return _replace(greedy, bound_share=optimal.bound_share, gap=gap)
    if optimal.bound_stations is not None and greedy.reachable and len(greedy.chosen):
        gap = max(len(greedy.chosen) - optimal.bound_stations, 0.0) / len(greedy.chosen)
        return _replace(greedy, bound_stations=optimal.bound_stations, gap=gap)
    return greedy


def _best_known(optimal: SitingResult | None, greedy: SitingResult | None) -> SitingResult | None:
    """Return the MILP's answer, or greedy's in its place where the solver stopped at its time limit with less.

    The bound stays the solver's, so the gap then says how far greedy's answer may be from the best.
    """
    if (optimal is None or greedy is None or optimal.status != "time_limit" or optimal.bound_share is None
            or greedy.share_after <= optimal.share_after):
        return optimal
    gap = max(optimal.bound_share - greedy.share_after, 0.0) / max(greedy.share_after, 1e-12)
    return _replace(optimal, chosen=greedy.chosen, share_after=greedy.share_after, gap=gap)


def _replace(result: SitingResult, **changes: object) -> SitingResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]


def _ordered(reach: sp.csr_matrix, w: np.ndarray, covered: np.ndarray, chosen: np.ndarray) -> pd.DataFrame:
    """Return ``chosen`` in the order that adds the most first (ties: lower index), with gains and shares."""
    covered = covered.copy()
    total = float(w.sum())
    left = [int(j) for j in chosen]
    rows: list[dict[str, float]] = []
    while left:
        gains = [float(w[_new(reach, j, covered)].sum()) for j in left]
        best = left[int(np.argmax(gains))]
        if max(gains) <= 0:
            break  # the rest add nothing: a site that adds nothing is not proposed
        newly = _new(reach, best, covered)
        covered[newly] = True
        rows.append({"order": len(rows) + 1, "candidate": best, "gain": max(gains), "gain_plates": len(newly),
                     "share_after": float(w[covered].sum() / total)})
        left.remove(best)
    return pd.DataFrame(rows, columns=CHOSEN_COLUMNS)


def _new(reach: sp.csr_matrix, j: int, covered: np.ndarray) -> np.ndarray:
    cols = reach.indices[reach.indptr[j]:reach.indptr[j + 1]]
    return cols[~covered[cols]]


def _capacitated(network: WalkNetwork, plates: Attachment, w: np.ndarray, existing: Attachment,
                 reach: sp.csr_matrix, *, reach_m: float, k: int | None, target_share: float | None, method: str,
                 deadline: float, capacity: Capacity) -> SitingComparison:
    """Answer with capacities: demand served within walking reach up to each station's capacity."""
    reach_existing = reach_matrix(network, existing, plates, reach_m)
    problem = capacity_problem(reach_existing, reach, w, capacity_existing=capacity.existing,
                               capacity_candidates=capacity.candidates)
    total = problem.total
    before = served(problem, np.zeros(0, dtype=np.int64))
    need = None if target_share is None else target_share * total
    question = "max_coverage" if k is not None else "set_cover"
    covered0 = np.asarray(reach_existing.sum(axis=0)).ravel() > 0
    greedy = None
    if method in ("both", "greedy"):
        start = time.perf_counter()
        order, spent = greedy_capacitated(problem, k=k, need_weight=need, deadline=deadline)
        table = _served_table(problem, reach, covered0, order)
        after = table["share_after"].iloc[-1] if len(table) else before / total
        greedy = SitingResult(table, before / total, float(after), reach.shape[0], seconds=time.perf_counter() - start,
                              reachable=need is None or float(after) * total >= need - 1e-9 * total,
                              status="time_limit" if spent else "heuristic")
    optimal = None
    if method in ("both", "milp"):
        answer = capacitated_siting(problem, k=k, need_weight=need, time_limit_s=_left(deadline))
        table = _served_table(problem, reach, covered0, [int(j) for j in answer.chosen])
        after = float(table["share_after"].iloc[-1]) if len(table) else before / total
        bound = None if k is None else (answer.bound / total)
        optimal = SitingResult(table, before / total, after, reach.shape[0], method="milp", status=answer.status,
                               bound_share=bound, gap=answer.gap,
                               bound_stations=answer.bound if k is None else None, seconds=answer.seconds,
                               reachable=answer.status != "unreachable")
    best = _best_known(optimal, greedy)
    return SitingComparison(greedy=_against_bound(greedy, best), optimal=best, question=question, capacity=True)


def _served_table(p: CapacityProblem, reach: sp.csr_matrix, covered0: np.ndarray, order: list[int]) -> pd.DataFrame:
    """Return the sites with the residents 60+ each serves in the plan (exact, one LP), most first.

    The existing stations serve what they serve alone (:func:`assignment`), so the gains add up to
    the whole plan's gain; ``share_after`` is cumulative in that order.
    """
    before = served(p, np.zeros(0, dtype=np.int64))
    _, by_station = assignment(p, np.asarray(order, dtype=np.int64))
    gains = {j: float(by_station[p.n_existing + j]) for j in order}
    ranked = sorted((j for j in order if gains[j] > 1e-9), key=lambda j: (-gains[j], order.index(j)))  # none idle
    rows: list[dict[str, float]] = []
    covered, now = covered0.copy(), before
    for i, j in enumerate(ranked):
        newly = _new(reach, j, covered)
        covered[newly] = True
        now += gains[j]
        rows.append({"order": i + 1, "candidate": j, "gain": gains[j], "gain_plates": len(newly),
                     "share_after": now / p.total})
    return pd.DataFrame(rows, columns=CHOSEN_COLUMNS)


def _result_summary(r: SitingResult) -> dict[str, object]:
    """Return one answer as plain JSON-ready data."""
    def num(v: float | None) -> float | None:
        return None if v is None or not np.isfinite(v) else float(v)

    return {"method": r.method, "status": r.status, "status_text": text(f"siting.status.{r.status}"),
            "stations": len(r.chosen), "share_before": r.share_before, "share_after": r.share_after,
            "bound_share": num(r.bound_share), "bound_stations": num(r.bound_stations), "gap": num(r.gap),
            "seconds": num(r.seconds), "reachable": r.reachable,
            "chosen": [{k: (int(v) if k in ("order", "candidate", "gain_plates") else float(v)) for k, v in row.items()}
                       for row in r.chosen.to_dict("records")]}


def verdict(c: SitingComparison) -> str:
    """Return, in words, whether greedy's answer was optimal (or that it is not known)."""
    key = {True: "siting.greedy_optimal", False: "siting.greedy_not_optimal", None: "siting.greedy_unknown"}
    return text(key[c.greedy_optimal])


def unreachable_text(c: SitingComparison, *, target_share: float | None) -> str | None:
    """Return the message for a target share no set of candidates reaches, with the best reachable share."""
    r = c.primary
    if r.reachable or target_share is None:
        return None
    return text("siting.unreachable", target=f"{100 * target_share:.1f}%", best=f"{100 * r.share_after:.1f}%")


def comparison_summary(c: SitingComparison, *, target_share: float | None = None) -> dict[str, object]:
    """Return both answers, the verdict and any unreachable target, as JSON-ready data (API)."""
    return {"question": c.question, "capacity": c.capacity,
            "optimal": None if c.optimal is None else _result_summary(c.optimal),
            "greedy": None if c.greedy is None else _result_summary(c.greedy),
            "greedy_optimal": c.greedy_optimal, "verdict": verdict(c),
            "unreachable": unreachable_text(c, target_share=target_share)}


def _col(key: str) -> str:
    from geo.messages import en, zh

    return f"{zh(f'siting.col.{key}')} {en(f'siting.col.{key}')}"


def comparison_frame(c: SitingComparison) -> pd.DataFrame:
    """Return one row per answer (MILP first): method, status, stations, shares, bound, gap, seconds.

    Shares, bound (a share for maximal coverage, a station count for set cover) and gap are in
    percent; headers are Chinese with English beside. Greedy's row carries the MILP's bound and
    its own gap to it: how far greedy may be from the best.
    """
    rows = []
    for r in (c.optimal, c.greedy):
        if r is None:
            continue
        bound = (None if r.bound_share is None else round(100 * r.bound_share, 2)) if c.question == "max_coverage" \
            else r.bound_stations
        rows.append({_col("method"): text(f"siting.method.{r.method}"),
                     _col("status"): text(f"siting.status.{r.status}"),
                     _col("stations"): len(r.chosen), _col("share_before"): round(100 * r.share_before, 2),
                     _col("share_after"): round(100 * r.share_after, 2), _col("bound"): bound,
                     _col("gap"): None if r.gap is None or not np.isfinite(r.gap) else round(100 * r.gap, 3),
                     _col("seconds"): None if r.seconds is None else round(r.seconds, 2)})
    return pd.DataFrame(rows)
