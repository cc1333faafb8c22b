"""Capacitated siting: a station serves at most its capacity of residents 60+ within walking reach.

Uncapacitated coverage counts a plate as served as soon as any station is within reach; a
300 m² station then "serves" 5,000 people. This is the 2SFCA view made into a plan: every
station, existing or new, has a capacity in residents aged 60+, and demand is assigned only
along walking reach (a plate's residents to stations within ``reach_m`` of it).

Capacity comes from floor area: ``floor_area_m2 / m2_per_person`` (default
:data:`M2_PER_PERSON_60PLUS` = 0.4 m² per resident 60+, a project decision [U]: the norm of
20 m² of elder-care space per 100 households (standards.md §5.3) at the district's ~50 residents
60+ per 100 households), or from a ``capacity`` column of the candidates where one is given.
Existing stations' capacity comes from their floor area; a station without one counts 0. A
street-node candidate (no premises behind it) is taken as a station of :data:`NODE_FLOOR_AREA_M2`.

Model. Plates are grouped by the set of stations (existing first, then candidates) that reach
them: row i with demand ``w_i``. Variables: ``x_j`` ∈ {0, 1} per candidate; ``z_ij ≥ 0`` the
residents of row i served by station j, one per reaching pair. Maximise Σ z subject to

    Σ_j z_ij ≤ w_i            (no row is served more than it holds)
    Σ_i z_ie ≤ cap_e          (each existing station)
    Σ_i z_ij ≤ cap_j x_j      (a candidate serves only if chosen)
    Σ_j x_j ≤ k               (maximal coverage) — or minimise Σ x_j with Σ z ≥ need (set cover).

With ``x`` fixed the same programme is a linear programme: :func:`served` evaluates any set of
sites exactly (greedy's too). The greedy heuristic adds the candidate whose capacity meets the
most unserved demand in reach (min of the two), assigning demand in row order; what any set of
sites serves is then evaluated exactly by :func:`assignment`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.planning.siting_candidates import candidate_numbers
from geo.planning.siting_milp import MIP_REL_GAP, STATUS, MilpAnswer, _gap, demand_rows

M2_PER_PERSON_60PLUS = 0.4
NODE_FLOOR_AREA_M2 = 300.0   # a street-node candidate is taken as a station of this size


@dataclass(frozen=True)
class Capacity:
    """Capacities in residents 60+: of the existing stations and of each candidate."""

    existing: np.ndarray
    candidates: np.ndarray


@dataclass(frozen=True)
class CapacityProblem:
    """Rows of demand, the stations reaching them (existing first), and every station's capacity."""

    rows: sp.csr_matrix       # (rows × stations) ones where a station reaches the row
    demand: np.ndarray        # (rows,) residents 60+
    capacity: np.ndarray      # (stations,) residents 60+ each can serve
    n_existing: int
    total: float              # all the plates' demand (the share's denominator)


def capacity_problem(reach_existing: sp.csr_matrix, reach_candidates: sp.csr_matrix, demand: np.ndarray, *,
                     capacity_existing: np.ndarray, capacity_candidates: np.ndarray) -> CapacityProblem:
    """Build the grouped programme from (stations × plates) reach matrices and capacities."""
    both = sp.vstack([reach_existing, reach_candidates], format="csr")
    grouped = demand_rows(both, demand, covered=np.zeros(len(demand), dtype=bool))
    cap = np.concatenate([np.asarray(capacity_existing, dtype=float), np.asarray(capacity_candidates, dtype=float)])
    return CapacityProblem(rows=grouped.matrix, demand=grouped.weight, capacity=np.maximum(cap, 0.0),
                           n_existing=reach_existing.shape[0], total=float(np.asarray(demand, dtype=float).sum()))


