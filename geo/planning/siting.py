"""Where to put the next elder-care stations: greedy maximal coverage with existing stations fixed.

Each step adds the candidate that newly covers the most weight (households or residents 60+)
among plates not yet within the walking reach; ``k`` stations, or as few as reach a target share.
Candidates are given sites, or network nodes on a grid over the residential plates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.errors import InputError
from geo.messages import label, text
from geo.planning.network import Attachment, WalkNetwork, nearest_source, reach_matrix

GAIN_EPSILON = 1e-12  # a gain below this share of the total is rounding left by the running update, not a gain
TIE_TOLERANCE = 1e-9  # running gains this close (share of the total weight) to the best are recomputed exactly


@dataclass(frozen=True)
class SitingResult:
    """The chosen sites in order, with what each adds, and the shares before and after.

    MILP answers (geo.planning.siting_compare) carry their status, bound and gap too.
    """

    chosen: pd.DataFrame
    share_before: float
    share_after: float
    candidates: int
    method: str = "greedy"          # greedy or milp (geo.planning.siting_compare)
    status: str = "heuristic"  # greedy: heuristic or time_limit; milp: optimal, time_limit, unreachable, infeasible
    bound_share: float | None = None  # MILP: no answer with as many stations covers more (max coverage)
    gap: float | None = None        # relative gap to the MILP's bound (0 when proven); greedy's too, given one
    bound_stations: float | None = None  # MILP set cover: no answer reaching the target needs fewer
    seconds: float | None = None
    reachable: bool = True          # set cover: whether the target share can be reached at all


def grid_candidates(network: WalkNetwork, plates_xy: np.ndarray, *, spacing_m: float = 250.0) -> np.ndarray:
    """Return network nodes, one per grid cell of ``spacing_m`` (nearest its centre), in cells with plates."""
    if network.n_nodes == 0 or len(plates_xy) == 0:
        return np.zeros(0, dtype=np.int64)
    cells = np.floor(network.node_xy / spacing_m).astype(np.int64)
    centre = (cells + 0.5) * spacing_m
    gap = np.hypot(*(network.node_xy - centre).T)
    order = np.lexsort((gap, cells[:, 1], cells[:, 0]))
    first = np.ones(len(order), dtype=bool)
    first[1:] = np.any(cells[order][1:] != cells[order][:-1], axis=1)
    nodes = order[first]
    plate_cells = {tuple(c) for c in np.floor(plates_xy / spacing_m).astype(np.int64)}
    near = np.array([tuple(c) in plate_cells for c in cells[nodes]], dtype=bool)
    return nodes[near]


def node_attachment(network: WalkNetwork, nodes: np.ndarray) -> Attachment:
    """Attach network nodes as points: an incident edge at t=0 or 1 with no off-network leg."""
    incident_u = np.full(network.n_nodes, -1, dtype=np.int64)
    incident_v = np.full(network.n_nodes, -1, dtype=np.int64)
    incident_u[network.edge_u] = np.arange(network.n_edges)
    incident_v[network.edge_v] = np.arange(network.n_edges)
    edge = np.where(incident_u[nodes] >= 0, incident_u[nodes], incident_v[nodes])
    t = np.where(incident_u[nodes] >= 0, 0.0, 1.0)
    return Attachment(edge=edge, t=t, offset_m=np.zeros(len(nodes)))


def check_goal(*, k: int | None, target_share: float | None) -> None:
    """Refuse a siting goal that is not exactly one of ``k`` ≥ 1 stations or a share in (0, 1]."""
    if (k is None) == (target_share is None):
        raise InputError(text("planning.siting_one_of", k=label("k"), share=label("target_share")), field="k")
    if k is not None and k < 1:
        raise InputError(text("planning.siting_k", field=label("k"), value=k), field="k")
    if target_share is not None and not 0 < target_share <= 1:
        raise InputError(text("planning.siting_share", field=label("target_share"), value=target_share),
                         field="target_share")


def greedy_siting(network: WalkNetwork, plates: Attachment, weights: np.ndarray, existing: Attachment,
                  candidates: Attachment, *, reach_m: float, k: int | None = None,
                  target_share: float | None = None, time_limit_s: float | None = None,
                  reach: sp.csr_matrix | None = None) -> SitingResult:
    """Choose up to ``k`` candidates, or the fewest reaching ``target_share``, greedily.

    ``weights`` are per plate (households or residents 60+). Existing stations stay fixed: what
    they already cover counts as covered before the first choice. Each candidate's gain is kept
    and lowered by what the last choice covered (only the candidates reaching those plates), so a
    step costs the plates it covers, not a pass over the whole reach matrix; the candidates whose
    running gain is within rounding of the best have theirs recomputed exactly, so the choice (ties
    to the lowest index) is the textbook greedy's with fractional weights too. With
    ``time_limit_s`` the choosing stops when it is spent (status ``time_limit``: the sites so far);
    ``reach`` (candidates × plates within ``reach_m``) is used when the caller has built it.
    """
    check_goal(k=k, target_share=target_share)
    started = time.perf_counter()
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    if total <= 0:
        raise InputError(text("planning.siting_nothing"), field="weight")
    dist, _ = nearest_source(network, existing, plates, limit_m=reach_m)
    covered = dist <= reach_m
    share_before = float(w[covered].sum() / total)
    if reach is None:
        reach = reach_matrix(network, candidates, plates, reach_m)
    by_plate = reach.tocsc()
    gains = np.asarray(reach @ (w * ~covered), dtype=float)
    covered_weight = float(w[covered].sum())
    chosen: list[dict[str, Any]] = []
    status = "heuristic"
    limit = k if k is not None else len(candidates.edge)
    near_tie = TIE_TOLERANCE * max(float(np.abs(w).sum()), 1.0)
    while len(chosen) < limit and len(gains):
        if target_share is not None and covered_weight / total >= target_share:
            break
        top = float(gains.max())
        if top <= GAIN_EPSILON * total:
            break  # nothing left to gain: done, whatever the time
        if time_limit_s is not None and time.perf_counter() - started > time_limit_s:
            status = "time_limit"
            break
        close = np.flatnonzero(gains >= top - near_tie)
        if len(close) > 1:  # the running sums may differ from a fresh sum in the last bits: recompute those
            gains[close] = reach[close] @ (w * ~covered)
        best = int(close[np.argmax(gains[close])])  # argmax: the lowest index among equal gains
        gain = float(gains[best])
        newly = reach[best].indices[~covered[reach[best].indices]]
        covered[newly] = True
        covered_weight += float(w[newly].sum())
        gains -= by_plate[:, newly] @ w[newly]  # the candidates reaching those plates gain that much less
        gains[best] = 0.0
        chosen.append({"order": len(chosen) + 1, "candidate": best, "gain": gain,
                       "gain_plates": len(newly), "share_after": covered_weight / total})
    return SitingResult(chosen=pd.DataFrame(chosen, columns=["order", "candidate", "gain", "gain_plates",
                                                             "share_after"]),
                        share_before=share_before, share_after=float(w[covered].sum() / total),
                        candidates=len(candidates.edge), status=status)
