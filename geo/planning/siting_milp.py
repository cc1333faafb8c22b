"""Proven-optimal siting: maximal coverage and set cover solved exactly as MILPs (HiGHS).

Greedy siting is fast but not guaranteed best: "the fewest stations reaching 90 %" may be one
too many. Here the same questions are posed as mixed-integer linear programmes and solved by
HiGHS (``scipy.optimize.milp``), which returns the answer *with a proof*: a bound no answer can
beat, so the optimality gap between the two is known.

Model (existing stations fixed; what they reach counts as covered already). Plates that no
existing station reaches are grouped by the set of candidates that reach them: plates with
identical candidate sets become one demand row ``i`` with weight ``w_i`` (the sum of their
households or residents 60+), so the programme's size follows the distinct coverage patterns,
not the 35,000 plates. With ``x_j`` ∈ {0, 1} "candidate j is chosen" and ``0 ≤ y_i ≤ 1`` "row i
is covered", ``a_ij`` = 1 where candidate j reaches row i:

* maximal coverage: maximise Σ w_i y_i subject to y_i ≤ Σ_j a_ij x_j and Σ_j x_j ≤ k;
* set cover: minimise Σ_j x_j subject to Σ w_i y_i ≥ need and y_i ≤ Σ_j a_ij x_j, where
  ``need`` is the target share of the whole weight less what existing stations already cover.
  Then, with the count fixed at that minimum, maximal coverage picks the best-covering set.

``y`` need not be declared integer: for integral ``x`` the best ``y_i`` is min(1, Σ a_ij x_j).

Ties: HiGHS gives the same answer to the same programme, and the programme is built in a fixed
order. In maximal coverage each chosen candidate also costs a tiny penalty (1/1000 of the
smallest row weight, over ``k + 1``) growing with its index, nudging the solver towards fewer
stations and lower-numbered candidates; it sums to under 1/500 of any row, so it never outweighs
covering one, and the reported bound adds it back, so the bound stays a true bound. A chosen
site that adds nothing is dropped (geo.planning.siting_compare). A set cover's count is settled
first; the set among the fewest is then the best-covering one (a maximal coverage solve).
HiGHS stops at a relative gap of :data:`MIP_REL_GAP` (1e-7: below one household in the
district) or at the time limit (set cover's second solve gets what the first left, at least 5 s);
the status says which. A set cover whose count equals its bound is proven minimal whatever the
solver's status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

MIP_REL_GAP = 1e-7
STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass(frozen=True)
class DemandRows:
    """Uncovered plates grouped by the candidates reaching them: one MILP row per group."""

    matrix: sp.csr_matrix     # (rows × candidates) ones where a candidate reaches the row
    weight: np.ndarray        # (rows,) summed weight of the row's plates
    plates: np.ndarray        # (rows,) how many plates each row stands for
    plate_row: np.ndarray     # (plates,) the row of each plate, -1 if covered already or out of reach


@dataclass(frozen=True)
class MilpAnswer:
    """One solve: the chosen candidates and what HiGHS proved about them."""

    status: str               # optimal, time_limit, infeasible, unreachable (target above every candidate)
    chosen: np.ndarray        # candidate indices, ascending
    objective: float          # covered weight of the rows (max coverage) or stations (set cover)
    bound: float              # no answer covers more (max coverage) / needs fewer stations (set cover)
    gap: float                # (bound − objective) / objective, relative; 0 when proven optimal
    seconds: float


def demand_rows(reach: sp.csr_matrix, weights: np.ndarray, *, covered: np.ndarray) -> DemandRows:
    """Group the plates not ``covered`` and reached by some candidate by their candidate sets.

    ``reach`` is (candidates × plates). Rows come in the order of their first plate, so the
    same inputs give the same programme.
    """
    w = np.asarray(weights, dtype=float)
    by_plate = sp.csr_matrix(reach.T, dtype=float)
    plate_row = np.full(len(w), -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    first: list[int] = []
    for p in np.flatnonzero(~np.asarray(covered, dtype=bool) & (w > 0) & (np.diff(by_plate.indptr) > 0)):
        cands = np.sort(by_plate.indices[by_plate.indptr[p]:by_plate.indptr[p + 1]])
        key = cands.astype(np.int64).tobytes()
        row = keys.setdefault(key, len(keys))
        if row == len(first):
            first.append(int(p))
        plate_row[p] = row
    used = plate_row >= 0
    weight = np.bincount(plate_row[used], weights=w[used], minlength=len(first))
    plates = np.bincount(plate_row[used], minlength=len(first))
    matrix = sp.csr_matrix(by_plate[first]) if first else sp.csr_matrix((0, reach.shape[0]))
    matrix.data[:] = 1.0
    return DemandRows(matrix=matrix, weight=weight, plates=plates, plate_row=plate_row)


def _penalties(n: int, *, k: int, min_weight: float) -> np.ndarray:
    """Return the tie-breaking cost of each candidate: in all, under 1/500 of the smallest row weight."""
    eps = 1e-3 * min_weight / (k + 1)
    return eps * (1.0 + np.arange(n) / max(n, 1))


def _solve(c: np.ndarray, integrality: np.ndarray, constraints: list[LinearConstraint],
           upper: np.ndarray, time_limit_s: float):
    return milp(c=c, integrality=integrality, bounds=Bounds(np.zeros(len(c)), upper), constraints=constraints,
                options={"time_limit": float(time_limit_s), "mip_rel_gap": MIP_REL_GAP, "presolve": True})


def _cover_rows(rows: DemandRows) -> LinearConstraint:
    """y_i − Σ_j a_ij x_j ≤ 0 over the variables [x | y]."""
    m = rows.matrix.shape[0]
    a = sp.hstack([-rows.matrix, sp.identity(m, format="csr")], format="csr")
    return LinearConstraint(a, -np.inf, np.zeros(m))


def covered_weight(rows: DemandRows, chosen: np.ndarray) -> float:
    """Return the weight of the rows that at least one of ``chosen`` reaches."""
    if len(chosen) == 0 or rows.matrix.shape[0] == 0:
        return 0.0
    hit = np.asarray(rows.matrix[:, np.asarray(chosen, dtype=np.int64)].sum(axis=1)).ravel() > 0
    return float(rows.weight[hit].sum())


def max_coverage(rows: DemandRows, *, k: int, time_limit_s: float) -> MilpAnswer:
    """Choose at most ``k`` candidates covering the most row weight; see the module for the model."""
    start = time.perf_counter()
    m, n = rows.matrix.shape
    if m == 0 or n == 0 or k == 0:
        return MilpAnswer("optimal", np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, time.perf_counter() - start)
    pen = _penalties(n, k=k, min_weight=float(rows.weight.min()))
    c = np.concatenate([pen, -rows.weight])
    count = LinearConstraint(sp.hstack([sp.csr_matrix(np.ones((1, n))), sp.csr_matrix((1, m))], format="csr"),
                             -np.inf, float(k))
    res = _solve(c, np.concatenate([np.ones(n), np.zeros(m)]), [_cover_rows(rows), count], np.ones(n + m),
                 time_limit_s)
    status = STATUS.get(res.status, "error")
    if res.x is None:
        return MilpAnswer(status, np.zeros(0, dtype=np.int64), 0.0, float(rows.weight.sum()), float("inf"),
                          time.perf_counter() - start)
    chosen = np.flatnonzero(res.x[:n] > 0.5)
    objective = covered_weight(rows, chosen)
    worst_penalty = float(np.sort(pen)[::-1][:k].sum())
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(rows.weight.sum()) if dual is None or not np.isfinite(dual) else -float(dual) + worst_penalty
    bound = max(min(bound, float(rows.weight.sum())), objective)
    return MilpAnswer(status, chosen, objective, bound, _gap(objective, bound), time.perf_counter() - start)


def set_cover(rows: DemandRows, *, need_weight: float, time_limit_s: float) -> MilpAnswer:
    """Choose the fewest candidates covering ``need_weight`` of row weight, then the best-covering such set.

    ``need_weight`` above all the rows' weight is answered ``unreachable`` with every useful
    candidate chosen (the best share any number of new stations reaches), without solving.
    """
    start = time.perf_counter()
    m, n = rows.matrix.shape
    total = float(rows.weight.sum())
    tol = 1e-9 * max(total, 1.0)
    if need_weight <= tol:
        return MilpAnswer("optimal", np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, time.perf_counter() - start)
    if need_weight > total + tol:
        useful = np.unique(rows.matrix.indices)
        return MilpAnswer("unreachable", useful, float(len(useful)), float("nan"), float("nan"),
                          time.perf_counter() - start)
    c = np.concatenate([np.ones(n), np.zeros(m)])
    reach_need = LinearConstraint(sp.hstack([sp.csr_matrix((1, n)), sp.csr_matrix(rows.weight[None, :])],
                                            format="csr"), need_weight - tol, np.inf)
    res = _solve(c, np.concatenate([np.ones(n), np.zeros(m)]), [_cover_rows(rows), reach_need], np.ones(n + m),
                 time_limit_s)
    status = STATUS.get(res.status, "error")
    if res.x is None:
        return MilpAnswer(status, np.zeros(0, dtype=np.int64), float("nan"), float("nan"), float("nan"),
                          time.perf_counter() - start)
    chosen = np.flatnonzero(res.x[:n] > 0.5)
    dual = getattr(res, "mip_dual_bound", None)
    # Station counts are whole numbers: the count's bound is the dual bound rounded up.
    bound = float(np.ceil(float(dual) - 1e-6)) if dual is not None and np.isfinite(dual) else 1.0
    bound = min(max(bound, 1.0), float(len(chosen)))
    if bound >= len(chosen):
        status = "optimal"  # no answer with fewer stations exists: proven, even if HiGHS ran out of time after
    # The same count, chosen to cover the most: a planner gets the best set among the fewest.
    left_s = max(time_limit_s - (time.perf_counter() - start), min(5.0, time_limit_s))
    best = max_coverage(rows, k=len(chosen), time_limit_s=left_s)
    if len(best.chosen) == len(chosen) and best.objective >= max(covered_weight(rows, chosen), need_weight - tol):
        chosen = best.chosen
    return MilpAnswer(status, chosen, float(len(chosen)), bound, _gap(float(len(chosen)), bound, minimise=True),
                      time.perf_counter() - start)


def _gap(objective: float, bound: float, *, minimise: bool = False) -> float:
    """Return the relative optimality gap: how far the answer may be from the best, as a share of it."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("nan")
    diff = (objective - bound) if minimise else (bound - objective)
    return 0.0 if diff <= 0 else diff / max(abs(objective), 1e-12)