def _model(p: CapacityProblem) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Return (constraint matrix over [x | z], its upper bounds, pair row, pair station)."""
    coo = p.rows.tocoo()
    pair_row, pair_station = coo.row.astype(np.int64), coo.col.astype(np.int64)
    m, s = p.rows.shape
    n = s - p.n_existing
    q = len(pair_row)
    cols = np.arange(q)
    by_row = sp.csr_matrix((np.ones(q), (pair_row, cols)), shape=(m, q))
    by_station = sp.csr_matrix((np.ones(q), (pair_station, cols)), shape=(s, q))
    x_part = sp.vstack([sp.csr_matrix((m + p.n_existing, n)),
                        sp.diags(-p.capacity[p.n_existing:], format="csr", shape=(n, n))], format="csr")
    a = sp.hstack([x_part, sp.vstack([by_row, by_station], format="csr")], format="csr")
    upper = np.concatenate([p.demand, p.capacity[:p.n_existing], np.zeros(n)])
    return a, upper, pair_row, pair_station


def served(p: CapacityProblem, chosen: np.ndarray) -> float:
    """Return the most demand the existing stations and ``chosen`` candidates can serve (an LP)."""
    return assignment(p, chosen)[0]


def assignment(p: CapacityProblem, chosen: np.ndarray) -> tuple[float, np.ndarray]:
    """Return (the most demand served, what each station serves) with the stations open and ``chosen``.

    Among the assignments serving the most, existing stations serve as much as they can: they then
    serve exactly what they serve alone (a new station never takes demand they could keep, as in
    a maximum flow), so what the new stations serve adds up to the gain over the existing ones.
    """
    s = p.rows.shape[1]
    n = s - p.n_existing
    if p.rows.shape[0] == 0:
        return 0.0, np.zeros(s)
    a, upper, pair_row, pair_station = _model(p)
    x = np.zeros(n)
    x[np.asarray(chosen, dtype=np.int64)] = 1.0
    q = len(pair_row)
    prefer = np.where(pair_station < p.n_existing, -(1.0 + 1e-7), -1.0)
    res = milp(c=np.concatenate([np.zeros(n), prefer]), integrality=np.zeros(n + q),
               bounds=Bounds(np.concatenate([x, np.zeros(q)]), np.concatenate([x, np.full(q, np.inf)])),
               constraints=[LinearConstraint(a, -np.inf, upper)])
    if res.x is None:
        return 0.0, np.zeros(s)
    z = res.x[n:]
    return float(z.sum()), np.bincount(pair_station, weights=z, minlength=s)


def capacitated_siting(p: CapacityProblem, *, k: int | None, need_weight: float | None,
                       time_limit_s: float) -> MilpAnswer:
    """Solve capacitated maximal coverage (``k``) or the fewest stations serving ``need_weight``.

    ``objective`` is the demand served (maximal coverage) or the number of stations (set cover);
    a need above what every candidate together can serve is answered ``unreachable`` with them all.
    """
    start = time.perf_counter()
    m, s = p.rows.shape
    n = s - p.n_existing
    a, upper, pair_row, _ = _model(p)
    q = len(pair_row)
    constraints = [LinearConstraint(a, -np.inf, upper)]
    if k is not None:
        eps = 1e-6 * max(float(p.demand.min(initial=1.0)), 1e-6) / (k + 1)
        c = np.concatenate([eps * (1.0 + np.arange(n) / max(n, 1)), -np.ones(q)])
        constraints.append(LinearConstraint(sp.csr_matrix(np.concatenate([np.ones(n), np.zeros(q)])[None, :]),
                                            -np.inf, float(k)))
    else:
        assert need_weight is not None
        everything = served(p, np.arange(n))
        if need_weight > everything + 1e-9 * max(p.total, 1.0):
            return MilpAnswer("unreachable", np.arange(n), float(n), float("nan"), float("nan"),
                              time.perf_counter() - start)
        c = np.concatenate([np.ones(n), np.zeros(q)])
        constraints.append(LinearConstraint(sp.csr_matrix(np.concatenate([np.zeros(n), np.ones(q)])[None, :]),
                                            need_weight - 1e-9 * max(p.total, 1.0), np.inf))
    if m == 0 or (k == 0):
        return MilpAnswer("optimal", np.zeros(0, dtype=np.int64), served(p, np.zeros(0, dtype=np.int64)),
                          0.0, 0.0, time.perf_counter() - start)
    res = milp(c=c, integrality=np.concatenate([np.ones(n), np.zeros(q)]),
               bounds=Bounds(np.zeros(n + q), np.concatenate([np.ones(n), np.full(q, np.inf)])),
               constraints=constraints,
               options={"time_limit": float(time_limit_s), "mip_rel_gap": MIP_REL_GAP, "presolve": True})
    status = STATUS.get(res.status, "error")
    if res.x is None:
        return MilpAnswer(status, np.zeros(0, dtype=np.int64), float("nan"), float("nan"), float("nan"),
                          time.perf_counter() - start)
    chosen = np.flatnonzero(res.x[:n] > 0.5)
    dual = getattr(res, "mip_dual_bound", None)
    if k is not None:
        objective = served(p, chosen)
        bound = -float(dual) + float(c[:n].max()) * k if dual is not None and np.isfinite(dual) else p.total
        if status != "optimal":  # a bound cut short can be loose: never above what all candidates together serve
            bound = min(bound, served(p, np.arange(n)))
        bound = max(min(bound, p.total), objective)
        return MilpAnswer(status, chosen, objective, bound, _gap(objective, bound), time.perf_counter() - start)
    bound = float(np.ceil(float(dual) - 1e-6)) if dual is not None and np.isfinite(dual) else 0.0
    bound = min(max(bound, 0.0), float(len(chosen)))
    if bound >= len(chosen):
        status = "optimal"  # no answer with fewer stations exists
    return MilpAnswer(status, chosen, float(len(chosen)), bound, _gap(float(len(chosen)), bound, minimise=True),
                      time.perf_counter() - start)


def greedy_capacitated(p: CapacityProblem, *, k: int | None, need_weight: float | None,
                       deadline: float | None = None) -> tuple[list[int], bool]:
    """Return candidates in greedy order (each the one whose capacity meets the most unserved demand)
    and whether ``deadline`` (a ``time.perf_counter()`` value) stopped the choosing first."""
    n = p.rows.shape[1] - p.n_existing
    left = p.demand.astype(float).copy()
    by_station = sp.csc_matrix(p.rows)
    cap = p.capacity.copy()
    for e in range(p.n_existing):  # existing stations serve first, in row order
        cap[e] = _assign(by_station.indices[by_station.indptr[e]:by_station.indptr[e + 1]], left, cap[e])
    chosen: list[int] = []
    limit = k if k is not None else n
    cand_rows = sp.csc_matrix(by_station[:, p.n_existing:])
    open_ = np.ones(n, dtype=bool)
    while len(chosen) < limit:
        # The assignment so far is feasible, so the demand it serves is at most what an LP would serve:
        # stopping when it reaches the need is safe (greedy may then hold one station more than needed).
        if need_weight is not None and p.demand.sum() - left.sum() >= need_weight - 1e-9 * p.total:
            break
        gains = np.minimum(cand_rows.T @ left, p.capacity[p.n_existing:]) * open_
        best = int(np.argmax(gains))  # ties: the lowest index
        if gains[best] <= 1e-12:
            break
        if deadline is not None and time.perf_counter() > deadline:
            return chosen, True
        open_[best] = False
        start, end = by_station.indptr[p.n_existing + best], by_station.indptr[p.n_existing + best + 1]
        _assign(by_station.indices[start:end], left, float(p.capacity[p.n_existing + best]))
        chosen.append(best)
    return chosen, False


def _assign(rows: np.ndarray, left: np.ndarray, capacity: float) -> float:
    """Serve ``rows`` in order from ``capacity``, lowering ``left`` in place; return the capacity left."""
    for r in np.sort(rows):
        take = min(left[r], capacity)
        left[r] -= take
        capacity -= take
        if capacity <= 0:
            break
    return capacity


def siting_capacities(existing: pd.DataFrame, candidates: pd.DataFrame | None, *, n_candidates: int,
                      m2_per_person: float = M2_PER_PERSON_60PLUS,
                      node_floor_area_m2: float = NODE_FLOOR_AREA_M2) -> Capacity:
    """Return capacities in residents 60+ for existing stations and candidates.

    Existing stations: floor area / ``m2_per_person`` (none recorded: 0). Candidates: their
    ``capacity`` column where given, else floor area / ``m2_per_person``; street nodes (no
    candidates frame) and candidates without either are taken as a station of
    ``node_floor_area_m2``.
    """
    area = pd.to_numeric(existing["floor_area_m2"], errors="coerce").to_numpy(dtype=float) \
        if "floor_area_m2" in existing else np.full(len(existing), np.nan)
    cap_existing = np.nan_to_num(area, nan=0.0) / m2_per_person
    cap = np.full(n_candidates, node_floor_area_m2 / m2_per_person)
    if candidates is not None:
        by_area = candidate_numbers(candidates, "floor_area_m2")
        if by_area is not None:
            cap = np.where(np.isfinite(by_area), by_area / m2_per_person, cap)
        given = candidate_numbers(candidates, "capacity")
        if given is not None:
            cap = np.where(np.isfinite(given), given, cap)
    return Capacity(existing=cap_existing, candidates=cap)
